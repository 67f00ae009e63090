"""passport_core: keys, minting, verification and policy for service passports.

Framework-free. Adapters (``passport_fastapi``, ``passport_flask``,
``passport_django``) import only the names exported here.
"""

from __future__ import annotations

from passport_core import claims
from passport_core.config import (
    JWKS_CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    ConfigProblem,
    PassportConfig,
)
from passport_core.context import (
    current_passport,
    get_passport,
    reset_passport,
    set_passport,
    use_passport,
)
from passport_core.errors import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadSignature,
    ConfigurationError,
    DuplicateKeyId,
    DuplicateToken,
    ForbiddenHeader,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidKey,
    InvalidType,
    IssuedInFuture,
    KeysUnavailable,
    KeyUsageForbidden,
    LifetimeTooLong,
    MalformedToken,
    MintingError,
    MissingClaim,
    MissingToken,
    NoPassport,
    PassportError,
    PermissionDenied,
    PrivateKeyInPublicSet,
    TokenExpired,
    TokenNotYetValid,
    TokenTooLarge,
    UnknownKey,
    UnsupportedCritical,
    WeakKey,
)
from passport_core.extraction import DEFAULT_HEADER, HeaderGetter, TokenLocation, extract_token
from passport_core.fingerprint import fingerprint
from passport_core.gate import PassportGate
from passport_core.keyring import KeyRing
from passport_core.keys import (
    ALGORITHMS,
    Key,
    generate_key,
    load_jwks,
    load_key,
    load_key_env,
    load_key_file,
    public_jwks,
)
from passport_core.keysources import KeysLike, KeySource, StaticKeys, as_key_source
from passport_core.minting import DEFAULT_TTL, Minter
from passport_core.passport import Actor, Passport
from passport_core.policy import (
    Decision,
    Policy,
    all_of,
    any_of,
    require,
    require_object,
    require_permission,
    require_role,
    require_scope,
)
from passport_core.problem import PROBLEM_CONTENT_TYPE, ProblemResponse, problem_response
from passport_core.propagation import (
    HostAllowList,
    PassportAuth,
    passport_async_client,
    passport_client,
)
from passport_core.remote import OIDCDiscovery, RemoteJWKS, fetch_jwks
from passport_core.verification import DEFAULT_REQUIRED_CLAIMS, TrustedIssuer, Verifier

__version__ = "0.1.0"

#: where a service that mints publishes its public keys
JWKS_PATH = "/.well-known/jwks.json"

__all__ = [
    "ALGORITHMS",
    "DEFAULT_HEADER",
    "DEFAULT_REQUIRED_CLAIMS",
    "DEFAULT_TTL",
    "JWKS_CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "JWKS_PATH",
    "PROBLEM_CONTENT_TYPE",
    "Actor",
    "AlgorithmNotAllowed",
    "AuthenticationError",
    "BadSignature",
    "ConfigProblem",
    "ConfigurationError",
    "Decision",
    "DuplicateKeyId",
    "DuplicateToken",
    "ForbiddenHeader",
    "HeaderGetter",
    "HostAllowList",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidIssuer",
    "InvalidKey",
    "InvalidType",
    "IssuedInFuture",
    "Key",
    "KeyRing",
    "KeySource",
    "KeyUsageForbidden",
    "KeysLike",
    "KeysUnavailable",
    "LifetimeTooLong",
    "MalformedToken",
    "Minter",
    "MintingError",
    "MissingClaim",
    "MissingToken",
    "NoPassport",
    "OIDCDiscovery",
    "Passport",
    "PassportAuth",
    "PassportConfig",
    "PassportError",
    "PassportGate",
    "PermissionDenied",
    "Policy",
    "PrivateKeyInPublicSet",
    "ProblemResponse",
    "RemoteJWKS",
    "StaticKeys",
    "TokenExpired",
    "TokenLocation",
    "TokenNotYetValid",
    "TokenTooLarge",
    "TrustedIssuer",
    "UnknownKey",
    "UnsupportedCritical",
    "Verifier",
    "WeakKey",
    "__version__",
    "all_of",
    "any_of",
    "as_key_source",
    "claims",
    "current_passport",
    "extract_token",
    "fetch_jwks",
    "fingerprint",
    "generate_key",
    "get_passport",
    "load_jwks",
    "load_key",
    "load_key_env",
    "load_key_file",
    "passport_async_client",
    "passport_client",
    "problem_response",
    "public_jwks",
    "require",
    "require_object",
    "require_permission",
    "require_role",
    "require_scope",
    "reset_passport",
    "set_passport",
    "use_passport",
]
