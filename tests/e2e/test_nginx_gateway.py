"""The edge behind a real nginx: ``auth_request`` asks the mint endpoint, services verify.

client ─▶ nginx ─auth_request─▶ MintEndpoint (uvicorn) ─▶ a key store and roles (HTTP)
            └─ X-Passport ─▶ FastAPI (uvicorn) | Flask (werkzeug) | Django (werkzeug, WSGI)

Every test runs once per adapter; each service answers what it saw (``tests/e2e/services``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from werkzeug.serving import make_server

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Edge,
    EdgeRequest,
    Identity,
    KeyRing,
    MintEndpoint,
    Minter,
    PassportTooLarge,
    api_key_digest,
    enricher,
    fingerprint,
    passport_budget,
)
from tests.django import settings as django_test_settings
from tests.e2e import services
from tests.e2e.conftest import StartNginx
from tests.e2e.nginx import free_port, main_config
from tests.servers import asgi_server, in_thread, serve

pytestmark = pytest.mark.network

ISSUER = "https://edge.test"
AUDIENCE = "orders"
ADAPTERS = ["fastapi", "flask", "django"]
#: the keys callers present; the edge's store keeps only their digests
KEYS = {"alice-key": "alice", "bob-key": "bob", "carol-key": "carol"}
#: the size of the profile the directory gives carol: a test grows her passport to the budget
CAROL_BIO = {"size": 0}
#: a passport signed by a key the services do not trust, as a client would forge it
FORGED = Minter(KeyRing.generate("EdDSA"), issuer=ISSUER).mint(
    "mallory", audience=AUDIENCE, roles=["admin"]
)
#: what every JWS in compact form starts with (the base64url of '{"'): no answer may carry one
JWS_START = "eyJ"


@dataclass
class Directory:
    """Where the edge asks: the key store and the roles. A test points one of them at a
    closed port or a silent one."""

    keys_url: str
    roles_url: str
    timeout: float = 0.5


#: the key store's content: subjects by key digest (the store never sees a key)
SUBJECTS = {api_key_digest(key): subject for key, subject in KEYS.items()}


def directory_route(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    """``/keys/<digest>`` (the subject, or 404) and ``/roles/<subject>``."""
    kind, _, name = handler.path.strip("/").partition("/")
    if kind == "keys":
        subject = SUBJECTS.get(name)
        if subject is None:
            return 404, {}, b""
        return 200, {"Content-Type": "application/json"}, f'{{"subject":"{subject}"}}'.encode()
    roles = '["admin","clerk"]' if name == "bob" else '["clerk"]'
    profile = f',"profile":{{"bio":"{"x" * CAROL_BIO["size"]}"}}' if name == "carol" else ""
    return 200, {"Content-Type": "application/json"}, f'{{"roles":{roles}{profile}}}'.encode()


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def build_edge(ring: KeyRing, directory: Directory) -> Edge:
    def lookup(digest: str) -> APIKey | None:
        answer = httpx.get(f"{directory.keys_url}/keys/{digest}", timeout=directory.timeout)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return APIKey(digest, answer.json()["subject"])

    @enricher(timeout=directory.timeout)
    def roles(identity: Identity) -> Any:
        url = f"{directory.roles_url}/roles/{identity.subject}"
        answer = httpx.get(url, timeout=directory.timeout)
        answer.raise_for_status()
        return answer.json()

    return Edge(
        Minter(ring, issuer=ISSUER),
        authenticators=[APIKeyAuthenticator(lookup, timeout=directory.timeout)],
        enrichers=[roles],
        audiences=[AUDIENCE],
        use_cache=False,  # every request asks the directory: its outage shows at once
    )


def auth_location(audience: str, edge: str) -> str:
    """The internal location an ``auth_request`` asks: one per downstream audience."""
    return f"""
    location = /_passport/{audience} {{
        internal;
        proxy_pass http://{edge}/auth;
        # the subrequest carries the client's headers (the credential), never its body
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Original-URI $request_uri;
        proxy_set_header X-Original-Method $request_method;
        # set by the gateway, whatever a client sent
        proxy_set_header X-Passport-Audience {audience};
        proxy_set_header X-Passport "";
        # the answer's X-Passport line is up to 8190 bytes: over the default one-page
        # (4k) buffer for an upstream's header, which nginx would turn into a 500 (12k keeps
        # the default proxy_busy_buffers_size, twice this, under proxy_buffers 8 4k)
        proxy_buffer_size 12k;
        proxy_connect_timeout 2s;
        proxy_read_timeout 5s;
    }}"""


def protected_location(prefix: str, audience: str, upstream: str) -> str:
    """A location whose requests reach ``upstream`` only with the edge's passport."""
    return f"""
    location {prefix} {{
        auth_request /_passport/{audience};
        auth_request_set $passport $upstream_http_x_passport;
        auth_request_set $auth_status $upstream_status;
        auth_request_set $auth_www $upstream_http_www_authenticate;
        auth_request_set $auth_retry $upstream_http_retry_after;
        # auth_request answers 401 and 403 itself and turns any other status into 500
        error_page 403 = @auth_forbidden;
        error_page 500 = @auth_error;
        # replaces every X-Passport a client sent (nginx drops all it overrides)
        proxy_set_header X-Passport $passport;
        proxy_set_header Passport-Action "";
        proxy_hide_header X-Passport;
        proxy_read_timeout 10s;
        proxy_pass http://{upstream}/;
    }}"""


