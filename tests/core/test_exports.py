"""The public API is locked: ``passport_core.__all__`` and the error tree change only on purpose."""

from __future__ import annotations

import inspect
import re

import pytest

import passport_core
from passport_core import errors

#: Adding or removing a public name is an API change: update this set in the same commit.
EXPECTED_ALL = {
    # keys and key sources
    "ALGORITHMS",
    "Key",
    "KeyRing",
    "KeySource",
    "KeysLike",
    "StaticKeys",
    "RemoteJWKS",
    "OIDCDiscovery",
    "as_key_source",
    "fetch_jwks",
    "generate_key",
    "load_jwks",
    "load_key",
    "load_key_env",
    "load_key_file",
    "public_jwks",
    "JWKS_PATH",
    "JWKS_MAX_AGE",
    "KeyState",
    "RingKey",
    "DEFAULT_PUBLISH_DELAY",
    "DEFAULT_MAX_TOKEN_LIFETIME",
    "DEFAULT_RETIRE_LEEWAY",
    # minting and verification
    "DEFAULT_TTL",
    "Minter",
    "DEFAULT_REQUIRED_CLAIMS",
    "TrustedIssuer",
    "Verifier",
    # the passport
    "Actor",
    "Passport",
    "claims",
    "fingerprint",
    # policy
    "Decision",
    "Policy",
    "all_of",
    "any_of",
    "require",
    "require_object",
    "require_permission",
    "require_role",
    "require_scope",
    # context
    "get_passport",
    "get_passport_or_raise",
    "reset_passport",
    "set_passport",
    "use_passport",
    # adapters' shared helpers and propagation
    "DEFAULT_HEADER",
    "HeaderGetter",
    "HostAllowList",
    "JWKS_CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "jwks_cache_control",
    "PROBLEM_CONTENT_TYPE",
    "PassportAuth",
    "PassportConfig",
    "PassportGate",
    "ProblemResponse",
    "TokenLocation",
    "asgi_header_getter",
    "asgi_token",
    "environ_header_getter",
    "environ_token",
    "extract_token",
    "passport_async_client",
    "passport_client",
    "problem_response",
    # errors
    "PassportError",
    "AuthenticationError",
    "MissingToken",
    "MalformedToken",
    "DuplicateToken",
    "TokenTooLarge",
    "ForbiddenHeader",
    "UnsupportedCritical",
    "InvalidType",
    "AlgorithmNotAllowed",
    "UnknownKey",
    "BadSignature",
    "InvalidClaim",
    "MissingClaim",
    "InvalidIssuer",
    "InvalidAudience",
    "TokenExpired",
    "TokenNotYetValid",
    "IssuedInFuture",
    "LifetimeTooLong",
    "PermissionDenied",
    "KeysUnavailable",
    "ConfigProblem",
    "ConfigurationError",
    "InvalidKey",
    "WeakKey",
    "DuplicateKeyId",
    "PrivateKeyInPublicSet",
    "KeyUsageForbidden",
    "MintingError",
    "RotationError",
    "RotationNotDue",
    "NoPassport",
    "EnrichmentFailed",
    "ExchangeError",
    "InvalidClient",
    "InvalidGrant",
    "InvalidSubjectToken",
    "InvalidRequest",
    "InvalidScope",
    "InvalidExchangeProof",
    "InvalidTarget",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "IdentityProviderUnavailable",
    "InsufficientAuthentication",
    "InvalidCredential",
    "MissingCredential",
    "PassportTooLarge",
    "Unavailable",
    # the edge
    "Edge",
    "EdgeRequest",
    "Identity",
    "Audience",
    "CommonData",
    "Authenticator",
    "CredentialLocation",
    "APIKey",
    "APIKeyAuthenticator",
    "api_key_digest",
    "Enricher",
    "FunctionEnricher",
    "enricher",
    "MintCache",
    "Minted",
    "MintEndpoint",
    # token exchange (RFC 8693), the token service side
    "ClientRegistry",
    "ExchangeResult",
    "ExchangeRules",
    "ServiceClient",
    "TokenExchangeEndpoint",
    "TokenExchangeWSGI",
    "TokenRequest",
    "TokenService",
    # mutual-TLS client authentication behind a proxy (RFC 8705 §2, RFC 9440)
    "CertificateSubject",
    "ClientCertHeader",
    "ClientCertificate",
    "PassportAction",
    "PASSPORT_ACTION_HEADER",
    "OMITTED_CLAIM",
    "passport_budget",
    "MAX_TOKEN_BYTES",
    "require_authentication",
    # the edge's JWT authenticators: OpenID Connect, gateway assertions
    "JWTAuthenticator",
    "OIDCAuthenticator",
    "ClaimMapping",
    "cloudflare_access",
    "google_iap",
    "pomerium",
    "EdgeGateway",
    "Upstream",
    "RingFile",
    # the topmost service mints: the edge in-process, behind the gate interface
    "Gate",
    "EdgeGate",
    "minted_passport",
    # several passports, one view
    "Companion",
    "Companions",
    "PassportBundle",
    "companion_claims",
    "request_binding",
    "MissingCompanion",
    "CompanionMismatch",
    "IntrospectionAuthenticator",
    "HTTPEnricher",
    # delegation: who acted for whom (the act chain)
    "require_actor",
    "require_chain",
    "require_direct",
    "max_delegation_depth",
    # Transaction Tokens (draft-ietf-oauth-transaction-tokens-10)
    "TXN_TOKEN_CLAIMS",
    "TXN_TOKEN_HEADER",
    "TXN_TOKEN_TYPE",
    "TransactionTokenMinter",
    "TransactionTokens",
    "TxnToken",
    "TxnTokenClient",
    "TxnTokenService",
    "TxnWorkload",
    # metadata
    "__version__",
    # sender-constrained passports: cnf.jkt and DPoP proofs (RFC 9449)
    "BINDING_MODES",
    "DPOP_HEADER",
    "InvalidProof",
    "MemoryReplayCache",
    "MissingProof",
    "PassportNotBound",
    "ProofBinding",
    "ProofReplayed",
    "ProofVerifier",
    "ReplayCache",
    "RedisReplayCache",
    "RedisRevocations",
    "ReplayCacheUnavailable",
    "RequestTarget",
    "VerifiedProof",
    "confirmation",
    "jwk_thumbprint",
    "make_proof",
    "passport_jkt",
    # revocation: passports taken back before they expire
    "MemoryRevocations",
    "PassportRevoked",
    "Revocation",
    "RevocationAdmin",
    "RevocationEndpoint",
    "RevocationList",
    "RevocationStore",
    "RevocationUnavailable",
    "RevocationWSGI",
    # start-up: keys loaded before the first request
    "warm_path_of",
    "warm_up_gate",
    "awarm_up_gate",
    # token exchange on outbound calls (RFC 8693)
    "ExchangeClient",
    "Exchanged",
    "ExchangeRefused",
    "ExchangeUnavailable",
    "HostAudiences",
    # encrypted passports (nested JWE, RFC 7519 §5.2)
    "Decrypter",
    "EncryptedPassport",
    "Encrypter",
}

