"""The enricher protocol, and enrichers made from a user's function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from passport_core.edge.calls import MAX_USER_CALL_SECONDS, Bulkhead, acall, run_to_end
from passport_core.edge.common import CommonData
from passport_core.edge.identity import Identity
from passport_core.errors import ConfigurationError
from passport_core.token.values import seconds

__all__ = ["DEFAULT_ENRICHER_TIMEOUT", "Enricher", "FunctionEnricher", "enricher"]

#: seconds an enricher may take unless told otherwise
DEFAULT_ENRICHER_TIMEOUT = 2.0

EnrichResult = Mapping[str, Any] | CommonData | None


@runtime_checkable
class Enricher(Protocol):
    """Gathers common data for an identity: profile, roles, permissions, tenant, anything.

    It returns a mapping (``roles``, ``scopes``, ``permissions``, ``tenant``,
    ``profile``, and any custom claim) or a :class:`CommonData`. The edge runs
    independent enrichers concurrently, each within its ``timeout``. When a
    ``required`` one fails or times out the mint fails with
    :class:`~passport_core.EnrichmentFailed` (503); an optional one is left out,
    named in the passport's ``omitted`` claim and in the log.
    """

    name: str
    required: bool
    timeout: float

    def enrich(self, identity: Identity) -> EnrichResult: ...

    async def aenrich(self, identity: Identity) -> EnrichResult: ...


def check_timeout(timeout: float) -> float:
    return seconds("an enricher's timeout", timeout, most=MAX_USER_CALL_SECONDS)


class FunctionEnricher:
    """An enricher from a function of the :class:`Identity`, sync or async.

    :param max_in_flight: calls of this function running at once, stuck ones
        included; beyond it a call fails at once (as a timeout would), so a hung
        backend cannot take every worker of the process (see :class:`Bulkhead`).
    """

    def __init__(
        self,
        func: Callable[[Identity], EnrichResult | Awaitable[EnrichResult]],
        *,
        name: str | None = None,
        required: bool = True,
        timeout: float = DEFAULT_ENRICHER_TIMEOUT,
        max_in_flight: int = 8,
    ) -> None:
        if not callable(func):
            raise ConfigurationError("an enricher needs a function of the identity")
        self.bulkhead = Bulkhead(max_in_flight)
        self._func = func
        self.name: str = name or str(getattr(func, "__name__", type(func).__name__))
        self.required = required
        self.timeout = check_timeout(timeout)

    def enrich(self, identity: Identity) -> EnrichResult:
        # Unbounded here: the edge's gather() runs this on its pool and stops waiting in time.
        return run_to_end(self._func, (identity,), self.timeout)  # type: ignore[no-any-return]

    async def aenrich(self, identity: Identity) -> EnrichResult:
        return await acall(  # type: ignore[no-any-return]
            self._func, identity, timeout=self.timeout, bulkhead=self.bulkhead
        )

    def __repr__(self) -> str:
        return f"FunctionEnricher({self.name!r}, required={self.required})"


def enricher(
    *, name: str | None = None, required: bool = True, timeout: float = DEFAULT_ENRICHER_TIMEOUT
) -> Callable[[Callable[[Identity], Any]], FunctionEnricher]:
    """Decorate a function of the :class:`Identity` to make it an enricher::

    @enricher(timeout=0.5)
    async def roles(identity):
        return {"roles": await directory.roles_of(identity.subject)}
    """

    def wrap(func: Callable[[Identity], Any]) -> FunctionEnricher:
        return FunctionEnricher(func, name=name, required=required, timeout=timeout)

    return wrap
