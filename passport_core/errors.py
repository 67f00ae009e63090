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
    │   └── LifetimeTooLong                    lifetime_too_long
    ├── PermissionDenied (403)                 permission_denied
    ├── KeysUnavailable (503)                  keys_unavailable
    ├── ConfigurationError (500)               configuration_error
    │   ├── InvalidKey                         invalid_key
    │   │   ├── WeakKey                        weak_key
    │   │   ├── DuplicateKeyId                 duplicate_kid
    │   │   ├── PrivateKeyInPublicSet          private_key_in_public_set
    │   │   └── KeyUsageForbidden              key_use_forbidden
    │   ├── MintingError                       minting_error
    │   └── RotationError                      rotation_error
    │       └── RotationNotDue                 rotation_not_due
    └── NoPassport (500)                       no_passport

Configuration errors are raised when a key or verifier is set up, never while
serving a request: a weak key is refused when configured, not when attacked.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlgorithmNotAllowed",
    "AuthenticationError",
    "BadSignature",
    "ConfigurationError",
    "DuplicateKeyId",
    "DuplicateToken",
    "ForbiddenHeader",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidIssuer",
    "InvalidKey",
    "InvalidType",
    "IssuedInFuture",
    "KeyUsageForbidden",
    "KeysUnavailable",
    "LifetimeTooLong",
    "MalformedToken",
    "MintingError",
    "MissingClaim",
    "MissingToken",
    "NoPassport",
    "PassportError",
    "PermissionDenied",
    "PrivateKeyInPublicSet",
    "RotationError",
    "RotationNotDue",
    "TokenExpired",
    "TokenNotYetValid",
    "TokenTooLarge",
    "UnknownKey",
    "UnsupportedCritical",
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


class PermissionDenied(PassportError):
    """A valid passport that a policy refuses: answer 403."""

    code = "permission_denied"
    status = 403
    default_message = "the passport does not grant this"


class KeysUnavailable(PassportError):
    """Verification keys could not be obtained (key server down, no cache)."""

    code = "keys_unavailable"
    status = 503
    default_message = "verification keys are unavailable"


class ConfigurationError(PassportError):
    """The library was set up wrongly; raised at configuration time."""

    code = "configuration_error"
    status = 500
    default_message = "service-passport is misconfigured"


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


class MintingError(ConfigurationError):
    code = "minting_error"
    default_message = "the passport cannot be minted"


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
