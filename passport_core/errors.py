"""Every error service-passport raises, in one tree.

Each error carries a stable machine-readable ``code``, a ``message`` that is
safe to show a client (it never contains a token or key material) and the HTTP
``status`` an adapter answers with::

    PassportError
    ├── AuthenticationError (401)              code
    │   ├── MissingToken                       missing_token
    │   ├── MalformedToken                     malformed_token
    │   ├── DuplicateToken                     duplicate_token
    │   ├── TokenTooLarge                      token_too_large
    │   ├── ForbiddenHeader                    forbidden_header
    │   ├── UnsupportedCritical                unsupported_crit
    │   ├── InvalidType                        invalid_typ
    │   ├── AlgorithmNotAllowed                algorithm_not_allowed
    │   ├── UnknownKey                         unknown_kid
    │   ├── BadSignature                       bad_signature
    │   ├── InvalidClaim                       invalid_claim
    │   │   └── MissingClaim                   missing_claim
    │   ├── InvalidIssuer                      invalid_issuer
    │   ├── InvalidAudience                    invalid_audience
    │   ├── TokenExpired                       token_expired
    │   ├── TokenNotYetValid                   token_not_yet_valid
    │   ├── IssuedInFuture                     issued_in_future
    │   ├── LifetimeTooLong                    lifetime_too_long
    │   ├── MissingCredential                  missing_credential
    │   ├── InvalidCredential                  invalid_credential
    │   ├── InsufficientAuthentication         insufficient_user_authentication
    │   ├── MissingCompanion                   missing_companion
    │   ├── CompanionMismatch                  companion_mismatch
    │   ├── InvalidProof                       invalid_dpop_proof
    │   │   ├── MissingProof                   missing_dpop_proof
    │   │   └── ProofReplayed                  dpop_proof_replayed
    │   ├── PassportNotBound                   passport_not_bound
    │   ├── PassportRevoked                    passport_revoked
    │   └── EncryptedPassport                  encrypted_passport
    ├── PermissionDenied (403)                 permission_denied
    │   └── ExchangeRefused                    exchange_refused
    ├── ExchangeError (400)                    exchange_error
    │   ├── InvalidRequest                     invalid_request
    │   ├── InvalidClient (401)                invalid_client
    │   ├── InvalidGrant                       invalid_grant
    │   │   └── InvalidSubjectToken            invalid_subject_token
    │   ├── UnauthorizedClient                 unauthorized_client
    │   ├── UnsupportedGrantType               unsupported_grant_type
    │   ├── InvalidTarget                      invalid_target
    │   ├── InvalidScope                       invalid_scope
    │   └── InvalidExchangeProof               invalid_exchange_proof
    ├── Unavailable (503)                      unavailable
    │   ├── KeysUnavailable                    keys_unavailable
    │   ├── IdentityProviderUnavailable        identity_provider_unavailable
    │   ├── EnrichmentFailed                   enrichment_failed
    │   ├── ExchangeUnavailable                exchange_unavailable
    │   ├── ReplayCacheUnavailable             replay_cache_unavailable
    │   └── RevocationUnavailable              revocation_unavailable
    ├── ConfigurationError (500)               configuration_error
    │   ├── InvalidKey                         invalid_key
    │   │   ├── WeakKey                        weak_key
    │   │   ├── DuplicateKeyId                 duplicate_kid
    │   │   ├── PrivateKeyInPublicSet          private_key_in_public_set
    │   │   └── KeyUsageForbidden              key_use_forbidden
    │   └── RotationError                      rotation_error
    │       └── RotationNotDue                 rotation_not_due
    ├── MintingError (500)                     minting_error
    │   └── PassportTooLarge                   passport_too_large
    └── NoPassport (500)                       no_passport

Configuration errors are raised when a key, verifier or adapter is set up,
never while serving a request: a weak key is refused when configured, not when
attacked. A :class:`ConfigurationError` names the offending setting as data
(:attr:`~ConfigurationError.setting`), so an adapter can say it in its own
terms (``PASSPORT_AUDIENCE`` in Flask, ``PASSPORT["AUDIENCE"]`` in Django)
with :meth:`~ConfigurationError.render`.

A *credential* is what a caller presents at the edge (an OpenID Connect
access token, an opaque token, an API key, a gateway's assertion); the
``*Credential`` errors are the edge's, the token errors a service's.

The :class:`ExchangeError` branch is the token service's (RFC 8693 §2.2.2): each
subclass's :attr:`~ExchangeError.error` is the RFC 6749 §5.2 ``error`` string sent, its
``code`` too except for :class:`InvalidExchangeProof` (``invalid_dpop_proof``, RFC 9449 §5)
and :class:`InvalidSubjectToken` (``invalid_request``, RFC 8693 §2.2.2).

The two other 500s are raised while serving: :class:`MintingError` when an
edge cannot mint the passport of one request (bad claims from an enricher,
a lifetime over the cap, a passport over the size budget), :class:`NoPassport`
when code asks for the current passport where no request set one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

__all__ = [
    "AlgorithmNotAllowed",
    "AuthenticationError",
    "BadSignature",
    "CompanionMismatch",
    "ConfigurationError",
    "DuplicateKeyId",
    "DuplicateToken",
    "EncryptedPassport",
    "EnrichmentFailed",
    "ExchangeError",
    "ExchangeRefused",
    "ExchangeUnavailable",
    "ForbiddenHeader",
    "IdentityProviderUnavailable",
    "InsufficientAuthentication",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidClient",
    "InvalidCredential",
    "InvalidExchangeProof",
    "InvalidGrant",
    "InvalidIssuer",
    "InvalidKey",
    "InvalidProof",
    "InvalidRequest",
    "InvalidScope",
    "InvalidSubjectToken",
    "InvalidTarget",
    "InvalidType",
    "IssuedInFuture",
    "KeyUsageForbidden",
    "KeysUnavailable",
    "LifetimeTooLong",
    "MalformedToken",
    "MintingError",
    "MissingClaim",
    "MissingCompanion",
    "MissingCredential",
    "MissingProof",
    "MissingToken",
    "NoPassport",
    "PassportError",
    "PassportNotBound",
    "PassportRevoked",
    "PassportTooLarge",
    "PermissionDenied",
    "PrivateKeyInPublicSet",
    "ProofReplayed",
    "ReplayCacheUnavailable",
    "RevocationUnavailable",
    "RotationError",
    "RotationNotDue",
    "TokenExpired",
    "TokenNotYetValid",
    "TokenTooLarge",
    "UnauthorizedClient",
    "Unavailable",
    "UnknownKey",
    "UnsupportedCritical",
    "UnsupportedGrantType",
    "WeakKey",
]


class PassportError(Exception):
    """Base of every error raised by service-passport."""

    code: ClassVar[str] = "passport_error"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "passport error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class AuthenticationError(PassportError):
    """The request carries no usable passport: answer 401."""

    code = "invalid_token"
    status = 401
    default_message = "the passport is invalid"


class MissingToken(AuthenticationError):
    code = "missing_token"
    default_message = "no passport was presented"


class MalformedToken(AuthenticationError):
    code = "malformed_token"
    default_message = "the passport is not a well-formed compact JWS"


class DuplicateToken(AuthenticationError):
    code = "duplicate_token"
    default_message = "more than one passport was presented"


class TokenTooLarge(AuthenticationError):
    code = "token_too_large"
    default_message = "the passport is larger than allowed"


class ForbiddenHeader(AuthenticationError):
    code = "forbidden_header"
    default_message = "the passport header carries a parameter that is never trusted"


class UnsupportedCritical(AuthenticationError):
    code = "unsupported_crit"
    default_message = "the passport marks a header extension critical that is not understood"


class InvalidType(AuthenticationError):
    code = "invalid_typ"
    default_message = "the passport has the wrong type header"


class AlgorithmNotAllowed(AuthenticationError):
    code = "algorithm_not_allowed"
    default_message = "the passport's algorithm is not allowed for its key"


class UnknownKey(AuthenticationError):
    code = "unknown_kid"
    default_message = "the passport was signed by an unknown key"


class BadSignature(AuthenticationError):
    code = "bad_signature"
    default_message = "the passport signature is invalid"


class InvalidClaim(AuthenticationError):
    code = "invalid_claim"
    default_message = "a passport claim has an invalid value"


class MissingClaim(InvalidClaim):
    code = "missing_claim"
    default_message = "a required passport claim is missing"


class InvalidIssuer(AuthenticationError):
    code = "invalid_issuer"
    default_message = "the passport issuer is not trusted"


class InvalidAudience(AuthenticationError):
    code = "invalid_audience"
    default_message = "the passport is not meant for this audience"


class TokenExpired(AuthenticationError):
    code = "token_expired"
    default_message = "the passport has expired"


class TokenNotYetValid(AuthenticationError):
    code = "token_not_yet_valid"
    default_message = "the passport is not valid yet"


class IssuedInFuture(AuthenticationError):
    code = "issued_in_future"
    default_message = "the passport claims to be issued in the future"


class LifetimeTooLong(AuthenticationError):
    code = "lifetime_too_long"
    default_message = "the passport lives longer than allowed"


class MissingCredential(AuthenticationError):
    """The edge found no credential it knows how to read."""

    code = "missing_credential"
    default_message = "no credential was presented"


class InvalidCredential(AuthenticationError):
    """The edge's credential is bad: unknown key, inactive or expired token, wrong issuer..."""

    code = "invalid_credential"
    default_message = "the credential is invalid"


