"""The verifier warms up when the app starts: keys fetched before the first request."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from fastapi import FastAPI, Request

from passport_core import KeyRing
from passport_fastapi import PassportDep, setup_passport
from tests.fastapi.testapp import AUDIENCE, ISSUER, Mint, TestClient
from tests.servers import RunningServer, serve


@pytest.fixture
def jwks_server(ring: KeyRing) -> Iterator[RunningServer]:
    body = json.dumps(ring.public_jwks()).encode()

    def route(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, body

    with serve(route) as server:
        yield server


def _app(jwks_url: str, **options: Any) -> FastAPI:
    app = FastAPI(**options)
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)

    @app.get("/me")
    async def me(found: PassportDep, request: Request) -> dict[str, Any]:
        return {"sub": found.subject, "started": getattr(request.state, "started", None)}

    return app


def test_keys_are_fetched_at_start_up_not_on_the_first_request(
    jwks_server: RunningServer, mint: Mint
) -> None:
    app = _app(f"{jwks_server.url}/jwks.json")
    assert jwks_server.requests == []
    with TestClient(app) as client:  # runs the lifespan
        assert [path for path, _ in jwks_server.requests] == ["/jwks.json"]
        assert client.get("/me", headers={"X-Passport": mint("alice")}).json()["sub"] == "alice"
        assert len(jwks_server.requests) == 1  # the first request fetched nothing


def test_the_apps_own_lifespan_still_runs(jwks_server: RunningServer, mint: Mint) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append("start")
        yield {"started": True}
        events.append("stop")

    app = _app(f"{jwks_server.url}/jwks.json", lifespan=lifespan)
    with TestClient(app) as client:
        assert events == ["start"]
        answer = client.get("/me", headers={"X-Passport": mint("alice")}).json()
        assert answer == {"sub": "alice", "started": True}
    assert events == ["start", "stop"]


def test_a_key_server_that_is_down_does_not_stop_the_app(
    mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app(f"http://127.0.0.1:{port}/jwks.json")
    token = mint("alice")
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert "warm-up" in caplog.text
        response = client.get("/me", headers={"X-Passport": token})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert token not in caplog.text
