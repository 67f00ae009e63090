"""The extension under werkzeug's real threaded server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from passport_core import KeyRing, Minter
from tests.servers import RunningServer, serve

from .conftest import AUDIENCE, ISSUER, AppFactory, Mint, build_app, live, settings

pytestmark = pytest.mark.network


@pytest.fixture
def echo() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


def test_required_optional_and_refused_over_real_sockets(live_url: str, mint: Mint) -> None:
    token = mint("alice", roles=["admin"])
    with httpx.Client(base_url=live_url, timeout=5) as http:
        assert http.get("/required", headers={"X-Passport": token}).json()["g"] == "alice"
        assert http.get("/optional").json() == {"g": None, "context": None}
        assert http.get("/async-admin", headers={"X-Passport": token}).json() == {"g": "alice"}
        missing = http.get("/required")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["www-authenticate"] == "Bearer"


def test_duplicate_header_on_the_wire_is_refused(live_url: str, mint: Mint) -> None:
    # The server folds the two headers into one comma-joined value; core spots it.
    first, second = mint("alice"), mint("bob")
    with httpx.Client(base_url=live_url, timeout=5) as http:
        response = http.get("/required", headers=[("X-Passport", first), ("X-Passport", second)])
    assert response.status_code == 401
    assert response.json()["code"] == "duplicate_token"
    assert first not in response.text
    assert second not in response.text


def test_concurrent_requests_of_two_users_never_see_each_others_passport(
    make_app: AppFactory, echo: RunningServer, mint: Mint
) -> None:
    app = make_app(PASSPORT_ALLOWED_HOSTS=[f"127.0.0.1:{echo.port}"])
    tokens = {"alice": mint("alice"), "bob": mint("bob", roles=["admin"])}
    with live(app) as url, httpx.Client(base_url=url, timeout=15) as http:

        def call(user: str) -> tuple[str, dict[str, str]]:
            response = http.get(
                "/together", params={"url": echo.url}, headers={"X-Passport": tokens[user]}
            )
            assert response.status_code == 200, response.text
            return user, response.json()

        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(5):
                # The view waits on a two-party barrier: both requests are in flight together.
                for user, seen in pool.map(call, ["alice", "bob"]):
                    assert seen == {"g": user, "context": user, "forwarded": tokens[user]}
    assert len(echo.requests) == 10


def test_a_service_verifies_with_keys_published_by_another_flask_service(
    ring: KeyRing, mint: Mint
) -> None:
    edge = build_app(settings(ring, PASSPORT_PUBLISH=ring))
    with live(edge) as edge_url:
        service = build_app(
            settings(
                ring,
                PASSPORT_JWKS=...,
                PASSPORT_JWKS_URL=f"{edge_url}/.well-known/jwks.json",
            )
        )
        client = service.test_client()
        ok = client.get("/required", headers={"X-Passport": mint("alice")})
        assert ok.status_code == 200
        assert ok.json is not None
        assert ok.json["g"] == "alice"
        # Signed by a key the edge never published: refetching the JWKS does not help.
        unknown = Minter(KeyRing.generate("EdDSA"), issuer=ISSUER).mint("eve", audience=AUDIENCE)
        refused = client.get("/required", headers={"X-Passport": unknown})
        assert refused.status_code == 401
        assert refused.json is not None
        assert refused.json["code"] == "unknown_kid"
