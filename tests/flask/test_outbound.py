"""Outbound clients forward the request's passport to allowed hosts only."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from flask import Flask

from passport_core import KeyRing
from passport_flask import (
    async_outbound_client,
    outbound_client,
    verify_request,
)
from tests.servers import RunningServer

from .conftest import AppFactory, Mint, build_app, settings

pytestmark = pytest.mark.network


@pytest.fixture
def forwarding_app(make_app: AppFactory, allowed: RunningServer) -> Flask:
    return make_app(PASSPORT_ALLOWED_HOSTS=[f"127.0.0.1:{allowed.port}"])


@pytest.mark.parametrize("route", ["/forward", "/async-forward"])
def test_passport_is_forwarded_to_an_allowed_host(
    forwarding_app: Flask, allowed: RunningServer, mint: Mint, route: str
) -> None:
    token = mint("alice")
    response = forwarding_app.test_client().get(
        route, query_string={"url": allowed.url}, headers={"X-Passport": token}
    )
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["x-passport"] == token


def test_passport_is_not_forwarded_to_a_host_off_the_allow_list(
    forwarding_app: Flask, other: RunningServer, mint: Mint
) -> None:
    response = forwarding_app.test_client().get(
        "/forward", query_string={"url": other.url}, headers={"X-Passport": mint("alice")}
    )
    assert response.status_code == 200
    assert response.json is not None
    assert "x-passport" not in response.json
    assert len(other.requests) == 1  # the call itself was made


def test_nothing_is_forwarded_by_default(
    make_app: AppFactory, allowed: RunningServer, mint: Mint
) -> None:
    response = (
        make_app()
        .test_client()
        .get("/forward", query_string={"url": allowed.url}, headers={"X-Passport": mint()})
    )
    assert response.json is not None
    assert "x-passport" not in response.json


def test_no_passport_in_the_request_means_none_forwarded(
    forwarding_app: Flask, allowed: RunningServer
) -> None:
    response = forwarding_app.test_client().get("/forward", query_string={"url": allowed.url})
    assert response.json is not None
    assert "x-passport" not in response.json


def test_bearer_only_service_forwards_as_bearer(
    make_app: AppFactory, allowed: RunningServer, mint: Mint
) -> None:
    app = make_app(PASSPORT_HEADER=None, PASSPORT_BEARER=True, PASSPORT_ALLOWED_HOSTS=["127.0.0.1"])
    token = mint("alice")
    response = app.test_client().get(
        "/forward", query_string={"url": allowed.url}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json is not None
    assert response.json["authorization"] == f"Bearer {token}"


def test_each_call_is_a_new_client_the_caller_owns(ring: KeyRing) -> None:
    app = build_app(settings(ring))
    with app.app_context():
        first, second = outbound_client(), async_outbound_client()
        assert outbound_client() is not first
    assert isinstance(first, httpx.Client)
    assert isinstance(second, httpx.AsyncClient)
    assert not first.is_closed  # nobody closes it behind the caller's back
    first.close()
    asyncio.run(second.aclose())


def test_client_takes_httpx_options_and_the_apps_allow_list(
    forwarding_app: Flask, allowed: RunningServer, other: RunningServer, mint: Mint
) -> None:
    token = mint("alice")
    with forwarding_app.test_request_context(headers={"X-Passport": token}):
        verify_request()
        with outbound_client(headers={"X-Trace": "t-1"}, timeout=5) as http:
            to_allowed = http.get(allowed.url).json()
            to_stranger = http.get(other.url).json()
    assert (to_allowed["x-passport"], to_allowed["x-trace"]) == (token, "t-1")
    assert "x-passport" not in to_stranger