def gateway_config(port: int, edge: str, upstreams: dict[str, str]) -> str:
    locations = "".join(
        protected_location(f"/{name}/", AUDIENCE, upstream) for name, upstream in upstreams.items()
    )
    # An audience the edge does not serve: its passports are refused at the edge (403).
    payroll = protected_location("/payroll/", "payroll", next(iter(upstreams.values())))
    return main_config(f"""
    # nginx's defaults, said out loud: a header spelled X_Passport is dropped, never passed
    # on for a WSGI server to read as HTTP_X_PASSPORT (PEP 3333 maps '-' and '_' alike)
    underscores_in_headers off;
    ignore_invalid_headers on;
    server {{
        listen 127.0.0.1:{port};
        {auth_location(AUDIENCE, edge)}
        {auth_location("payroll", edge)}
        {locations}
        {payroll}
        location @auth_forbidden {{
            add_header WWW-Authenticate $auth_www always;
            return 403;
        }}
        location @auth_error {{
            # the edge's 503 (identity provider, directory or keys down) stays a 503
            if ($auth_status = 503) {{
                add_header Retry-After $auth_retry always;
                return 503;
            }}
            return 500;
        }}
    }}""")


@dataclass
class Gateway:
    url: str
    directory: Directory
    healthy_directory: str
    slow_directory: str


@pytest.fixture(scope="module")
def gateway(ring: KeyRing, nginx: StartNginx) -> Iterator[Gateway]:
    django_test_settings.configure()
    settings = {"issuer": ISSUER, "audience": AUDIENCE, "jwks": ring.public_jwks()}
    with ExitStack() as stack:
        healthy = stack.enter_context(serve(directory_route)).url
        slow = stack.enter_context(silent_server())
        directory = Directory(healthy, healthy)
        edge = stack.enter_context(asgi_server(MintEndpoint(build_edge(ring, directory))))
        stack.enter_context(override_settings(**services.django_settings(settings)))
        upstreams = {
            "fastapi": stack.enter_context(asgi_server(services.fastapi_service(settings))),
            "flask": stack.enter_context(
                in_thread(make_server("127.0.0.1", 0, services.flask_service(settings), True))
            ),
            "django": stack.enter_context(
                in_thread(make_server("127.0.0.1", 0, get_wsgi_application(), True))
            ),
        }
        port = free_port()
        config = gateway_config(
            port,
            edge.removeprefix("http://"),
            {name: url.removeprefix("http://") for name, url in upstreams.items()},
        )
        yield Gateway(nginx(config, port), directory, healthy, slow)


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    healthy = gateway.healthy_directory
    gateway.directory.keys_url = gateway.directory.roles_url = healthy
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client
    gateway.directory.keys_url = gateway.directory.roles_url = healthy


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def assert_no_passport(answer: httpx.Response) -> None:
    """Nothing the client gets back carries a passport (nor any other JWS)."""
    assert "x-passport" not in answer.headers
    assert JWS_START not in answer.text
    assert all(JWS_START not in value for value in answer.headers.values())