class InsufficientAuthentication(AuthenticationError):
    """The caller authenticated, but not strongly or recently enough (RFC 9470 §3).

    ``acr_values`` and ``max_age`` tell the client what to come back with; the
    challenge carries them.
    """

    code = "insufficient_user_authentication"
    default_message = "a stronger or more recent authentication is required"

    def __init__(
        self,
        message: str | None = None,
        *,
        acr_values: tuple[str, ...] = (),
        max_age: int | None = None,
    ) -> None:
        super().__init__(message)
        self.acr_values = acr_values
        self.max_age = max_age


class MissingCompanion(AuthenticationError):
    """A companion passport the service requires was not sent."""

    code = "missing_companion"
    default_message = "a required companion passport is missing"


class CompanionMismatch(AuthenticationError):
    """Companion passports that do not belong together: another subject, another
    request, or common data that contradicts the primary passport."""

    code = "companion_mismatch"
    default_message = "the companion passport does not match the passport"


class InvalidProof(AuthenticationError):
    """The DPoP proof of a sender-constrained passport is absent, malformed or does not
    match the request, the passport or its key (RFC 9449 §4.3, §7.1)."""

    code = "invalid_dpop_proof"
    default_message = "the DPoP proof is invalid"


class MissingProof(InvalidProof):
    """A passport bound to a key (``cnf.jkt``) arrived without a ``DPoP`` proof."""

    code = "missing_dpop_proof"
    default_message = "the passport is bound to a key and needs a DPoP proof"


