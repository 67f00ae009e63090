"""The edge as a gateway: real uvicorn in front of a real upstream on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from passport_core import (
    JWKS_PATH,
    APIKeyAuthenticator,
    ConfigurationError,
    Edge,
    EdgeGateway,
    EdgeRequest,
    Identity,
    InvalidCredential,
    KeyRing,
    Minter,
    Passport,
    Upstream,
    Verifier,
    cloudflare_access,
)
from passport_core.edge.forwarding import forwarded_headers, response_headers
from tests.core.edge.conftest import EDGE_ISSUER, Received, lookup
from tests.core.edge.conftest import Upstream as Recorder
from tests.servers import asgi_server

ALICE = {"X-API-Key": "alice-key"}
FIVE_MB = 5 * 1024 * 1024


@pytest.fixture
def gateway(edge: Edge, upstream: Recorder) -> EdgeGateway:
    return EdgeGateway(
        edge,
        routes={
            "/": Upstream(upstream.url, audience="orders", timeout=0.5),
            "/billing/": Upstream(upstream.url + "/base", audience="billing", strip_prefix=True),
        },
    )


@pytest.fixture
def url(gateway: EdgeGateway) -> Iterator[str]:
    # As `passport edge` serves it: the edge is the outermost hop, so no X-Forwarded-For
    # a client sends decides its address.
    with asgi_server(gateway, lifespan="on", proxy_headers=False) as served:
        yield served


def verified(edge_ring: KeyRing, seen: Received, audience: str = "orders") -> Passport:
    [token] = seen.values("X-Passport")
    verifier = Verifier(keys=edge_ring.public_jwks(), issuer=EDGE_ISSUER, audience=audience)
    return verifier.verify(token)


def test_a_valid_credential_reaches_the_upstream_with_a_passport_for_its_audience(
    url: str, upstream: Recorder, edge_ring: KeyRing
) -> None:
    response = httpx.get(f"{url}/orders/7?x=1&y=%2F", headers=ALICE, timeout=10)
    assert response.status_code == 200
    [seen] = upstream.received
    assert seen.path == "/orders/7?x=1&y=%2F"
    passport = verified(edge_ring, seen)
    assert passport.subject == "alice"
    assert passport.roles == frozenset({"admin"})
    assert passport.tenant == "acme"


def test_the_longest_prefix_wins_strips_it_and_mints_for_its_audience(
    url: str, upstream: Recorder, edge_ring: KeyRing
) -> None:
    assert httpx.get(f"{url}/billing/invoices/3", headers=ALICE, timeout=10).status_code == 200
    assert httpx.get(f"{url}/billingX", headers=ALICE, timeout=10).status_code == 200
    first, second = upstream.received
    assert first.path == "/base/invoices/3"
    passport = verified(edge_ring, first, "billing")
    assert passport.roles == frozenset()  # the billing audience sees the tenant only
    assert passport.tenant == "acme"
    assert second.path == "/billingX"  # whole segments only: the root route took it
    assert verified(edge_ring, second).audience == ("orders",)


@pytest.mark.parametrize("trust_forwarded", [False, True])
def test_forwarding_headers_name_this_hop_and_hop_by_hop_ones_are_dropped(
    edge: Edge, upstream: Recorder, trust_forwarded: bool
) -> None:
    """At the outermost hop a client's X-Forwarded-* and Forwarded are forgeries (an upstream
    that logs or rate-limits by them would believe them): replaced unless trusted."""
    gateway = EdgeGateway(
        edge,
        routes={"/": Upstream(upstream.url, audience="orders")},
        trust_forwarded=trust_forwarded,
    )
    headers = [
        ("X-API-Key", "alice-key"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-For", "198.51.100.1"),
        ("X-Forwarded-Host", "admin.internal"),
        ("Forwarded", "for=10.0.0.1;proto=https"),
        ("Connection", "keep-alive, X-Hop-Secret"),
        ("X-Hop-Secret", "only for the edge"),
        ("X-Kept", "yes"),
    ]
    with asgi_server(gateway, lifespan="on", proxy_headers=False) as url:
        assert httpx.get(f"{url}/h", headers=headers, timeout=10).status_code == 200
    [seen] = upstream.received
    here = url.removeprefix("http://")
    if trust_forwarded:
        assert seen.values("X-Forwarded-For") == ["203.0.113.9, 198.51.100.1, 127.0.0.1"]
        assert seen.values("X-Forwarded-Host") == [f"admin.internal, {here}"]
        assert seen.values("Forwarded") == ["for=10.0.0.1;proto=https"]
    else:
        assert seen.values("X-Forwarded-For") == ["127.0.0.1"]
        assert seen.values("X-Forwarded-Host") == [here]
        assert seen.values("Forwarded") == []
    assert seen.values("X-Forwarded-Proto") == ["http"]
    assert seen.values("X-Hop-Secret") == []
    assert seen.values("X-Kept") == ["yes"]
    assert seen.values("Host") == [upstream.url.removeprefix("http://")]


FORGED = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZXMiOlsiYWRtaW4iXX0."


@pytest.mark.parametrize(
    "forged",
    [
        [("X-Passport", FORGED)],
        [("X-Passport", FORGED), ("X-Passport", FORGED)],
        [("x-PASSPORT", FORGED)],
        [("X_Passport", FORGED)],
        [("x_passport", FORGED), ("X-Passport", FORGED)],
        [("Passport-Action", "drop"), ("passport_action", "remint"), ("PASSPORT-ACTION", "x")],
    ],
    ids=["one", "twice", "case", "underscore", "mixed", "action"],
)
def test_a_client_forged_passport_or_action_never_reaches_the_upstream(
    url: str, upstream: Recorder, edge_ring: KeyRing, forged: list[tuple[str, str]]
) -> None:
    response = httpx.get(f"{url}/o", headers=[("X-API-Key", "alice-key"), *forged], timeout=10)
    assert response.status_code == 200
    [seen] = upstream.received
    assert verified(edge_ring, seen).subject == "alice"  # exactly one: the minted one
    assert FORGED not in str(seen.headers)
    assert seen.values("Passport-Action") == []


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "missing_credential"), ({"X-API-Key": "wrong"}, "invalid_credential")],
)
def test_a_bad_credential_is_a_401_and_the_upstream_is_never_contacted(
    url: str, upstream: Recorder, headers: dict[str, str], code: str
) -> None:
    response = httpx.post(f"{url}/o", headers=headers, content=b"payload", timeout=10)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="edge"')
    assert response.json()["code"] == code
    assert upstream.received == []


def test_an_upstream_that_is_down_is_a_502(edge: Edge, closed_port_url: str) -> None:
    down = closed_port_url.removesuffix("/jwks.json")
    gateway = EdgeGateway(edge, routes={"/": Upstream(down, timeout=2)})
    with asgi_server(gateway, lifespan="on") as served:
        response = httpx.get(f"{served}/o", headers=ALICE, timeout=10)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upstream_unavailable"


def test_a_slow_upstream_is_a_504_within_its_timeout(url: str, upstream: Recorder) -> None:
    started = time.monotonic()
    response = httpx.get(f"{url}/slow", headers=ALICE, timeout=10)
    assert time.monotonic() - started < 2.0  # the route's timeout is 0.5 s; it sleeps 3
    assert response.status_code == 504
    assert response.json()["code"] == "upstream_timeout"


def jti(upstream: Recorder, edge_ring: KeyRing) -> str:
    return verified(edge_ring, upstream.received[-1]).jti


@pytest.mark.parametrize("path", ["/remint", "/drop"])
def test_a_passport_action_from_the_upstream_drops_the_cache_and_stays_with_the_edge(
    url: str, upstream: Recorder, edge_ring: KeyRing, path: str
) -> None:
    with httpx.Client(timeout=10) as client:
        client.get(f"{url}/a", headers=ALICE)
        first = jti(upstream, edge_ring)
        client.get(f"{url}/a", headers=ALICE)
        assert jti(upstream, edge_ring) == first  # served from the mint cache
        answer = client.get(f"{url}{path}", headers=ALICE)
        assert answer.status_code == 200
        assert "passport-action" not in answer.headers
        assert "passport_action" not in answer.headers
        assert jti(upstream, edge_ring) == first
        client.get(f"{url}/a", headers=ALICE)
        assert jti(upstream, edge_ring) != first  # minted afresh


@pytest.mark.parametrize(("path", "laptop_reminted"), [("/remint", False), ("/drop", True)])
def test_drop_forgets_every_passport_of_the_subject_and_remint_only_this_credentials(
    url: str, upstream: Recorder, edge_ring: KeyRing, path: str, laptop_reminted: bool
) -> None:
    laptop = {"X-API-Key": "alice-laptop-key"}
    with httpx.Client(timeout=10) as client:
        client.get(f"{url}/a", headers=laptop)
        first = jti(upstream, edge_ring)
        client.get(f"{url}{path}", headers=ALICE)  # the action answers alice's other key
        client.get(f"{url}/a", headers=laptop)
        assert (jti(upstream, edge_ring) != first) is laptop_reminted


def test_a_passport_action_from_the_client_has_no_effect(
    url: str, upstream: Recorder, edge_ring: KeyRing
) -> None:
    with httpx.Client(timeout=10) as client:
        client.get(f"{url}/a", headers=ALICE)
        first = jti(upstream, edge_ring)
        client.get(f"{url}/a", headers={**ALICE, "Passport-Action": "remint"})
        client.get(f"{url}/a", headers=ALICE)
    assert jti(upstream, edge_ring) == first
    assert all(seen.values("Passport-Action") == [] for seen in upstream.received)


def test_the_passport_is_never_returned_to_the_client(url: str) -> None:
    response = httpx.get(f"{url}/leak", headers=ALICE, timeout=10)
    assert response.status_code == 200
    assert "x-passport" not in response.headers


def test_five_megabytes_stream_up_and_down(url: str, upstream: Recorder) -> None:
    body = os.urandom(FIVE_MB)

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked all the way
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    with httpx.Client(timeout=30) as client:
        sized = client.post(f"{url}/up", headers=ALICE, content=body)
        chunked = client.put(f"{url}/up", headers=ALICE, content=chunks())
        with client.stream("GET", f"{url}/big?n={FIVE_MB}", headers=ALICE) as down:
            received = sum(len(part) for part in down.iter_raw())
    digest = hashlib.sha256(body).hexdigest()
    for answer in (sized, chunked):
        assert answer.status_code == 200
        assert answer.json() == {"path": "/up", "length": FIVE_MB, "sha256": digest}
    assert down.status_code == 200
    assert received == FIVE_MB


def test_it_serves_the_jwks_and_never_the_mint_endpoint(
    url: str, upstream: Recorder, edge_ring: KeyRing
) -> None:
    jwks = httpx.get(f"{url}{JWKS_PATH}", timeout=10)
    assert jwks.json() == edge_ring.public_jwks()
    # /auth is just a path of the root route: proxied with a passport, never answered with one
    answer = httpx.get(f"{url}/auth?audience=billing", headers=ALICE, timeout=10)
    assert answer.status_code == 200
    assert "x-passport" not in answer.headers
    assert [seen.path for seen in upstream.received] == ["/auth?audience=billing"]
    assert verified(edge_ring, upstream.received[0]).audience == ("orders",)


def test_the_mint_endpoint_is_an_app_of_its_own(edge: Edge, edge_ring: KeyRing) -> None:
    with asgi_server(EdgeGateway(edge, routes={}, mint_endpoint=True), lifespan="on") as url:
        minted = httpx.get(f"{url}/auth?audience=billing", headers=ALICE, timeout=10)
        assert minted.status_code == 200
        verifier = Verifier(keys=edge_ring.public_jwks(), issuer=EDGE_ISSUER, audience="billing")
        assert verifier.verify(minted.headers["x-passport"]).subject == "alice"
        assert httpx.get(f"{url}/auth", timeout=10).status_code == 401
        assert httpx.get(f"{url}/orders/1", headers=ALICE, timeout=10).status_code == 404


def test_routes_and_the_mint_endpoint_never_share_one_app(edge: Edge) -> None:
    # Security review F1: clients would take passports from the mint endpoint themselves.
    with pytest.raises(ConfigurationError, match="only the gateway reaches"):
        EdgeGateway(edge, routes={"/": Upstream("http://127.0.0.1:1")}, mint_endpoint=True)


def test_no_token_or_credential_in_the_logs(
    url: str, upstream: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(timeout=10) as client:
        client.get(f"{url}/a", headers=ALICE)
        client.get(f"{url}/remint", headers=ALICE)
        client.get(f"{url}/a", headers={"X-API-Key": "wrong-key"})
        client.get(f"{url}/slow", headers=ALICE)
    tokens = [value for seen in upstream.received for value in seen.values("X-Passport")]
    assert tokens
    assert "passport action remint" in caplog.text  # the log did see these requests
    for secret in [*tokens, "alice-key", "wrong-key"]:
        assert secret not in caplog.text


def test_routes_are_checked_when_the_gateway_is_built(edge: Edge) -> None:
    with pytest.raises(ConfigurationError, match="audience 'nope'"):
        EdgeGateway(edge, routes={"/": Upstream("http://127.0.0.1:1", audience="nope")})
    with pytest.raises(ConfigurationError, match="must start with"):
        EdgeGateway(edge, routes={"x": Upstream("http://127.0.0.1:1")})
    with pytest.raises(ConfigurationError, match="http"):
        Upstream("ftp://127.0.0.1:1")
    with pytest.raises(ConfigurationError, match="twice"):
        EdgeGateway(
            edge,
            routes={"/a": Upstream("http://127.0.0.1:1"), "/a/": Upstream("http://127.0.0.1:2")},
        )


def test_the_header_rules_fold_case_and_underscores() -> None:
    sent = [
        ("Host", "edge.test"),
        ("X_PASSPORT", "forged"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("Connection", "close, x-private"),
        ("X-Private", "1"),
        ("Accept", "a"),
        ("Accept", "b"),
    ]
    out = forwarded_headers(
        sent, strip={"x-passport"}, client="::1", scheme="https", host="edge.test"
    )
    assert out == [
        ("Accept", "a"),
        ("Accept", "b"),
        ("x-forwarded-for", "::1"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "edge.test"),
    ]
    back = [("Passport-Action", "drop"), ("Keep-Alive", "timeout=5"), ("ETag", '"1"')]
    assert response_headers(back, strip={"passport-action"}) == [("ETag", '"1"')]


def test_a_gateway_needs_an_edge() -> None:
    with pytest.raises(ConfigurationError):
        EdgeGateway(object(), routes={})  # type: ignore[arg-type]


@pytest.mark.parametrize("bearer", [False, True])
def test_the_callers_credential_never_reaches_the_upstream(
    edge_ring: KeyRing, upstream: Recorder, bearer: bool
) -> None:
    # The passport replaces the credential: an access token at an internal hop is a replay risk.
    edge = Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[APIKeyAuthenticator(lookup, bearer=bearer)],
        audiences=["orders"],
    )
    gateway = EdgeGateway(edge, routes={"/": Upstream(upstream.url, audience="orders")})
    headers = (
        [("Authorization", "Bearer alice-key")]
        if bearer
        else [("X-API-Key", "alice-key"), ("Authorization", "Basic dXBzdHJlYW06b3Bhc3M=")]
    )
    with asgi_server(gateway, lifespan="on", proxy_headers=False) as served:
        assert httpx.get(f"{served}/o", headers=headers, timeout=10).status_code == 200
    [seen] = upstream.received
    assert verified(edge_ring, seen).subject == "alice"
    assert seen.values("X-API-Key") == []
    # Authorization is the credential only where an authenticator reads Bearer.
    assert seen.values("Authorization") == ([] if bearer else ["Basic dXBzdHJlYW06b3Bhc3M="])


def test_forward_credentials_keeps_them_for_upstreams_that_need_them(
    edge: Edge, edge_ring: KeyRing, upstream: Recorder
) -> None:
    gateway = EdgeGateway(
        edge, routes={"/": Upstream(upstream.url, audience="orders")}, forward_credentials=True
    )
    with asgi_server(gateway, lifespan="on", proxy_headers=False) as served:
        assert httpx.get(f"{served}/o", headers=ALICE, timeout=10).status_code == 200
    [seen] = upstream.received
    assert seen.values("X-API-Key") == ["alice-key"]
    assert verified(edge_ring, seen).subject == "alice"


def test_credential_headers_union_the_authenticators(edge_ring: KeyRing) -> None:
    class Custom:  # an authenticator of the protocol's required members only
        name = "custom"

        def credential(self, request: EdgeRequest) -> str | None:
            return None

        def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
            raise InvalidCredential

        async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
            raise InvalidCredential

    edge = Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[
            cloudflare_access("team", audience="aud-tag"),
            APIKeyAuthenticator(lookup, header="X-Key"),
            Custom(),
        ],
        audiences=["orders"],
    )
    assert edge.credential_headers == {"cf-access-jwt-assertion", "x-key"}


def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` byte for byte (httpx would normalise dot segments away first)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            f"GET {target} HTTP/1.1\r\nHost: edge\r\nX-API-Key: alice-key\r\n"
            "Connection: close\r\n\r\n".encode("latin-1")
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize(
    "target",
    [
        "/billing/../admin",
        "/billing/./x",
        "/billing/..",
        "/billing/%2e%2e/admin",
        "/billing/%2E./admin",
        "/billing/.%2e",
        "/billing/%2e/admin",
        "/billing/..%2fadmin",
        "/billing/x%2Fy",
        "/billing/x%5cy",
        "/billing/x\\..\\y",
        "/billing/x%00y",
        "/billing/x%zz",
        "/billing/x%2",
    ],
)
def test_a_path_another_hop_could_read_otherwise_is_a_400(
    url: str, upstream: Recorder, target: str
) -> None:
    # Security review F2: the route (and audience) must be chosen on what the upstream serves.
    status, body = raw_get(url, target)
    assert status == 400
    assert json.loads(body)["code"] == "unsafe_path"
    assert upstream.received == []


@pytest.mark.parametrize(
    ("target", "forwarded", "audience"),
    [
        # encoded unreserved characters are the characters: the route they spell takes them
        ("/%62illing/%69nvoices/3?q=%2F", "/base/invoices/3?q=%2F", "billing"),
        ("/billing/a%7e%41b", "/base/a~Ab", "billing"),
        # other escapes stay escaped (upper-case hex), for the upstream to decode once
        ("/billing/a%20b%3f", "/base/a%20b%3F", "billing"),
        # repeated slashes are merged, so //billing cannot miss its route and reach it anyway
        ("//billing//x", "/base/x", "billing"),
        ("/orders/..x/.y", "/orders/..x/.y", "orders"),
    ],
)
def test_the_route_is_chosen_on_the_normalised_path_and_that_path_is_forwarded(
    url: str, upstream: Recorder, edge_ring: KeyRing, target: str, forwarded: str, audience: str
) -> None:
    status, _ = raw_get(url, target)
    assert status == 200
    [seen] = upstream.received
    assert seen.path == forwarded
    assert verified(edge_ring, seen, audience).audience == (audience,)


@pytest.mark.parametrize(
    "sent",
    [
        [("X-Passport-Profile", FORGED)],
        [("x_passport_profile", FORGED), ("X-PASSPORT-PROFILE", FORGED)],
        [("X-Internal-Only", "1")],
    ],
    ids=["companion", "spellings", "other"],
)
def test_extra_strip_headers_never_reach_the_upstream(
    edge_ring: KeyRing, upstream: Recorder, sent: list[tuple[str, str]]
) -> None:
    # Audit gap 5: a client must not send a companion passport through the edge either.
    edge = Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[APIKeyAuthenticator(lookup)],
        audiences=["orders"],
        extra_strip_headers=["X-Passport-Profile", "x-internal-only"],
    )
    assert edge.strip_headers >= {"x-passport-profile", "x-internal-only", "x-passport"}
    gateway = EdgeGateway(edge, routes={"/": Upstream(upstream.url)})
    with asgi_server(gateway, lifespan="on", proxy_headers=False) as url:
        response = httpx.get(f"{url}/a", headers=[*ALICE.items(), *sent], timeout=10)
    assert response.status_code == 200
    [seen] = upstream.received
    assert seen.values("X-Passport-Profile") == []
    assert seen.values("X-Internal-Only") == []
    assert verified(edge_ring, seen).subject == "alice"


@pytest.mark.parametrize("names", ["X-Passport-Profile", ["bad name"], [""], [7]])
def test_extra_strip_headers_are_header_names(edge_ring: KeyRing, names: object) -> None:
    with pytest.raises(ConfigurationError, match="extra_strip_headers"):
        Edge(
            Minter(edge_ring, issuer=EDGE_ISSUER),
            authenticators=[APIKeyAuthenticator(lookup)],
            audiences=["orders"],
            extra_strip_headers=names,  # type: ignore[arg-type]
        )