def test_a_valid_api_key_reaches_the_service_with_a_passport_it_verifies(
    http: httpx.Client, adapter: str
) -> None:
    answer = http.get(f"/{adapter}/whoami", headers={"X-API-Key": "alice-key"})
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert seen["subject"] == "alice"
    assert seen["audience"] == [AUDIENCE]
    assert seen["roles"] == ["clerk"]  # from the directory, through the enricher
    assert [name for name, _ in seen["headers"]] == ["x-passport"]
    assert_no_passport(answer)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param([("X-Passport", FORGED)], id="x-passport"),
        pytest.param([("x-passport", FORGED)], id="lower-case"),
        pytest.param([("X_Passport", FORGED)], id="underscore"),
        pytest.param([("X-Passport", FORGED), ("X-Passport", FORGED)], id="twice"),
        pytest.param([("X-Passport", FORGED), ("X_Passport", FORGED)], id="both-spellings"),
    ],
)
def test_a_forged_passport_header_never_reaches_the_service(
    http: httpx.Client, adapter: str, forged: list[tuple[str, str]]
) -> None:
    answer = http.get(f"/{adapter}/whoami", headers=[("X-API-Key", "alice-key"), *forged])
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert seen["subject"] == "alice"
    assert seen["roles"] == ["clerk"]
    # exactly one passport header arrived, and it is not the client's
    assert len(seen["headers"]) == 1
    assert seen["headers"][0][0] == "x-passport"
    assert seen["headers"][0][1] != fingerprint(FORGED)
    assert_no_passport(answer)


def test_a_forged_passport_without_a_credential_is_refused(
    http: httpx.Client, adapter: str
) -> None:
    answer = http.get(f"/{adapter}/whoami", headers={"X-Passport": FORGED})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="edge"'
    assert_no_passport(answer)


def test_a_bad_credential_gets_the_edges_401_and_challenge(
    http: httpx.Client, adapter: str
) -> None:
    answer = http.get(f"/{adapter}/whoami", headers={"X-API-Key": "guessed-key"})
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="edge", error="invalid_token"')
    assert "guessed-key" not in answer.text + challenge
    assert_no_passport(answer)


def test_an_audience_the_edge_does_not_serve_is_403_at_the_gateway(http: httpx.Client) -> None:
    answer = http.get("/payroll/whoami", headers={"X-API-Key": "alice-key"})
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert_no_passport(answer)


def test_the_services_policy_denial_is_403_through_the_gateway(
    http: httpx.Client, adapter: str
) -> None:
    denied = http.get(f"/{adapter}/admin", headers={"X-API-Key": "alice-key"})
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert_no_passport(denied)
    allowed = http.get(f"/{adapter}/admin", headers={"X-API-Key": "bob-key"})
    assert allowed.status_code == 200
    assert allowed.json()["roles"] == ["admin", "clerk"]


@pytest.mark.parametrize("outage", ["refused", "silent"])
@pytest.mark.parametrize("down", ["key store", "roles"])
def test_the_directory_down_is_a_503_within_a_bounded_time(
    http: httpx.Client, gateway: Gateway, adapter: str, down: str, outage: str, closed_port: str
) -> None:
    url = closed_port if outage == "refused" else gateway.slow_directory
    if down == "key store":
        gateway.directory.keys_url = url
    else:
        gateway.directory.roles_url = url
    started = time.monotonic()
    answer = http.get(f"/{adapter}/whoami", headers={"X-API-Key": "alice-key"})
    elapsed = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert elapsed < 2.5  # the 0.5 s timeout, plus the hops
    assert_no_passport(answer)


@pytest.fixture
def closed_port() -> str:
    return f"http://127.0.0.1:{free_port()}"


def grow_carol_to_the_budget(edge: Edge) -> int:
    """Make the directory's profile for carol as large as the edge still mints; its length."""
    low, high, token = 0, 8192, ""
    while low <= high:
        CAROL_BIO["size"] = size = (low + high) // 2
        try:
            token = edge.mint(EdgeRequest.from_headers({"X-API-Key": "carol-key"})).token
            low = size + 1
        except PassportTooLarge:
            high = size - 1
    CAROL_BIO["size"] = high
    return len(token)


@pytest.fixture
def carol_at_the_budget(ring: KeyRing, gateway: Gateway) -> Iterator[int]:
    try:
        yield grow_carol_to_the_budget(build_edge(ring, gateway.directory))
    finally:
        CAROL_BIO["size"] = 0


def test_a_passport_at_the_size_budget_reaches_the_service(
    http: httpx.Client, adapter: str, carol_at_the_budget: int
) -> None:
    # Audit gap 6: the budget is not only arithmetic; nginx (its client header buffers and
    # the auth subrequest's proxy_buffer_size) and each adapter's server carry it.
    assert carol_at_the_budget > passport_budget("X-Passport") - 4  # one base64url quantum
    answer = http.get(f"/{adapter}/whoami", headers={"X-API-Key": "carol-key"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["subject"] == "carol"
    assert_no_passport(answer)