ERROR_CLASSES = sorted(
    (
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, errors.PassportError)
    ),
    key=lambda cls: cls.__name__,
)


def test_all_is_exactly_the_expected_public_api() -> None:
    assert len(passport_core.__all__) == len(set(passport_core.__all__))
    assert sorted(passport_core.__all__) == sorted(EXPECTED_ALL)


def test_every_exported_name_is_importable() -> None:
    namespace: dict[str, object] = {}
    exec("from passport_core import *", namespace)  # noqa: S102 - the star import is the test
    for name in EXPECTED_ALL:
        assert getattr(passport_core, name) is namespace[name]


def test_no_public_name_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(passport_core).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public <= set(passport_core.__all__)


def test_version_is_a_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", passport_core.__version__)


def test_every_error_class_is_exported() -> None:
    assert {cls.__name__ for cls in ERROR_CLASSES} == set(errors.__all__)
    for cls in ERROR_CLASSES:
        assert getattr(passport_core, cls.__name__) is cls
        assert cls.__name__ in passport_core.__all__


def test_every_error_has_a_unique_stable_code() -> None:
    codes = [cls.code for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z][a-z_]*[a-z]", code)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_status_follows_the_branch_of_the_tree(cls: type[errors.PassportError]) -> None:
    if issubclass(cls, errors.AuthenticationError):
        assert cls.status == 401
    elif issubclass(cls, errors.PermissionDenied):
        assert cls.status == 403
    elif issubclass(cls, errors.Unavailable):
        assert cls.status == 503
    elif issubclass(cls, errors.ExchangeError):
        # RFC 6749 §5.2: 400, except invalid_client (401)
        assert cls.status == (401 if cls is errors.InvalidClient else 400)
    else:
        assert cls.status == 500


def test_statuses_of_the_branches() -> None:
    assert errors.AuthenticationError.status == 401
    assert errors.PermissionDenied.status == 403
    assert errors.Unavailable.status == 503
    assert errors.ConfigurationError.status == 500
    assert errors.NoPassport.status == 500


def test_an_error_raised_while_serving_is_no_configuration_error() -> None:
    # ConfigurationError means "raised when configured, never while serving"; an edge raises
    # MintingError per request, so a handler catching ConfigurationError at start-up must not
    # swallow it (issue 6).
    assert not issubclass(errors.MintingError, errors.ConfigurationError)
    assert errors.MintingError.__bases__ == (errors.PassportError,)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_error_message_default_and_custom(cls: type[errors.PassportError]) -> None:
    default = cls()
    assert default.message == cls.default_message
    assert default.message
    assert str(default) == default.message
    assert repr(default) == f"{cls.__name__}(code={cls.code!r}, message={default.message!r})"
    custom = cls("something specific")
    assert (custom.message, str(custom)) == ("something specific", "something specific")
    assert isinstance(custom, errors.PassportError)
    assert isinstance(custom, Exception)


_TREE_LINE = re.compile(
    r"^(?P<prefix>[ │├└─]*)(?P<name>[A-Z]\w+)(?: \((?P<status>\d{3})\))?(?:\s+(?P<code>[a-z_]+))?$"
)


def _documented_tree() -> list[tuple[int, str, int | None, str | None]]:
    doc = errors.__doc__ or ""
    lines = doc[doc.index("    PassportError") :].split("\n\n")[0].splitlines()
    tree = []
    for line in lines:
        match = _TREE_LINE.match(line.rstrip())
        assert match, line
        depth = (len(match["prefix"]) - 4) // 4
        status = int(match["status"]) if match["status"] else None
        code = match["code"] if match["code"] != "code" else None  # the column heading
        tree.append((depth, match["name"], status, code))
    return tree


def test_the_documented_error_tree_matches_the_classes() -> None:
    tree = _documented_tree()
    assert {name for _, name, _, _ in tree} == {cls.__name__ for cls in ERROR_CLASSES}
    parents: list[type[errors.PassportError]] = []
    for depth, name, status, code in tree:
        cls = getattr(errors, name)
        del parents[depth:]
        if parents:
            assert cls.__bases__ == (parents[-1],), name
        if status is not None:
            assert cls.status == status, name
        if code is not None:
            assert cls.code == code, name
        parents.append(cls)
