"""API keys, looked up by their digest and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from passport_core.edge.authenticators.base import CredentialLocation
from passport_core.edge.authenticators.kinds import Options, register_authenticator_kind
from passport_core.edge.calls import MAX_USER_CALL_SECONDS, Bulkhead, CallTimedOut, acall, call
from passport_core.edge.common import CommonData
from passport_core.edge.identity import Identity
from passport_core.edge.request import EdgeRequest
from passport_core.errors import (
    ConfigurationError,
    IdentityProviderUnavailable,
    InvalidCredential,
    PassportError,
)
from passport_core.token.values import seconds

__all__ = ["APIKey", "APIKeyAuthenticator", "api_key_digest"]


def api_key_digest(key: str) -> str:
    """The SHA-256 hex digest under which an API key is stored: keep this, never the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class APIKey:
    """A stored API key: its digest and the identity it stands for.

    ``cache_for`` bounds, in seconds, how long the edge reuses a passport minted
    from this key (``None``: until shortly before it expires): how soon a revoked
    key stops passing without a drop.
    """

    digest: str
    subject: str
    common: CommonData = field(default_factory=CommonData)
    expires_at: float | None = None
    cache_for: float | None = None


Lookup = Callable[[str], "APIKey | Awaitable[APIKey | None] | None"]


class APIKeyAuthenticator:
    """Authenticates ``X-API-Key: <key>`` (or ``Authorization: Bearer <key>``).

    ``lookup(digest)`` is yours, sync or async: given :func:`api_key_digest` of
    the presented key, return its :class:`APIKey` or ``None``. The store never
    needs the key itself; the digest it returns is compared with
    :func:`hmac.compare_digest`, so a lookup that matches loosely (a prefix, a
    case-insensitive collation) still cannot let a wrong key in. The key is
    never logged: logs and the cache see only digests.

    :param timeout: seconds ``lookup`` may take before the request gets a 503.
    :param max_in_flight: lookups running at once, stuck ones included; beyond it a
        request gets a 503 at once, so a hung store cannot take every worker.
    """

    name = "api_key"

    def __init__(
        self,
        lookup: Lookup,
        *,
        header: str | None = "X-API-Key",
        bearer: bool = False,
        timeout: float = 2.0,
        clock: Callable[[], float] | None = None,
        max_in_flight: int = 8,
    ) -> None:
        if not callable(lookup):
            raise ConfigurationError("lookup must be a function of the key's digest")
        self.bulkhead = Bulkhead(max_in_flight)
        seconds("timeout", timeout, most=MAX_USER_CALL_SECONDS)
        self._lookup = lookup
        self._location = CredentialLocation(header, bearer=bearer)
        self.timeout = timeout
        self._clock = clock

    @property
    def credential_headers(self) -> frozenset[str]:
        """The headers the credential is read from: the gateway strips them."""
        return self._location.headers

    def credential(self, request: EdgeRequest) -> str | None:
        return self._location.read(request)

    def _identity(self, digest: str, found: object) -> Identity:
        if found is not None and not isinstance(found, APIKey):
            raise ConfigurationError("lookup must return an APIKey or None")
        if found is None or not isinstance(found.digest, str):
            raise InvalidCredential("the API key is not valid")
        if not hmac.compare_digest(found.digest.encode(), digest.encode()):
            raise InvalidCredential("the API key is not valid")
        if found.expires_at is not None:
            now = (self._clock or time.time)()
            if now >= found.expires_at:
                raise InvalidCredential("the API key has expired")
        return Identity(
            subject=found.subject,
            method=self.name,
            expires_at=found.expires_at,
            cache_for=found.cache_for,
            common=found.common,
        )

    def _lookup_failure(self, exc: Exception) -> PassportError:
        if isinstance(exc, PassportError):
            return exc  # the lookup's own verdict (a 401, a 503) stands
        if isinstance(exc, CallTimedOut):
            return IdentityProviderUnavailable(
                f"the API key lookup did not answer within {self.timeout:g} s"
            )
        # The store is down (a driver's error): a 503, naming only the kind of failure,
        # as its message may quote the query and so the digest.
        return IdentityProviderUnavailable(f"the API key lookup failed ({type(exc).__name__})")

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        digest = api_key_digest(credential)
        try:
            found = call(self._lookup, digest, timeout=self.timeout, bulkhead=self.bulkhead)
        except Exception as exc:  # the user's store may raise anything
            raise self._lookup_failure(exc) from exc
        return self._identity(digest, found)

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        digest = api_key_digest(credential)
        try:
            found = await acall(self._lookup, digest, timeout=self.timeout, bulkhead=self.bulkhead)
        except Exception as exc:  # the user's store may raise anything
            raise self._lookup_failure(exc) from exc
        return self._identity(digest, found)


def _from_options(options: Options) -> APIKeyAuthenticator:
    lookup = options.reference("lookup")
    header = options.get("header", str, "X-API-Key") or None  # "" reads Bearer only
    bearer = options.get("bearer", bool, False)
    timeout = float(options.get("timeout", (int, float), 2.0))
    options.finish()
    return APIKeyAuthenticator(lookup, header=header, bearer=bearer, timeout=timeout)


register_authenticator_kind(APIKeyAuthenticator.name, _from_options)
