"""Gateway presets: tokens shaped like each gateway's own, keys on a loopback JWKS server."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from passport_core import (
    ConfigurationError,
    EdgeRequest,
    IdentityProviderUnavailable,
    InvalidCredential,
    JWTAuthenticator,
    Key,
    cloudflare_access,
    google_iap,
    pomerium,
)
from tests.core.conftest import JWKSServer
from tests.core.edge.conftest import EdgeFor, Run, drop, issue, times

CF_AUD = "32eafc7626e974616deaf0dc3ce63d7bcbed58a2731e84d06bc3cdf1b53c4228"
IAP_AUD = "/projects/123456789/global/backendServices/987654321"
ROUTE = "app.corp.test"


@dataclass(frozen=True)
class Gateway:
    """One gateway: how to configure its preset and what its assertions look like."""

    name: str
    alg: str
    header: str
    make: Callable[[str], JWTAuthenticator]  # jwks_url -> authenticator
    claims: Callable[[], dict[str, Any]]
    #: the identity the claims establish: subject, roles, profile
    subject: str
    roles: frozenset[str]
    profile: dict[str, Any]
    #: an audience of another application of the same gateway
    other_audience: Any


def _cloudflare_claims() -> dict[str, Any]:
    # The shape of "Application token" in Cloudflare's documentation.
    return {
        "aud": [CF_AUD],
        "email": "user@example.com",
        "nbf": int(time.time()),
        "iss": "https://yourteam.cloudflareaccess.com",
        "type": "app",
        "identity_nonce": "6ei69kawdKzMIAPF",
        "sub": "7335d417-61da-459d-899c-0a01c76a2f94",
        "country": "US",
        **times(60),
    }


def _iap_claims() -> dict[str, Any]:
    return {
        "aud": IAP_AUD,
        "email": "ada@example.com",
        "sub": "accounts.google.com:113458973425374857397",
        "hd": "example.com",
        "iss": "https://cloud.google.com/iap",
        "google": {"access_levels": ["accessPolicies/1/accessLevels/corp"]},
        **times(600),
    }


def _pomerium_claims() -> dict[str, Any]:
    return {
        "aud": ROUTE,
        "iss": ROUTE,
        "email": "grace@example.com",
        "groups": ["engineering", "oncall"],
        "user": "grace",
        "name": "Grace",
        "sub": "00u1abcd",
        "jti": "b7e5f1c4",
        **times(300),
    }


GATEWAYS = [
    Gateway(
        "cloudflare_access",
        "RS256",
        "Cf-Access-Jwt-Assertion",
        lambda url: cloudflare_access("yourteam", CF_AUD, jwks_url=url),
        _cloudflare_claims,
        "7335d417-61da-459d-899c-0a01c76a2f94",
        frozenset(),
        {"email": "user@example.com", "country": "US"},
        ["another-application-aud-tag"],
    ),
    Gateway(
        "google_iap",
        "ES256",
        "x-goog-iap-jwt-assertion",
        lambda url: google_iap(IAP_AUD, jwks_url=url),
        _iap_claims,
        "accounts.google.com:113458973425374857397",
        frozenset(),
        {"email": "ada@example.com", "domain": "example.com"},
        "/projects/123456789/apps/other-project",
    ),
    Gateway(
        "pomerium",
        "ES256",
        "X-Pomerium-Jwt-Assertion",
        lambda url: pomerium(ROUTE, jwks_url=url),
        _pomerium_claims,
        "00u1abcd",
        frozenset({"engineering", "oncall"}),
        {"email": "grace@example.com", "name": "Grace", "user": "grace"},
        "other.corp.test",
    ),
]


@pytest.fixture(params=GATEWAYS, ids=[g.name for g in GATEWAYS])
def gateway(request: pytest.FixtureRequest) -> Gateway:
    gateway: Gateway = request.param
    return gateway


@pytest.fixture
def gateway_key(gateway: Gateway, key_of_alg: Callable[[str], Key]) -> Key:
    return key_of_alg(gateway.alg)


@pytest.fixture
def served(gateway: Gateway, gateway_key: Key, jwks_server: JWKSServer) -> JWTAuthenticator:
    """The gateway's preset, its keys served on 127.0.0.1 (Cloudflare adds PEM members)."""
    document: dict[str, Any] = {"keys": [gateway_key.public().to_jwk()]}
    if gateway.name == "cloudflare_access":
        pem = gateway_key.public().to_pem().decode()
        document["public_cert"] = {"kid": gateway_key.kid, "cert": pem}
        document["public_certs"] = [{"kid": gateway_key.kid, "cert": pem}]
    return gateway.make(jwks_server.set_jwks(document))


def assertion(gateway: Gateway, key: Key, **overrides: Any) -> str:
    header = {"typ": "JWT"} if gateway.name != "pomerium" else {"typ": ...}
    header.update(overrides.pop("header", {}))
    return issue(key, drop({**gateway.claims(), **overrides}), **header)


def test_a_gateway_assertion_becomes_an_identity(
    gateway: Gateway, gateway_key: Key, served: JWTAuthenticator, authenticate: Run
) -> None:
    identity = authenticate(served, assertion(gateway, gateway_key))

    assert identity.subject == gateway.subject
    assert identity.method == gateway.name
    assert identity.common.roles == gateway.roles
    assert dict(identity.common.profile) == gateway.profile


@pytest.mark.parametrize("typ", ["JWT", ...], ids=["JWT", "absent"])
def test_typ_jwt_or_none_passes(
    typ: Any, gateway: Gateway, gateway_key: Key, served: JWTAuthenticator, authenticate: Run
) -> None:
    token = assertion(gateway, gateway_key, header={"typ": typ})
    assert authenticate(served, token).subject == gateway.subject


