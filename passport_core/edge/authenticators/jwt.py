"""A JWT another party signed (an identity provider, a gateway), verified with its public keys.

Every check is the :class:`~passport_core.Verifier`'s: issuer, audience, the
algorithm allow-list bound to each key, ``typ``, required claims, times and
leeway. This module only says which, reads the credential, maps the verified
claims to an :class:`~passport_core.edge.Identity` and turns the verifier's
errors into the edge's: a bad token is an
:class:`~passport_core.InvalidCredential` (401), keys that cannot be fetched an
:class:`~passport_core.IdentityProviderUnavailable` (503).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable

from passport_core import claims as c
from passport_core.edge.authenticators.base import CredentialLocation
from passport_core.edge.authenticators.binding import refuse_sender_constrained
from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.identity import Identity, issued_at_of, session_of
from passport_core.edge.request import EdgeRequest
from passport_core.errors import (
    AuthenticationError,
    ConfigurationError,
    IdentityProviderUnavailable,
    InvalidCredential,
    KeysUnavailable,
)
from passport_core.keys.key import ALGORITHMS
from passport_core.keys.sources import KeysLike, as_key_source
from passport_core.passport import Passport
from passport_core.verify.verifier import Verifier

__all__ = ["ASYMMETRIC_ALGORITHMS", "DEFAULT_MAX_LIFETIME", "JWTAuthenticator"]

#: what a third party signs with: its public keys verify, no secret is shared
ASYMMETRIC_ALGORITHMS = frozenset(alg for alg in ALGORITHMS if not alg.startswith("HS"))
#: the longest token lifetime accepted by default: providers' access tokens live
#: minutes to hours; the passport and the mint cache never outlive the token anyway
DEFAULT_MAX_LIFETIME = 86400.0
#: the compact JWS shape (RFC 7515 §7.1): three base64url segments, the last may be
#: empty; only the shape, nothing decoded
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _reworded(message: str, what: str) -> str:
    # The verifier speaks of passports; at the edge the token is the caller's credential.
    return message.replace("a passport", f"the {what}").replace("passport", what)


class JWTAuthenticator:
    """Authenticates a signed JWT from one issuer: the common part of every JWT credential.

    :class:`~passport_core.edge.OIDCAuthenticator` and the gateway presets
    (:mod:`passport_core.edge.authenticators.gateways`) configure it; use it
    directly for any other issuer of JWTs whose keys you can fetch.

    :param issuer: the exact ``iss`` of its tokens.
    :param audience: the ``aud`` (one of them) its tokens must name.
    :param keys: where its public keys come from: a key source (a
        :class:`~passport_core.RemoteJWKS` or :class:`~passport_core.OIDCDiscovery`
        bounds every fetch by its ``timeout``), keys, or a public JWKS.
    :param typ: the accepted JOSE ``typ`` values (``None`` in them: absent).
    :param required_claims: claims every token must carry.
    :param algorithms: the allow-list; each key still decides its own algorithm
        (RFC 8725 §3.1). Default: every asymmetric one.
    :param header: the header carrying the token; ``None`` for
        ``Authorization: Bearer`` (RFC 6750 §2.1).
    :param claims: where roles, scopes, tenant and profile fields are.
    :param leeway: seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
    :param max_lifetime: the longest ``exp - iat`` accepted, in seconds.
    :param name: the authenticator's name in logs and the mint cache.
    :param what: what the token is called in error messages.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        keys: KeysLike,
        typ: Collection[str | None],
        required_claims: Collection[str],
        algorithms: Collection[str] | None = None,
        header: str | None = None,
        claims: ClaimMapping | None = None,
        leeway: float = 30.0,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        name: str = "jwt",
        what: str = "token",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigurationError("an authenticator needs a non-empty name")
        self.name = name
        self.what = what
        self.issuer = issuer
        self.keys = as_key_source(keys)
        self.claim_mapping = claims or ClaimMapping()
        self._verifier = Verifier(
            keys=self.keys,
            issuer=issuer,
            audience=audience,
            typ=typ,
            leeway=leeway,
            max_lifetime=max_lifetime,
            algorithms=ASYMMETRIC_ALGORITHMS if algorithms is None else algorithms,
            required_claims=required_claims,
            clock=clock,
        )
        self.audiences = self._verifier.audiences
        self.algorithms = self._verifier.algorithms
        self._location = CredentialLocation(header, bearer=header is None)

    @property
    def header(self) -> str | None:
        """The header the token is read from; ``None``: ``Authorization: Bearer``."""
        return self._location.header

    @property
    def credential_headers(self) -> frozenset[str]:
        """The headers the token is read from: the gateway strips them."""
        return self._location.headers

    def credential(self, request: EdgeRequest) -> str | None:
        """The token, or ``None`` when there is none; a value not shaped like a JWT is
        not ours either (an opaque token: the next authenticator's, such as
        introspection, which shares ``Authorization: Bearer``)."""
        found = self._location.read(request)
        if found is not None and not _COMPACT_JWS.fullmatch(found):
            return None
        return found

    def check(self, passport: Passport) -> None:
        """Checks beyond the verifier's, on verified claims; raise
        :class:`~passport_core.InvalidCredential` to refuse (subclasses add theirs)."""

    def identity(self, passport: Passport) -> Identity:
        """The identity verified claims establish."""
        claims = passport.claims
        auth_time = claims.get(c.AUTH_TIME)
        return Identity(
            subject=passport.subject,
            method=self.name,
            issuer=passport.issuer,
            auth_methods=tuple(claims.get(c.AUTH_METHODS, ())),
            auth_context=passport.auth_context,
            auth_time=None if auth_time is None else int(auth_time),
            expires_at=float(claims[c.EXPIRES_AT]),
            session=session_of(claims),
            issued_at=issued_at_of(claims),
            common=self.claim_mapping.common(claims),
            attributes=claims,
        )

    def _refused(self, error: AuthenticationError) -> InvalidCredential:
        return InvalidCredential(
            f"the {self.what} was refused: {_reworded(error.message, self.what)}"
        )

    def _unavailable(self, error: KeysUnavailable) -> IdentityProviderUnavailable:
        return IdentityProviderUnavailable(
            f"the keys of {self.issuer} are unavailable: {error.message}",
            retry_after=error.retry_after,
        )

    def _accepted(self, passport: Passport) -> Identity:
        refuse_sender_constrained(passport.claims, self.what)
        self.check(passport)
        return self.identity(passport)

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        try:
            passport = self._verifier.verify(credential)
        except AuthenticationError as error:
            raise self._refused(error) from error
        except KeysUnavailable as error:
            raise self._unavailable(error) from error
        return self._accepted(passport)

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        try:
            passport = await self._verifier.averify(credential)
        except AuthenticationError as error:
            raise self._refused(error) from error
        except KeysUnavailable as error:
            raise self._unavailable(error) from error
        return self._accepted(passport)

    def __repr__(self) -> str:
        kind = type(self).__name__
        audiences = sorted(self.audiences)
        return f"{kind}(name={self.name!r}, issuer={self.issuer!r}, audience={audiences})"
