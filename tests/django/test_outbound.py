"""Outbound clients forward the request's passport to allowed hosts only (real loopback servers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.test import override_settings

from passport_django import outbound_client
from tests.django import settings as test_settings
from tests.django.conftest import Get, Mint
from tests.servers import RunningServer, serve

pytestmark = pytest.mark.network


@pytest.fixture
def forwarding(
    passport_settings: dict[str, Any], allowed: RunningServer
) -> Iterator[dict[str, Any]]:
    settings = {**passport_settings, "ALLOWED_HOSTS": [f"127.0.0.1:{allowed.port}"]}
    with override_settings(PASSPORT=settings):
        yield settings


@pytest.mark.usefixtures("forwarding")
@pytest.mark.parametrize("route", ["outbound", "async-outbound"])
def test_the_passport_goes_to_an_allowed_host_and_nowhere_else(
    get: Get, mint: Mint, allowed: RunningServer, other: RunningServer, route: str
) -> None:
    token = mint("alice")
    to_allowed = get(f"/{route}/?url={allowed.url}/invoices", token).json()
    assert to_allowed["x-passport"] == token
    to_other = get(f"/{route}/?url={other.url}/track", token).json()
    assert "x-passport" not in to_other
    assert [headers.get("x-passport") for _, headers in other.requests] == [None]


@pytest.mark.usefixtures("forwarding")
def test_a_request_without_passport_forwards_nothing(get: Get, allowed: RunningServer) -> None:
    assert "x-passport" not in get(f"/outbound/?url={allowed.url}/").json()


def test_by_default_no_host_is_allowed(get: Get, mint: Mint, allowed: RunningServer) -> None:
    assert "x-passport" not in get(f"/outbound/?url={allowed.url}/", mint()).json()


def test_a_bearer_only_service_forwards_in_authorization(
    get: Get, mint: Mint, allowed: RunningServer, forwarding: dict[str, Any]
) -> None:
    token = mint("alice")
    with override_settings(PASSPORT={**forwarding, "HEADER": None, "BEARER": True}):
        echoed = get(f"/outbound/?url={allowed.url}/", headers={"Authorization": f"Bearer {token}"})
    assert echoed.json()["authorization"] == f"Bearer {token}"


def test_outside_a_request_the_client_sends_no_passport(
    allowed: RunningServer, forwarding: dict[str, Any]
) -> None:
    with outbound_client(timeout=5) as http:
        assert "x-passport" not in http.get(allowed.url).json()


def _jwks(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(test_settings.ring.public_jwks()).encode()
    return 200, {"Content-Type": "application/jwk-set+json"}, body


def test_keys_are_fetched_from_a_jwks_url_in_sync_and_async_stacks(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    del passport_settings["JWKS"]
    with (
        serve(_jwks) as keys,
        override_settings(PASSPORT={**passport_settings, "JWKS_URL": f"{keys.url}/jwks"}),
    ):
        assert get("/sync/required/", mint("alice")).json()["subject"] == "alice"
        assert get("/async/required/", mint("bob")).json()["subject"] == "bob"
        assert [path for path, _ in keys.requests] == ["/jwks"]  # fetched once, then cached
