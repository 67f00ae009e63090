"""The mint endpoint over real HTTP, as each gateway's auth hook asks it.

Envoy and Traefik cannot run here, so each test sends exactly what their documentation
says the gateway sends, to ``MintEndpoint`` under a real uvicorn, and checks the answer
against what the gateway does with it. nginx itself runs in ``tests/e2e/test_nginx_gateway``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from passport_core import (
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    APIKey,
    APIKeyAuthenticator,
    Audience,
    CommonData,
    Edge,
    EdgeRequest,
    Identity,
    KeyRing,
    MintEndpoint,
    Minter,
    Passport,
    Verifier,
    api_key_digest,
    enricher,
)
from tests.servers import asgi_server

pytestmark = pytest.mark.network

ISSUER = "https://edge.test"
KEY = "alice-key"
#: what every JWS in compact form starts with: a denial must carry none
JWS_START = "eyJ"


class RecordingAuthenticator(APIKeyAuthenticator):
    """API keys, remembering the original method and path each request arrived with."""

    def __init__(self) -> None:
        store = {api_key_digest(KEY): APIKey(api_key_digest(KEY), "alice")}
        super().__init__(store.get)
        self.seen: list[tuple[str, str]] = []

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        self.seen.append((request.method, request.path))
        return await super().aauthenticate(credential, request)


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.generate("EdDSA")


@pytest.fixture(scope="module")
def authenticator() -> RecordingAuthenticator:
    return RecordingAuthenticator()


@pytest.fixture(scope="module")
def endpoint(ring: KeyRing, authenticator: RecordingAuthenticator) -> MintEndpoint:
    @enricher()
    def directory(identity: Identity) -> CommonData:
        return CommonData(roles=frozenset({"clerk"}), tenant="acme")

    edge = Edge(
        Minter(ring, issuer=ISSUER),
        authenticators=[authenticator],
        enrichers=[directory],
        audiences=["orders", Audience("billing", fields={"tenant"})],
        use_cache=False,  # each request authenticates: the recorder sees what arrived
    )
    return MintEndpoint(edge)


@pytest.fixture(scope="module")
def base_url(endpoint: MintEndpoint) -> Iterator[str]:
    with asgi_server(endpoint) as url:
        yield url


@pytest.fixture
def http(base_url: str, authenticator: RecordingAuthenticator) -> Iterator[httpx.Client]:
    authenticator.seen.clear()
    with httpx.Client(base_url=base_url, timeout=5) as client:
        yield client


def verified(http: httpx.Client, answer: httpx.Response, audience: str) -> Passport:
    """The passport of a 200 answer, verified with the keys the endpoint publishes."""
    assert answer.status_code == 200, answer.text
    jwks = http.get(JWKS_PATH).json()
    verifier = Verifier(keys=jwks, issuer=ISSUER, audience=audience)
    return verifier.verify(answer.headers["x-passport"])


def assert_denied(answer: httpx.Response, status: int, code: str) -> None:
    """A denial the gateway hands to the client: problem details, no passport."""
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["code"] == code
    assert "x-passport" not in answer.headers
    assert JWS_START not in answer.text


# -- nginx auth_request ------------------------------------------------------------------------


def test_nginx_auth_request_gets_the_passport_in_a_200_header(
    http: httpx.Client, authenticator: RecordingAuthenticator
) -> None:
    # http://nginx.org/en/docs/http/ngx_http_auth_request_module.html: a 2xx allows the
    # request, auth_request_set copies $upstream_http_x_passport; 401/403 are denials.
    answer = http.get(
        "/auth",
        headers={
            "X-API-Key": KEY,
            "X-Original-URI": "/orders/7?page=2",
            "X-Original-Method": "DELETE",
            "X-Passport-Audience": "orders",
        },
    )
    passport = verified(http, answer, "orders")
    assert passport.subject == "alice"
    assert passport.roles == frozenset({"clerk"})
    assert answer.headers["cache-control"] == "no-store"
    assert answer.content == b""
    assert authenticator.seen == [("DELETE", "/orders/7?page=2")]


# -- Envoy ext_authz, HTTP service ------------------------------------------------------------


def test_envoy_check_request_at_path_prefix_plus_the_original_path(
    http: httpx.Client, authenticator: RecordingAuthenticator
) -> None:
    # Envoy's HttpService: the check request keeps the original method and goes to
    # path_prefix + the original path (query included), without the body; on 200 the
    # headers named in allowed_upstream_headers (X-Passport) join the upstream request.
    answer = http.post(
        "/auth/orders/42",
        params={"audience": "billing"},  # the client's query: never picks the audience
        headers={"X-API-Key": KEY, "Host": "shop.example", "Content-Length": "0"},
    )
    passport = verified(http, answer, "orders")
    assert passport.subject == "alice"
    assert authenticator.seen == [("POST", "/orders/42?audience=billing")]


def test_envoy_chooses_the_audience_with_headers_to_add(http: httpx.Client) -> None:
    answer = http.get(
        "/auth/invoices/1", headers={"X-API-Key": KEY, "X-Passport-Audience": "billing"}
    )
    passport = verified(http, answer, "billing")
    assert passport.tenant == "acme"
    assert passport.roles == frozenset()  # billing sees the tenant only


@pytest.mark.parametrize(
    ("headers", "status", "code", "challenge"),
    [
        pytest.param({}, 401, "missing_credential", 'Bearer realm="edge"', id="no-key"),
        pytest.param(
            {"X-API-Key": "guessed"},
            401,
            "invalid_credential",
            'Bearer realm="edge", error="invalid_token"',
            id="bad-key",
        ),
        pytest.param(
            {"X-API-Key": KEY, "X-Passport-Audience": "payroll"},
            403,
            "permission_denied",
            'Bearer realm="edge", error="insufficient_scope"',
            id="unknown-audience",
        ),
    ],
)
def test_envoy_denials_carry_status_challenge_and_body_for_the_client(
    http: httpx.Client, headers: dict[str, str], status: int, code: str, challenge: str
) -> None:
    # On a denial Envoy sends the client the check response's status, body and headers
    # (those allowed_client_headers names; WWW-Authenticate among them by default).
    answer = http.get("/auth/orders/42", headers=headers)
    assert_denied(answer, status, code)
    assert answer.headers["www-authenticate"].startswith(challenge)
    assert "guessed" not in answer.text + answer.headers["www-authenticate"]


@pytest.mark.parametrize("path", ["/auth", "/auth/orders/42"])
def test_a_head_check_answers_headers_only(http: httpx.Client, path: str) -> None:
    # Envoy forwards the original method, HEAD included (RFC 9110 §9.3.2: no content).
    allowed = http.head(path, headers={"X-API-Key": KEY})
    assert verified(http, allowed, "orders").subject == "alice"
    denied = http.head(path)
    assert denied.status_code == 401
    assert denied.content == b""
    assert int(denied.headers["content-length"]) > 0  # what a GET would carry


# -- Traefik ForwardAuth ---------------------------------------------------------------------


def test_traefik_forward_auth_reads_the_x_forwarded_headers(
    http: httpx.Client, authenticator: RecordingAuthenticator
) -> None:
    # https://doc.traefik.io/traefik/middlewares/http/forwardauth/: the original method,
    # host and URI arrive as X-Forwarded-Method / -Host / -Uri; a 2xx grants access and
    # authResponseHeaders (X-Passport) are copied onto the forwarded request.
    answer = http.get(
        "/auth",
        params={"audience": "orders"},  # the middleware's address: the gateway's own query
        headers={
            "X-API-Key": KEY,
            "X-Forwarded-Method": "PATCH",
            "X-Forwarded-Host": "shop.example",
            "X-Forwarded-Uri": "/orders/9",
            "X-Forwarded-Proto": "https",
        },
    )
    assert verified(http, answer, "orders").subject == "alice"
    assert authenticator.seen == [("PATCH", "/orders/9")]


def test_traefik_returns_the_denial_as_it_is(http: httpx.Client) -> None:
    # "Otherwise, the response from the authentication server is returned."
    answer = http.get("/auth", headers={"X-Forwarded-Uri": "/orders/9"})
    assert_denied(answer, 401, "missing_credential")
    assert answer.headers["www-authenticate"] == 'Bearer realm="edge"'


# -- the audience ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["query", "header"])
def test_the_audience_from_the_gateways_query_or_header(http: httpx.Client, where: str) -> None:
    if where == "query":
        answer = http.get("/auth", params={"audience": "billing"}, headers={"X-API-Key": KEY})
    else:
        answer = http.get("/auth", headers={"X-API-Key": KEY, "X-Passport-Audience": "billing"})
    assert verified(http, answer, "billing").tenant == "acme"


def test_without_an_audience_the_edges_default(http: httpx.Client) -> None:
    answer = http.get("/auth", headers={"X-API-Key": KEY})
    assert verified(http, answer, "orders").audience == ("orders",)


@pytest.mark.parametrize("where", ["query", "header"])
def test_an_unknown_audience_is_403(http: httpx.Client, where: str) -> None:
    if where == "query":
        answer = http.get("/auth", params={"audience": "payroll"}, headers={"X-API-Key": KEY})
    else:
        answer = http.get("/auth", headers={"X-API-Key": KEY, "X-Passport-Audience": "payroll"})
    assert_denied(answer, 403, "permission_denied")


# -- the JWKS and the rest -------------------------------------------------------------------


def test_the_jwks_is_served_public_with_the_rings_cache_control(
    http: httpx.Client, ring: KeyRing
) -> None:
    answer = http.get(JWKS_PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JWKS_CONTENT_TYPE
    assert answer.headers["cache-control"] == ring.cache_control
    assert "max-age=" in answer.headers["cache-control"]
    assert answer.json() == ring.public_jwks()
    assert all("d" not in key for key in answer.json()["keys"])
    head = http.head(JWKS_PATH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == answer.headers["content-length"]
    assert head.headers["cache-control"] == ring.cache_control


def test_the_jwks_refuses_other_methods_with_405(http: httpx.Client) -> None:
    answer = http.post(JWKS_PATH)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"


def test_other_paths_are_404(http: httpx.Client) -> None:
    assert http.get("/authx", headers={"X-API-Key": KEY}).status_code == 404
    assert http.get("/", headers={"X-API-Key": KEY}).status_code == 404


def test_mounted_under_a_prefix(endpoint: MintEndpoint) -> None:
    app = FastAPI()
    app.mount("/edge", endpoint)
    with asgi_server(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        answer = http.get("/edge/auth", headers={"X-API-Key": KEY})
        assert answer.status_code == 200
        assert "x-passport" in answer.headers
        assert http.get(f"/edge{JWKS_PATH}").status_code == 200


# -- the ASGI protocol itself: lifespan and scopes that are not HTTP ---------------------------


def _drive(
    endpoint: MintEndpoint, scope: dict[str, Any], incoming: list[dict[str, Any]]
) -> list[MutableMapping[str, Any]]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(endpoint(scope, receive, send), 5))
    return sent


def test_lifespan_starts_and_stops(endpoint: MintEndpoint) -> None:
    sent = _drive(
        endpoint,
        {"type": "lifespan", "asgi": {"version": "3.0"}},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_websocket_is_not_answered(endpoint: MintEndpoint) -> None:
    # ASGI: an app that returns without accepting makes the server close with 403.
    scope = {"type": "websocket", "path": "/auth", "headers": [(b"x-api-key", KEY.encode())]}
    assert _drive(endpoint, scope, [{"type": "websocket.connect"}]) == []


def test_a_key_store_that_cannot_be_reached_is_a_503(ring: KeyRing) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"  # released: nothing listens

    def lookup(digest: str) -> APIKey | None:
        httpx.get(f"{closed}/keys/{digest}", timeout=1).raise_for_status()
        return None

    edge = Edge(
        Minter(ring, issuer=ISSUER),
        authenticators=[APIKeyAuthenticator(lookup)],
        audiences=["orders"],
    )
    with asgi_server(MintEndpoint(edge)) as url:
        answer = httpx.get(f"{url}/auth", headers={"X-API-Key": KEY}, timeout=5)
    assert_denied(answer, 503, "identity_provider_unavailable")
    assert answer.headers["retry-after"] == "5"
    assert closed not in answer.text
