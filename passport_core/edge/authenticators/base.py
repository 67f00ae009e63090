"""The one protocol every authenticator implements, and where credentials are read."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from passport_core.edge.identity import Identity
from passport_core.edge.request import EdgeRequest
from passport_core.errors import ConfigurationError
from passport_core.inbound.extraction import TokenLocation, extract_token

__all__ = ["Authenticator", "CredentialLocation"]


@runtime_checkable
class Authenticator(Protocol):
    """Turns a caller's credential into an :class:`Identity`, or raises a typed error.

    The edge asks each authenticator in turn for :meth:`credential`: pure, no
    I/O, ``None`` when the request carries no credential of its kind. The first
    that finds one authenticates it; a bad credential is never handed on to the
    next (a 401, not a second chance). The edge caches the passport it mints by
    a hash of ``(name, credential)``, so a cached request skips
    :meth:`authenticate`.

    :meth:`authenticate` raises :class:`~passport_core.InvalidCredential` (401)
    for a bad credential and :class:`~passport_core.IdentityProviderUnavailable`
    (503) when whatever it asks is down, each within its own bounded time.

    Optionally, an authenticator names the headers it reads its credential from
    in ``credential_headers`` (a ``frozenset`` of lower-case names,
    ``"authorization"`` for Bearer): the gateway strips them, so internal
    services never see the caller's external credential. It is not part of the
    protocol's required members: an authenticator without it reads nothing the
    gateway knows to strip.
    """

    #: names the method in the passport's logs and the cache key; unique per edge
    name: str

    def credential(self, request: EdgeRequest) -> str | None: ...

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity: ...

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity: ...


class CredentialLocation:
    """Reads one credential from a header, from ``Authorization: Bearer``, or either.

    A credential sent twice, or once in each place, is refused
    (:class:`~passport_core.DuplicateToken`), as a passport is.
    """

    def __init__(self, header: str | None = None, *, bearer: bool = False) -> None:
        if header is None and not bearer:
            raise ConfigurationError("read the credential from a header, from Bearer, or both")
        self._location = TokenLocation(header=header, bearer=bearer)

    @property
    def header(self) -> str | None:
        return self._location.header

    @property
    def bearer(self) -> bool:
        return self._location.bearer

    @property
    def headers(self) -> frozenset[str]:
        """Lower-case names of the headers read: the header, ``authorization`` for Bearer."""
        names = {self.header.lower()} if self.header else set()
        return frozenset(names | ({"authorization"} if self.bearer else set()))

    def read(self, request: EdgeRequest) -> str | None:
        return extract_token(request.get_header, self._location)
