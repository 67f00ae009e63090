"""The topmost service mints: an :class:`Edge` in-process, behind the same gate interface.

A service that receives the caller's credential (an API key, an IdP's token)
rather than a passport runs the edge itself. :class:`EdgeGate` has the
:class:`~passport_core.PassportGate` methods every adapter already calls
(``authenticate`` / ``aauthenticate`` with a header getter), so an adapter set
up with an edge mints where it would verify: the minted passport becomes the
request's passport (its policies, ``get_passport()``, the outbound clients
that forward it to the next hop). A passport the client sent is never read.

The :class:`~passport_core.Passport` is built from the token the edge has just
signed (or served from its cache), without checking the signature again: the
claims are our own. Measured on Ed25519, building it this way takes about a
quarter of a verification (≈30 µs against ≈110 µs), so the mint cache keeps
only tokens and stays shared with the mint endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from passport_core.dpop.target import TargetLike
from passport_core.edge.edge import Edge, Minted
from passport_core.edge.forwarding import header_key
from passport_core.edge.request import EdgeRequest
from passport_core.errors import ConfigurationError, MissingCredential, PassportError
from passport_core.inbound.extraction import HeaderGetter
from passport_core.passport import Passport
from passport_core.token.compact import split_compact

__all__ = ["EdgeGate", "minted_passport"]


def minted_passport(minted: Minted) -> Passport:
    """The :class:`Passport` of a passport this process's edge minted.

    Only for :class:`Minted` values from an :class:`Edge`: the signature is not
    checked (the edge signed these claims a moment ago, or cached its own token).
    """
    parts = split_compact(minted.token)
    return Passport.from_claims(parts.payload, minted.token, parts.header)


class EdgeGate:
    """Mints the request's passport with ``edge``; the in-process twin of ``PassportGate``.

    ::

        gate = EdgeGate(edge)                       # audience: the edge's default
        passport = gate.authenticate(request.headers.getlist)

    :param audience: which of the edge's audiences the passport is minted for
        (default: the first configured); the next hops must accept it.

    ``required=False`` answers ``None`` when the request carries no credential;
    a credential that is sent and bad is still refused (401), as for passports.
    """

    missing: ClassVar[type[PassportError]] = MissingCredential

    def __init__(self, edge: Edge, *, audience: str | None = None) -> None:
        if not isinstance(edge, Edge):
            raise ConfigurationError("{edge} must be an Edge", setting="edge")
        if audience is not None and audience not in edge.audiences:
            raise ConfigurationError(
                f"{{edge_audience}} {audience!r} is not one the edge mints for "
                f"({', '.join(edge.audiences)})",
                setting="edge_audience",
            )
        served = edge.audiences[audience or edge.default_audience]
        if served.encrypter is not None:
            # This service reads the passport itself: an encrypted one would protect nothing.
            raise ConfigurationError(
                f"{{edge_audience}} {served.name!r} is encrypted; the topmost service reads "
                "its own passport in-process, so mint it for an audience without encrypt_to",
                setting="edge_audience",
            )
        self.edge = edge
        self.audience = audience
        self._hidden = frozenset(header_key(name) for name in edge.strip_headers)

    def request(self, get_header: HeaderGetter) -> EdgeRequest:
        """The request as the edge sees it: without any client-sent passport or action."""
        hidden = self._hidden

        def visible(name: str) -> Sequence[str]:
            return () if header_key(name) in hidden else get_header(name)

        return EdgeRequest(visible)

    def presented(self, get_header: HeaderGetter) -> bool:
        """True when the request carries a credential one of the edge's authenticators reads."""
        return self.edge.presented(self.request(get_header))

    def mint(self, get_header: HeaderGetter, *, required: bool = True) -> Minted | None:
        """The edge's :class:`Minted` for the request (``None``: no credential, not required)."""
        try:
            return self.edge.mint(self.request(get_header), self.audience)
        except MissingCredential:
            if required:
                raise
            return None

    async def amint(self, get_header: HeaderGetter, *, required: bool = True) -> Minted | None:
        """:meth:`mint` without blocking the event loop."""
        try:
            return await self.edge.amint(self.request(get_header), self.audience)
        except MissingCredential:
            if required:
                raise
            return None

    def authenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """The request's passport, minted now (or from the mint cache).

        ``target`` is ignored: the passport minted here is this process's own and
        is not sender-constrained (no DPoP proof is asked for).
        """
        minted = self.mint(get_header, required=required)
        return None if minted is None else minted_passport(minted)

    async def aauthenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """:meth:`authenticate` without blocking the event loop (``Edge.amint``)."""
        minted = await self.amint(get_header, required=required)
        return None if minted is None else minted_passport(minted)

    def __repr__(self) -> str:
        return f"EdgeGate({self.edge!r}, audience={self.audience!r})"
