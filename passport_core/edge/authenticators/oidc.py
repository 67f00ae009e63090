"""OpenID Connect: JWT access tokens (RFC 9068) or ID tokens of an external provider."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from typing import Literal

from passport_core import claims as c
from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.authenticators.jwt import DEFAULT_MAX_LIFETIME, JWTAuthenticator
from passport_core.errors import ConfigurationError, InvalidCredential
from passport_core.http.fetcher import DEFAULT_TIMEOUT
from passport_core.keys.discovery import OIDCDiscovery
from passport_core.keys.sources import KeysLike
from passport_core.passport import Passport

__all__ = [
    "ACCESS_TOKEN_CLAIMS",
    "ACCESS_TOKEN_TYPES",
    "ID_TOKEN_CLAIMS",
    "ID_TOKEN_TYPES",
    "OIDCAuthenticator",
    "TokenKind",
]

TokenKind = Literal["access_token", "id_token"]

CLIENT_ID = "client_id"
AUTHORIZED_PARTY = "azp"
#: RFC 9068 §2.2: the claims every JWT access token carries
ACCESS_TOKEN_CLAIMS = frozenset(
    {c.ISSUER, c.EXPIRES_AT, c.AUDIENCE, c.SUBJECT, CLIENT_ID, c.ISSUED_AT, c.JWT_ID}
)
#: RFC 9068 §2.1 / §4: "at+jwt" (the verifier accepts "application/at+jwt" too); a
#: passport (passport+jwt) or an ID token (JWT, or no typ) never passes as one
ACCESS_TOKEN_TYPES: tuple[str | None, ...] = ("at+jwt",)
#: OpenID Connect Core §2: the claims every ID token carries
ID_TOKEN_CLAIMS = frozenset({c.ISSUER, c.SUBJECT, c.AUDIENCE, c.EXPIRES_AT, c.ISSUED_AT})
#: OpenID Connect Core §2 sets no typ; providers send "JWT" or none
ID_TOKEN_TYPES: tuple[str | None, ...] = ("JWT", None)


class OIDCAuthenticator(JWTAuthenticator):
    """Authenticates JWTs an OpenID Connect provider issued, verified against its JWKS.

    Access tokens (the default, RFC 9068)::

        OIDCAuthenticator("https://login.example", audience="https://api.example")

    ID tokens, whose ``aud`` is your client's id::

        OIDCAuthenticator("https://login.example", kind="id_token", client_id="edge-app")

    The keys come from the provider's discovery document
    (:class:`~passport_core.OIDCDiscovery`), fetched within ``timeout`` per request
    and cached by its rules: a token with a new ``kid`` makes it fetch the keys
    again, so the provider's key rotation needs nothing from you. The token is
    read from ``Authorization: Bearer`` unless ``header`` names another.

    Every bad token (signature, issuer, audience, algorithm, ``typ``, times,
    a missing RFC 9068 claim) is an :class:`~passport_core.InvalidCredential`
    (401) saying why, never quoting the token; a provider that is down or too
    slow is an :class:`~passport_core.IdentityProviderUnavailable` (503).

    The identity: ``sub``, ``iss``, ``amr``/``acr``/``auth_time`` as sent, ``exp``
    as ``expires_at`` (so neither the passport nor the mint cache outlives the
    token), roles, scopes, tenant and profile fields where ``claims`` (a
    :class:`ClaimMapping`) finds them.

    :param issuer: the provider's issuer URL, exactly as its tokens' ``iss``.
    :param audience: access tokens: the resource identifier(s) they must name.
    :param kind: ``"access_token"`` or ``"id_token"``.
    :param client_id: ID tokens: your client's id, their required ``aud``; when
        they name several audiences, ``azp`` must be this client (OpenID Connect
        Core §3.1.3.7, items 3 to 5). A ``nonce`` is the client's check at login,
        not the edge's: the edge never saw the authentication request.
    :param clients: access tokens: accept only those issued to these ``client_id``\\s.
    :param keys: overrides the key source (default: ``OIDCDiscovery(issuer)``).
    :param timeout: seconds per request to the provider (discovery, JWKS).
    :param allow_insecure: allow ``http://`` to a provider off loopback (tests only).

    Other parameters as for :class:`JWTAuthenticator`.
    """

    def __init__(
        self,
        issuer: str,
        *,
        audience: str | Iterable[str] | None = None,
        kind: TokenKind = "access_token",
        client_id: str | None = None,
        clients: Collection[str] | None = None,
        keys: KeysLike | None = None,
        algorithms: Collection[str] | None = None,
        header: str | None = None,
        claims: ClaimMapping | None = None,
        leeway: float = 30.0,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        timeout: float = DEFAULT_TIMEOUT,
        allow_insecure: bool = False,
        name: str = "oidc",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if kind == "access_token":
            if audience is None:
                raise ConfigurationError(
                    "access tokens need the audience (resource identifier) they must name"
                )
            if client_id is not None:
                raise ConfigurationError(
                    "client_id is the audience of ID tokens; for access tokens use clients="
                )
            typ, required, what = ACCESS_TOKEN_TYPES, ACCESS_TOKEN_CLAIMS, "access token"
            expected: str | Iterable[str] = audience
        elif kind == "id_token":
            if not isinstance(client_id, str) or not client_id:
                raise ConfigurationError("ID tokens need the client_id that is their audience")
            if audience is not None or clients is not None:
                raise ConfigurationError("the audience of ID tokens is client_id alone")
            typ, required, what = ID_TOKEN_TYPES, ID_TOKEN_CLAIMS, "ID token"
            expected = client_id
        else:
            raise ConfigurationError("kind must be 'access_token' or 'id_token'")
        if clients is not None and (
            isinstance(clients, str) or not all(isinstance(x, str) and x for x in clients)
        ):
            raise ConfigurationError("clients must be a collection of client_id strings")
        self.kind: TokenKind = kind
        self.client_id = client_id
        self.clients = None if clients is None else frozenset(clients)
        source = keys
        if source is None:
            source = OIDCDiscovery(issuer, timeout=timeout, allow_insecure=allow_insecure)
        super().__init__(
            issuer=issuer,
            audience=expected,
            keys=source,
            typ=typ,
            required_claims=required,
            algorithms=algorithms,
            header=header,
            claims=claims,
            leeway=leeway,
            max_lifetime=max_lifetime,
            name=name,
            what=what,
            clock=clock,
        )

    def check(self, passport: Passport) -> None:
        claims = passport.claims
        if self.kind == "access_token":
            client = claims[CLIENT_ID]
            if not isinstance(client, str) or not client:
                raise InvalidCredential("the access token's 'client_id' must be a non-empty string")
            if self.clients is not None and client not in self.clients:
                raise InvalidCredential("the access token was issued to a client not accepted here")
            return
        # OpenID Connect Core §3.1.3.7: with several audiences azp must be present; when
        # present it must be this client.
        azp = claims.get(AUTHORIZED_PARTY)
        if azp is None and len(passport.audience) > 1:
            raise InvalidCredential("the ID token names several audiences but no 'azp'")
        if azp is not None and azp != self.client_id:
            raise InvalidCredential("the ID token's 'azp' is another client")