class ProofReplayed(InvalidProof):
    """A DPoP proof whose ``jti`` was already seen within its window (RFC 9449 §11.1)."""

    code = "dpop_proof_replayed"
    default_message = "the DPoP proof was already used"


class PassportNotBound(AuthenticationError):
    """The service requires sender-constrained passports and this one has no ``cnf``."""

    code = "passport_not_bound"
    default_message = "the passport is not bound to a key (cnf)"


class PassportRevoked(AuthenticationError):
    """The passport was taken back before it expired: its ``jti``, its subject or its
    session (``sid``) is on the revocation list."""

    code = "passport_revoked"
    default_message = "the passport has been revoked"


class EncryptedPassport(AuthenticationError):
    """The passport is encrypted (a JWE) and this service holds no key to open it."""

    code = "encrypted_passport"
    default_message = "the passport is encrypted and this service cannot decrypt it"


class PermissionDenied(PassportError):
    """A valid passport that a policy refuses: answer 403."""

    code = "permission_denied"
    status = 403
    default_message = "the passport does not grant this"


class ExchangeRefused(PermissionDenied):
    """The token service refused to exchange the passport (RFC 8693 §2.2.2).

    ``error`` is the RFC 6749 §5.2 error code it answered (``invalid_target``,
    ``invalid_client``...); the message never holds a token.
    """

    code = "exchange_refused"
    default_message = "the token service refused the exchange"

    def __init__(self, message: str | None = None, *, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.error = error


class ExchangeError(PassportError):
    """A token exchange request the token service refuses (RFC 8693 §2.2.2): answer 400.

    Each subclass's :attr:`error` is the RFC 6749 §5.2 ``error`` string it answers.
    """

    code = "exchange_error"
    status = 400
    default_message = "the token exchange request is refused"

    @property
    def error(self) -> str:
        """The RFC 6749 §5.2 ``error`` answered: the ``code``, unless a later RFC names it."""
        return self.code


class InvalidRequest(ExchangeError):
    code = "invalid_request"
    default_message = "the request is missing, repeats or misuses a parameter"


class InvalidClient(ExchangeError):
    """The calling service could not be authenticated (RFC 6749 §5.2: may be 401)."""

    code = "invalid_client"
    status = 401
    default_message = "client authentication failed"


class InvalidGrant(ExchangeError):
    code = "invalid_grant"
    default_message = "the subject token is invalid, expired or not the caller's"


class InvalidSubjectToken(InvalidGrant):
    """The subject token is invalid or unacceptable: expired, untrusted, not addressed to the
    caller, its chain too long.

    Its :attr:`error` is ``invalid_request``, as RFC 8693 §2.2.2 requires for an invalid or
    unacceptable ``subject_token`` (RFC 6749's ``invalid_grant`` is for authorization grants).
    """

    code = "invalid_subject_token"
    default_message = "the subject token is invalid or not acceptable here"

    @property
    def error(self) -> str:
        return "invalid_request"


class UnauthorizedClient(ExchangeError):
    code = "unauthorized_client"
    default_message = "the client may not exchange this token"


class UnsupportedGrantType(ExchangeError):
    code = "unsupported_grant_type"
    default_message = "only the token-exchange grant is supported"


class InvalidTarget(ExchangeError):
    code = "invalid_target"
    default_message = "the requested audience or resource is not allowed"


class InvalidScope(ExchangeError):
    code = "invalid_scope"
    default_message = "the requested scope exceeds what the subject token grants"


class InvalidExchangeProof(ExchangeError):
    """The DPoP proof of a token exchange request is missing where the client must bind,
    malformed, replayed or made for another request.

    Its :attr:`error` is RFC 9449 §5's ``invalid_dpop_proof`` (the ``code`` differs from
    :class:`InvalidProof`'s, a resource server's 401: every code names one error).
    """

    code = "invalid_exchange_proof"
    default_message = "the DPoP proof of the exchange request is invalid"

    @property
    def error(self) -> str:
        return "invalid_dpop_proof"


class Unavailable(PassportError):
    """Something a request depends on is down or too slow: answer 503, retry later.

    ``retry_after`` is the seconds after which a retry may succeed, when known
    (the ``Retry-After`` of the answer, RFC 9110 §10.2.3).
    """

    code = "unavailable"
    status = 503
    default_message = "a dependency is unavailable"

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class KeysUnavailable(Unavailable):
    """Verification keys could not be obtained (key server down, no cache)."""

    code = "keys_unavailable"
    default_message = "verification keys are unavailable"


class IdentityProviderUnavailable(Unavailable):
    """The identity provider (discovery, keys, introspection) is down or too slow."""

    code = "identity_provider_unavailable"
    default_message = "the identity provider is unavailable"


class EnrichmentFailed(Unavailable):
    """A required enricher failed or timed out: the passport would lack common data."""

    code = "enrichment_failed"
    default_message = "the common data for the passport is unavailable"


class ExchangeUnavailable(Unavailable):
    """The token service is down, too slow, or answered something that is no exchange."""

    code = "exchange_unavailable"
    default_message = "the token service is unavailable"


class ReplayCacheUnavailable(Unavailable):
    """The shared store of used DPoP proofs cannot be asked: no proof is accepted unchecked."""

    code = "replay_cache_unavailable"
    default_message = "the DPoP replay cache is unavailable"


class RevocationUnavailable(Unavailable):
    """The revocation list is not known to be current (its store cannot be reached) and
    the service fails closed: no passport is accepted unchecked."""

    code = "revocation_unavailable"
    default_message = "the revocation list is unavailable"


def quoted_setting(name: str) -> str:
    """How core names a setting in a message: ``'audience'``."""
    return f"'{name}'"


def render_settings(template: str, names: Iterable[str], label: Callable[[str], str]) -> str:
    """``template`` with every ``{name}`` of ``names`` replaced by ``label(name)``.

    A plain replacement, not ``str.format``: the rest of the sentence may hold
    braces (a repr, a JSON value) that must stay as written.
    """
    for name in names:
        template = template.replace("{" + name + "}", label(name))
    return template


class ConfigurationError(PassportError):
    """The library was set up wrongly; raised at configuration time.

    ``setting`` is the name of the offending setting as
    :class:`~passport_core.PassportConfig` spells it (``"audience"``), or
    ``None`` when no single setting is to blame; ``settings`` every setting the
    message names. The message is written as a template in which each named
    setting stands as ``{name}``: :attr:`message` says them the core way
    (``'audience'``), :meth:`render` the way an adapter's users wrote them::

        error.render(lambda name: "PASSPORT_" + name.upper())
    """

    code = "configuration_error"
    status = 500
    default_message = "service-passport is misconfigured"

    def __init__(
        self,
        message: str | None = None,
        *,
        setting: str | None = None,
        settings: Iterable[str] = (),
    ) -> None:
        named = tuple(dict.fromkeys([*([setting] if setting else []), *settings]))
        self.setting = setting
        self.settings = named
        self.template = message or self.default_message
        super().__init__(render_settings(self.template, named, quoted_setting))

    def render(self, label: Callable[[str], str]) -> str:
        """The message with every named setting written as ``label(name)``."""
        return render_settings(self.template, self.settings, label)

    def restated(self, label: Callable[[str], str], context: str = "") -> ConfigurationError:
        """The same error (same class, same ``setting``) told in an adapter's terms.

        ``context`` is put before the message (``"passport settings of app 'orders': "``).
        Raise it ``from`` this error.
        """
        again = type(self)(context + self.render(label), setting=self.setting)
        again.settings = self.settings
        return again


class InvalidKey(ConfigurationError):
    code = "invalid_key"
    default_message = "the key is invalid"


class WeakKey(InvalidKey):
    code = "weak_key"
    default_message = "the key is too weak"


class DuplicateKeyId(InvalidKey):
    code = "duplicate_kid"
    default_message = "two keys share one key id"


class PrivateKeyInPublicSet(InvalidKey):
    code = "private_key_in_public_set"
    default_message = "a public key set carries private key material"


class KeyUsageForbidden(InvalidKey):
    code = "key_use_forbidden"
    default_message = "the key's use or key_ops forbid signatures"


class MintingError(PassportError):
    """An edge cannot mint the passport of the request it serves; answer 500."""

    code = "minting_error"
    status = 500
    default_message = "the passport cannot be minted"


class PassportTooLarge(MintingError):
    """The passport would exceed the size budget the next hop can receive."""

    code = "passport_too_large"
    default_message = "the passport exceeds its size budget"


class RotationError(ConfigurationError):
    """A key ring step out of order (promote without a next key) or a bad ring file."""

    code = "rotation_error"
    default_message = "the key ring cannot take this step"


class RotationNotDue(RotationError):
    """A rotation step asked for before it is safe; ``force`` overrides it."""

    code = "rotation_not_due"
    default_message = "this rotation step is not due yet"


class NoPassport(PassportError):
    """Code asked for the current passport where no request set one."""

    code = "no_passport"
    status = 500
    default_message = "no passport is set for the current context"
