"""OIDCAuthenticator against a real discovery document and JWKS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import pytest

from passport_core import (
    Authenticator,
    ClaimMapping,
    ConfigurationError,
    Edge,
    EdgeRequest,
    IdentityProviderUnavailable,
    InvalidCredential,
    Key,
    KeyRing,
    Minter,
    OIDCAuthenticator,
    OIDCDiscovery,
    PassportError,
    Verifier,
    generate_key,
)
from passport_core.token.encoding import b64url_decode, b64url_encode
from tests.core.conftest import JWKSServer, Reply, forge_token
from tests.core.edge.conftest import EdgeFor, Run, drop, issue, times

API = "https://api.test"


def access_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    """RFC 9068 §2.2 claims of a good access token, with overrides (``...`` drops one)."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "user-42",
        "aud": API,
        "client_id": "web-app",
        "jti": "at-1",
        "scope": "orders:read orders:write",
        **times(),
    }
    claims.update(overrides)
    return drop(claims)


def oidc(provider: JWKSServer, **options: Any) -> OIDCAuthenticator:
    options.setdefault("audience", API)
    return OIDCAuthenticator(provider.base_url, timeout=0.5, **options)


# --- a good token ---------------------------------------------------------------------------------


def test_a_good_access_token_becomes_an_identity(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    token_claims = access_claims(
        provider.base_url,
        amr=["pwd", "otp"],
        acr="urn:example:mfa",
        auth_time=int(time.time()) - 60,
        realm_access={"roles": ["admin"]},
        roles=["reader"],
        tenant_id="acme",
        email="ada@example.com",
        name="Ada",
    )
    mapping = ClaimMapping(roles=("roles", ("realm_access", "roles")), tenant="tenant_id")
    identity = authenticate(oidc(provider, claims=mapping), issue(idp_key, token_claims))

    assert identity.subject == "user-42"
    assert identity.method == "oidc"
    assert identity.issuer == provider.base_url
    assert identity.auth_methods == ("pwd", "otp")
    assert identity.auth_context == "urn:example:mfa"
    assert identity.auth_time == token_claims["auth_time"]
    assert identity.expires_at == token_claims["exp"]
    assert identity.common.roles == {"reader", "admin"}
    assert identity.common.scopes == {"orders:read", "orders:write"}
    assert identity.common.tenant == "acme"
    assert dict(identity.common.profile) == {"email": "ada@example.com", "name": "Ada"}
    assert identity.attributes["client_id"] == "web-app"


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        pytest.param({"scope": "a b"}, {"a", "b"}, id="scope-string"),
        pytest.param({"scope": ..., "scp": ["a", "b"]}, {"a", "b"}, id="scp-list-okta"),
        pytest.param({"scope": ..., "scp": "a b"}, {"a", "b"}, id="scp-string-entra"),
        pytest.param({"scope": ...}, set(), id="none"),
    ],
)
def test_scopes_are_read_from_scope_or_scp(
    claims: dict[str, Any], scopes: set[str], provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    token = issue(idp_key, access_claims(provider.base_url, **claims))
    assert authenticate(oidc(provider), token).common.scopes == scopes


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT"])
def test_both_spellings_of_the_access_token_type_pass(
    typ: str, provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    token = issue(idp_key, access_claims(provider.base_url), typ=typ)
    assert authenticate(oidc(provider), token).subject == "user-42"


def test_an_rsa_key_of_the_provider_verifies_too(
    provider: JWKSServer, idp_rsa_key: Key, authenticate: Run
) -> None:
    token = issue(idp_rsa_key, access_claims(provider.base_url))
    assert authenticate(oidc(provider), token).subject == "user-42"


def test_a_mapped_claim_of_the_wrong_shape_is_refused(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    token = issue(idp_key, access_claims(provider.base_url, groups="admins"))
    with pytest.raises(InvalidCredential, match="'groups' claim must be a list"):
        authenticate(oidc(provider, claims=ClaimMapping(roles="groups")), token)


# --- bad tokens: 401, and the token never in a message or a log -----------------------------------


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "admin"
    return ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])


def _hs256_with_public_key(key: Key, claims: dict[str, Any]) -> str:
    # RFC 8725 §2.1: the HMAC secret is the provider's public key, which anyone has.
    secret = key.public().to_pem()
    head = b64url_encode(json.dumps({"alg": "HS256", "kid": key.kid, "typ": "at+jwt"}).encode())
    body = b64url_encode(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url_encode(mac)}"


BAD_TOKENS = {
    "wrong-issuer": lambda key, iss: issue(key, access_claims("https://evil.test")),
    "wrong-audience": lambda key, iss: issue(key, access_claims(iss, aud="https://other.test")),
    "alg-none": lambda key, iss: forge_token(
        {"alg": "none", "kid": key.kid, "typ": "at+jwt"}, access_claims(iss)
    ),
    "hs256-with-the-public-key": lambda key, iss: _hs256_with_public_key(key, access_claims(iss)),
    "expired": lambda key, iss: issue(
        key, access_claims(iss, iat=int(time.time()) - 900, exp=int(time.time()) - 600)
    ),
    "a-passport": lambda key, iss: issue(key, access_claims(iss), typ="passport+jwt"),
    "an-id-token": lambda key, iss: issue(key, access_claims(iss, client_id=...), typ="JWT"),
    "no-typ": lambda key, iss: issue(key, access_claims(iss), typ=...),
    "tampered": lambda key, iss: _tampered(issue(key, access_claims(iss))),
    "no-client-id": lambda key, iss: issue(key, access_claims(iss, client_id=...)),
    "no-jti": lambda key, iss: issue(key, access_claims(iss, jti=...)),
    "unknown-kid": lambda key, iss: forge_token(
        {"alg": "ES256", "kid": "stranger", "typ": "at+jwt"},
        access_claims(iss),
        generate_key("ES256", kid="stranger"),
    ),
    # RFC 9449 §7.1: a DPoP-bound token used without its proof is refused
    "sender-constrained": lambda key, iss: issue(key, access_claims(iss, cnf={"jkt": "0ZcO"})),
    "lives-too-long": lambda key, iss: issue(key, access_claims(iss, **times(3 * 86400))),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_a_401_that_never_shows_the_token(
    case: str,
    provider: JWKSServer,
    idp_key: Key,
    edge_for: EdgeFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = BAD_TOKENS[case](idp_key, provider.base_url)
    edge = edge_for(oidc(provider))
    request = EdgeRequest.from_headers({"Authorization": f"Bearer {token}"})
    caplog.set_level(logging.DEBUG)

    for mint in (edge.mint, lambda r: asyncio.run(edge.amint(r))):
        with pytest.raises(PassportError) as info:
            mint(request)
        error = info.value
        assert type(error) is InvalidCredential, f"{type(error).__name__}: {error}"
        assert (error.code, error.status) == ("invalid_credential", 401)
        assert "passport" not in error.message or case == "a-passport"
        signature = token.rsplit(".", 1)[-1]
        for secret in {token, signature} - {""}:
            assert secret not in error.message
            assert secret not in caplog.text
    assert "credential refused: code=invalid_credential method=oidc" in caplog.text


def test_hs256_with_the_public_key_fails_even_when_hs256_is_allowed(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    # RFC 8725 §3.1: the key decides the algorithm, never the token.
    authenticator = oidc(provider, algorithms=("ES256", "HS256"))
    token = _hs256_with_public_key(idp_key, access_claims(provider.base_url))
    with pytest.raises(InvalidCredential, match="does not match the key's algorithm"):
        authenticate(authenticator, token)


def test_the_message_says_why(provider: JWKSServer, idp_key: Key, authenticate: Run) -> None:
    token = issue(idp_key, access_claims(provider.base_url), typ="passport+jwt")
    with pytest.raises(InvalidCredential, match=r"access token.*'typ' must be 'at\+jwt'"):
        authenticate(oidc(provider), token)


def test_only_the_accepted_clients_pass(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    authenticator = oidc(provider, clients={"mobile-app"})
    with pytest.raises(InvalidCredential, match="client not accepted"):
        authenticate(authenticator, issue(idp_key, access_claims(provider.base_url)))
    token = issue(idp_key, access_claims(provider.base_url, client_id="mobile-app"))
    assert authenticate(authenticator, token).subject == "user-42"


# --- ID tokens ------------------------------------------------------------------------------------


def id_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    return drop({"iss": issuer, "sub": "user-7", "aud": "edge-app", **times(), **overrides})


@pytest.mark.parametrize("typ", ["JWT", ...], ids=["JWT", "absent"])
def test_an_id_token_passes_where_id_tokens_are_configured(
    typ: Any, provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    authenticator = OIDCAuthenticator(provider.base_url, kind="id_token", client_id="edge-app")
    identity = authenticate(authenticator, issue(idp_key, id_claims(provider.base_url), typ=typ))
    assert identity.subject == "user-7"


@pytest.mark.parametrize(
    ("claims", "typ", "reason"),
    [
        pytest.param({}, "at+jwt", "'typ' must be 'JWT' or absent", id="an-access-token"),
        pytest.param({}, "passport+jwt", "'typ' must be", id="a-passport"),
        pytest.param({"aud": "other-app"}, "JWT", "not meant for", id="another-client"),
        pytest.param(
            {"aud": ["edge-app", "other-app"]}, "JWT", "no 'azp'", id="several-aud-no-azp"
        ),
        pytest.param({"azp": "other-app"}, "JWT", "'azp' is another client", id="azp-other"),
    ],
)
def test_a_bad_id_token_is_refused(
    claims: dict[str, Any],
    typ: str,
    reason: str,
    provider: JWKSServer,
    idp_key: Key,
    authenticate: Run,
) -> None:
    authenticator = OIDCAuthenticator(provider.base_url, kind="id_token", client_id="edge-app")
    token = issue(idp_key, id_claims(provider.base_url, **claims), typ=typ)
    with pytest.raises(InvalidCredential, match=reason):
        authenticate(authenticator, token)


def test_several_audiences_pass_with_azp_naming_this_client(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    authenticator = OIDCAuthenticator(provider.base_url, kind="id_token", client_id="edge-app")
    claims = id_claims(provider.base_url, aud=["edge-app", "other"], azp="edge-app")
    assert authenticate(authenticator, issue(idp_key, claims, typ="JWT")).subject == "user-7"


# --- the provider down or slow: 503 within the bound ----------------------------------------------


def test_a_provider_that_refuses_connections_is_a_503(
    closed_port_url: str, idp_key: Key, authenticate: Run
) -> None:
    issuer = closed_port_url.removesuffix("/jwks.json")
    authenticator = OIDCAuthenticator(issuer, audience=API, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(IdentityProviderUnavailable) as info:
        authenticate(authenticator, issue(idp_key, access_claims(issuer)))
    assert info.value.status == 503
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/jwks.json"])
def test_a_slow_provider_is_a_503_within_the_timeout(
    path: str, provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    slow = Reply.json({"keys": [idp_key.public().to_jwk()]}, delay=5)
    if path != "/jwks.json":
        slow = Reply.json({"issuer": provider.base_url, "jwks_uri": provider.url()}, delay=5)
    provider.set(path, slow)
    authenticator = oidc(provider)
    started = time.monotonic()
    with pytest.raises(IdentityProviderUnavailable, match="unavailable"):
        authenticate(authenticator, issue(idp_key, access_claims(provider.base_url)))
    # OIDCDiscovery: at most three requests (discovery, JWKS, rediscovery) of 0.5 s each.
    assert time.monotonic() - started < 3 * 0.5 + 1


# --- through the edge: the passport ---------------------------------------------------------------


def test_the_edge_mints_a_passport_that_never_outlives_the_token(
    provider: JWKSServer,
    idp_key: Key,
    edge_for: EdgeFor,
    passport_verifier: Verifier,
) -> None:
    claims = access_claims(provider.base_url, roles=["reader"], **times(90))
    edge = edge_for(oidc(provider))
    request = EdgeRequest.from_headers({"Authorization": f"Bearer {issue(idp_key, claims)}"})

    minted = edge.mint(request)
    passport = passport_verifier.verify(minted.token)

    assert passport.subject == "user-42"
    assert passport.roles == {"reader"}
    assert passport.scopes == {"orders:read", "orders:write"}
    assert passport.expires_at.timestamp() <= claims["exp"]
    assert asyncio.run(edge.amint(request)).cached


def test_the_token_may_come_in_another_header(
    provider: JWKSServer, idp_key: Key, edge_for: EdgeFor
) -> None:
    edge = edge_for(oidc(provider, header="X-Access-Token"))
    token = issue(idp_key, access_claims(provider.base_url))
    assert edge.mint(EdgeRequest.from_headers({"X-Access-Token": token})).subject == "user-42"


def test_a_new_kid_of_the_provider_is_fetched(
    provider: JWKSServer, idp_key: Key, authenticate: Run
) -> None:
    # No wait between the two fetches (the default allows one such refetch per 5 s).
    keys = OIDCDiscovery(provider.base_url, unknown_kid_interval=0)
    authenticator = oidc(provider, keys=keys)
    assert authenticate(authenticator, issue(idp_key, access_claims(provider.base_url)))
    rotated = generate_key("ES256", kid="idp-2")
    provider.set_jwks({"keys": [rotated.public().to_jwk(), idp_key.public().to_jwk()]})

    assert authenticate(authenticator, issue(rotated, access_claims(provider.base_url)))
    assert provider.hits("/jwks.json") == 2


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="access-token-without-audience"),
        pytest.param({"audience": API, "client_id": "x"}, id="client-id-for-access-tokens"),
        pytest.param({"kind": "id_token"}, id="id-token-without-client-id"),
        pytest.param(
            {"kind": "id_token", "client_id": "x", "audience": API}, id="id-token-audience"
        ),
        pytest.param({"kind": "refresh_token", "audience": API}, id="unknown-kind"),
        pytest.param({"audience": API, "clients": "web-app"}, id="clients-as-a-string"),
    ],
)
def test_misconfiguration_is_refused_at_setup(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        OIDCAuthenticator("https://login.test", **options)


def test_repr_names_issuer_and_audience_only() -> None:
    authenticator = OIDCAuthenticator("https://login.test", audience=API)
    assert repr(authenticator) == (
        "OIDCAuthenticator(name='oidc', issuer='https://login.test', audience=['https://api.test'])"
    )


def test_it_is_an_authenticator_the_edge_accepts(edge_ring: KeyRing) -> None:
    authenticator = OIDCAuthenticator("https://login.test", audience=API)
    assert isinstance(authenticator, Authenticator)
    minter = Minter(edge_ring, issuer="https://edge.test")
    assert Edge(minter, authenticators=[authenticator], audiences=["orders"])
