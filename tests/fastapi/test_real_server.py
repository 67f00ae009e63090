"""passport_fastapi under a real uvicorn on 127.0.0.1: concurrency, refusals, forwarding."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from passport_core import JWKS_PATH, KeyRing
from tests.fastapi.testapp import AppFactory, Mint, TestClient, assert_problem, probe_of
from tests.servers import serve

pytestmark = pytest.mark.network

RealServer = Callable[[FastAPI], AbstractContextManager[str]]


async def _call_all(base: str, calls: list[tuple[str, str, str]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        return await asyncio.gather(
            *(client.get(path, headers={"X-Passport": token}) for path, token, _ in calls)
        )


def test_concurrent_requests_of_two_users_never_mix(
    make_app: AppFactory, real_server: RealServer, mint: Mint
) -> None:
    tokens = {"alice": mint("alice"), "bob": mint("bob")}
    calls = []
    for i in range(20):
        user = ("alice", "bob")[i % 2]
        # async and sync (threadpool) path functions, finishing in a shuffled order
        path = ("/slow", "/slow-sync")[(i // 2) % 2]
        delay = (0.15, 0.05, 0.1, 0.0)[i % 4]
        calls.append((f"{path}?delay={delay}", tokens[user], user))
    app = make_app()
    with real_server(app) as base:
        responses = asyncio.run(_call_all(base, calls))
    for (_, _, user), response in zip(calls, responses, strict=True):
        assert response.status_code == 200
        assert response.json() == {"sub": user, "current": user, "state": user}
    assert probe_of(app).after == [None] * 20


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ([], 401, "missing_token"),
        ([("X-Passport", "__alice__"), ("X-Passport", "__alice__")], 401, "duplicate_token"),
        ([("X-Passport", "not-a-passport")], 401, "malformed_token"),
    ],
)
def test_refusals_over_a_real_socket(
    make_app: AppFactory,
    real_server: RealServer,
    mint: Mint,
    headers: list[tuple[str, str]],
    status: int,
    code: str,
) -> None:
    token = mint("alice")
    sent = [(name, value.replace("__alice__", token)) for name, value in headers]
    with real_server(make_app()) as base:
        response = httpx.get(f"{base}/me-sync", headers=sent, timeout=10)
    assert_problem(response, status, code, token)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_forwarding_through_a_real_server(
    make_app: AppFactory, real_server: RealServer, mint: Mint
) -> None:
    token = mint("alice", roles=["admin"])
    with serve() as downstream:
        app = make_app(allowed_hosts=["127.0.0.1"])
        with real_server(app) as base:
            allowed: Any = httpx.get(
                f"{base}/forward",
                params={"url": f"{downstream.url}/allowed"},
                headers={"X-Passport": token},
                timeout=10,
            ).json()
            refused: Any = httpx.get(
                f"{base}/forward",
                params={"url": f"http://localhost:{downstream.port}/refused"},
                headers={"X-Passport": token},
                timeout=10,
            ).json()
    assert allowed["x-passport"] == token
    assert "x-passport" not in refused
    assert [path for path, _ in downstream.requests] == ["/allowed", "/refused"]


def test_verifies_with_keys_fetched_from_a_served_jwks(
    make_app: AppFactory, real_server: RealServer, ring: KeyRing, mint: Mint
) -> None:
    with real_server(make_app(publish=ring)) as edge:
        service = make_app(jwks=None, jwks_url=f"{edge}{JWKS_PATH}")
        with TestClient(service) as client:
            response = client.get("/me", headers={"X-Passport": mint("alice")})
    assert response.json()["sub"] == "alice"


def test_unreachable_key_server_is_503_not_500(make_app: AppFactory, mint: Mint) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    service = make_app(jwks=None, jwks_url=f"http://127.0.0.1:{closed_port}{JWKS_PATH}")
    token = mint("alice")
    with TestClient(service) as client:
        response = client.get("/me", headers={"X-Passport": token})
    assert_problem(response, 503, "keys_unavailable", token)
    assert response.headers["retry-after"] == "5"
    assert "127.0.0.1" not in response.text
