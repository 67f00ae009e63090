"""The incoming request as the edge sees it, whatever server or framework runs it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from passport_core.inbound.extraction import HeaderGetter

__all__ = ["EdgeRequest"]


@dataclass(frozen=True)
class EdgeRequest:
    """Method, path, headers and client address of one request at the edge.

    ``get_header`` returns every value of a header (case-insensitive), as the
    adapters' :data:`~passport_core.HeaderGetter` does.
    """

    get_header: HeaderGetter
    method: str = "GET"
    path: str = "/"
    client: str | None = None

    @classmethod
    def from_headers(
        cls,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        method: str = "GET",
        path: str = "/",
        client: str | None = None,
    ) -> EdgeRequest:
        """Build from header pairs (repeated names kept) or a plain mapping."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        table: dict[str, list[str]] = {}
        for name, value in pairs:
            table.setdefault(name.lower(), []).append(value)

        def get_header(name: str) -> Sequence[str]:
            return table.get(name.lower(), ())

        return cls(get_header, method=method.upper(), path=path, client=client)