def test_the_edge_reads_the_gateways_header_only(
    gateway: Gateway, gateway_key: Key, served: JWTAuthenticator, edge_for: EdgeFor
) -> None:
    token = assertion(gateway, gateway_key)
    edge = edge_for(served)
    assert edge.mint(EdgeRequest.from_headers({gateway.header: token})).subject == gateway.subject
    assert served.credential(EdgeRequest.from_headers({"Authorization": f"Bearer {token}"})) is None
    assert served.credential(EdgeRequest.from_headers({"X-Other-Assertion": token})) is None


@pytest.mark.parametrize(
    "case",
    ["wrong-alg", "wrong-aud", "wrong-issuer", "a-passport", "an-access-token", "expired"],
)
def test_a_bad_assertion_is_refused(
    case: str,
    gateway: Gateway,
    gateway_key: Key,
    served: JWTAuthenticator,
    authenticate: Run,
    key_of_alg: Callable[[str], Key],
) -> None:
    if case == "wrong-alg":
        other = key_of_alg("ES256" if gateway.alg == "RS256" else "RS256")
        token = issue(other, drop({**gateway.claims()}), kid=gateway_key.kid, typ="JWT")
    elif case == "wrong-aud":
        token = assertion(gateway, gateway_key, aud=gateway.other_audience)
    elif case == "wrong-issuer":
        token = assertion(gateway, gateway_key, iss="https://evil.test")
    elif case == "a-passport":
        token = assertion(gateway, gateway_key, header={"typ": "passport+jwt"})
    elif case == "an-access-token":
        token = assertion(gateway, gateway_key, header={"typ": "at+jwt"})
    else:
        now = int(time.time())
        token = assertion(gateway, gateway_key, iat=now - 900, exp=now - 300, nbf=...)
    with pytest.raises(InvalidCredential) as info:
        authenticate(served, token)
    assert info.value.status == 401
    assert token not in info.value.message


def test_iap_assertions_live_at_most_ten_minutes_and_the_skew(
    key_of_alg: Callable[[str], Key], jwks_server: JWKSServer, authenticate: Run
) -> None:
    key = key_of_alg("ES256")
    url = jwks_server.set_jwks({"keys": [key.public().to_jwk()]})
    token = issue(key, {**_iap_claims(), **times(900)}, typ="JWT")
    with pytest.raises(InvalidCredential, match="lives longer than 660 s"):
        authenticate(google_iap(IAP_AUD, jwks_url=url), token)


def test_cloudflare_service_token_assertions_are_refused(
    key_of_alg: Callable[[str], Key], jwks_server: JWKSServer, authenticate: Run
) -> None:
    key = key_of_alg("RS256")
    authenticator = cloudflare_access(
        "yourteam", CF_AUD, jwks_url=jwks_server.set_jwks({"keys": [key.public().to_jwk()]})
    )
    claims = {**_cloudflare_claims(), "sub": "", "common_name": "abc.access", "email": ...}
    with pytest.raises(InvalidCredential, match="'sub' claim must not be empty"):
        authenticate(authenticator, issue(key, drop(claims), typ="JWT"))


def test_unreachable_gateway_keys_are_a_503(
    gateway: Gateway, gateway_key: Key, closed_port_url: str, authenticate: Run
) -> None:
    started = time.monotonic()
    with pytest.raises(IdentityProviderUnavailable):
        authenticate(gateway.make(closed_port_url), assertion(gateway, gateway_key))
    assert time.monotonic() - started < 5


def test_the_presets_know_their_gateways_urls() -> None:
    cf = cloudflare_access("yourteam", CF_AUD)
    assert cf.issuer == "https://yourteam.cloudflareaccess.com"
    assert cf.keys.url == "https://yourteam.cloudflareaccess.com/cdn-cgi/access/certs"  # type: ignore[attr-defined]
    assert (cf.header, cf.algorithms) == ("Cf-Access-Jwt-Assertion", {"RS256"})
    iap = google_iap("/projects/1/apps/my-project")
    assert iap.issuer == "https://cloud.google.com/iap"
    assert iap.keys.url == "https://www.gstatic.com/iap/verify/public_key-jwk"  # type: ignore[attr-defined]
    assert (iap.header, iap.algorithms) == ("x-goog-iap-jwt-assertion", {"ES256"})
    pom = pomerium(ROUTE, authenticate_host="authenticate.corp.test")
    assert (pom.issuer, pom.audiences) == (ROUTE, {ROUTE})
    assert pom.keys.url == "https://authenticate.corp.test/.well-known/pomerium/jwks.json"  # type: ignore[attr-defined]
    assert pomerium(ROUTE).keys.url == f"https://{ROUTE}/.well-known/pomerium/jwks.json"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: cloudflare_access("https://yourteam.cloudflareaccess.com", CF_AUD),
            id="cf-url-as-team",
        ),
        pytest.param(lambda: cloudflare_access("yourteam", ""), id="cf-empty-aud"),
        pytest.param(lambda: google_iap("123456789"), id="iap-bare-number"),
        pytest.param(lambda: google_iap("/projects/x/apps/y"), id="iap-project-name"),
        pytest.param(lambda: pomerium("https://app.corp.test"), id="pomerium-url"),
        pytest.param(lambda: pomerium("app.corp.test/path"), id="pomerium-path"),
    ],
)
def test_presets_refuse_audiences_of_the_wrong_form(make: Callable[[], Any]) -> None:
    with pytest.raises(ConfigurationError):
        make()
