"""The core context during a request, its reset afterwards, and dependency overrides."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from passport_core import Passport, get_passport, use_passport
from passport_fastapi import optional_passport, passport
from tests.fastapi.testapp import Mint, PassportOf, TestClient, probe_of


@pytest.mark.parametrize("path", ["/me", "/me-sync", "/maybe", "/maybe-sync", "/admin"])
def test_context_is_reset_after_the_request(
    app: FastAPI, client: TestClient, mint: Mint, path: str
) -> None:
    response = client.get(path, headers={"X-Passport": mint("alice", roles=["admin"])})
    assert response.status_code == 200
    assert response.json()["current"] == "alice"
    assert probe_of(app).after == [None]


@pytest.mark.parametrize("path", ["/boom", "/boom-sync"])
def test_context_is_reset_after_the_path_function_raised(
    app: FastAPI, client: TestClient, mint: Mint, path: str
) -> None:
    response = client.get(path, headers={"X-Passport": mint("alice")})
    assert response.status_code == 418  # the app's own handler for Boom ran
    assert response.json() == {"error": "boom", "current": None}
    assert probe_of(app).after == [None]


@pytest.mark.parametrize(
    ("path", "status"), [("/admin", 403), ("/me", 401), ("/orders/refund", 403)]
)
def test_context_is_reset_after_a_refusal(
    app: FastAPI, client: TestClient, mint: Mint, path: str, status: int
) -> None:
    headers = {"X-Passport": "not-a-passport" if status == 401 else mint("alice")}
    assert client.get(path, headers=headers).status_code == status
    assert probe_of(app).after == [None]


def test_background_task_does_not_inherit_the_passport(
    app: FastAPI, client: TestClient, mint: Mint
) -> None:
    assert client.get("/later", headers={"X-Passport": mint("alice")}).json() == {"sub": "alice"}
    assert probe_of(app).background == [None]


def test_successive_requests_see_only_their_own_passport(client: TestClient, mint: Mint) -> None:
    assert client.get("/me", headers={"X-Passport": mint("alice")}).json()["current"] == "alice"
    assert client.get("/maybe").json()["current"] is None
    assert client.get("/me", headers={"X-Passport": mint("bob")}).json()["current"] == "bob"


def test_override_replaces_verification(
    app: FastAPI, client: TestClient, passport_of: PassportOf
) -> None:
    app.dependency_overrides[passport] = lambda: passport_of("alice", roles=["admin"])
    assert client.get("/me").json()["sub"] == "alice"  # no header needed
    assert client.get("/admin-param").json() == {"sub": "alice"}
    app.dependency_overrides[passport] = lambda: passport_of("bob", roles=["user"])
    denied = client.get("/admin")
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"


def test_override_of_optional_passport(
    app: FastAPI, client: TestClient, passport_of: PassportOf
) -> None:
    app.dependency_overrides[optional_passport] = lambda: passport_of("carol")
    assert client.get("/maybe-sync").json()["sub"] == "carol"
    app.dependency_overrides[optional_passport] = lambda: None
    assert client.get("/maybe", headers={"X-Passport": "not-a-passport"}).json()["sub"] is None


def test_async_generator_override_also_makes_the_fake_current(
    app: FastAPI, client: TestClient, passport_of: PassportOf
) -> None:
    alice = passport_of("alice")

    async def as_alice() -> AsyncIterator[Passport]:
        with use_passport(alice):
            yield alice

    app.dependency_overrides[passport] = as_alice
    assert client.get("/me").json() == {"sub": "alice", "current": "alice", "state": None}
    assert client.get("/me-sync").json()["current"] == "alice"
    assert probe_of(app).after == [None, None]


async def _served_in_the_callers_task(app: FastAPI, path: str, token: str) -> dict[str, Any]:
    # ASGITransport awaits the app in this very task: anything left set would show here.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as client:
        response = await client.get(path, headers={"X-Passport": token})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("path", ["/me", "/me-sync", "/maybe", "/admin", "/orders/list"])
def test_the_callers_context_has_no_passport_after_the_request(
    app: FastAPI, mint: Mint, path: str
) -> None:
    token = mint("alice", roles=["admin"], scopes=["orders:read"])

    async def call() -> None:
        body = await _served_in_the_callers_task(app, path, token)
        assert body["current"] == "alice"  # current while the route ran
        assert get_passport() is None  # and gone from the caller's context after

    asyncio.run(call())


def test_the_callers_own_passport_is_restored_after_the_request(
    app: FastAPI, mint: Mint, passport_of: PassportOf
) -> None:
    bob = passport_of("bob")

    async def call() -> None:
        with use_passport(bob):
            body = await _served_in_the_callers_task(app, "/me", mint("alice"))
            assert body["current"] == "alice"
            assert get_passport() is bob

    asyncio.run(call())
