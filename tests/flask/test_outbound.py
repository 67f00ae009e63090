"""Outbound clients forward the request's passport to allowed hosts only."""

from __future__ import annotations

import pytest
from flask import Flask

from passport_core import KeyRing
from passport_flask import (
    EXTENSION_NAME,
    build_outbound_client,
    outbound_client,
    verify_request,
)
from tests.servers import RunningServer

from .conftest import AppFactory, Mint, build_app, settings

pytestmark = pytest.mark.network


@pytest.fixture
def forwarding_app(make_app: AppFactory, allowed: RunningServer) -> Flask:
    return make_app(PASSPORT_ALLOWED_HOSTS=[f"127.0.0.1:{allowed.port}"])


def test_passport_is_forwarded_to_an_allowed_host(
    forwarding_app: Flask, allowed: RunningServer, mint: Mint
) -> None:
    token = mint("alice")
    response = forwarding_app.test_client().get(
        "/forward", query_string={"url": allowed.url}, headers={"X-Passport": token}
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


def test_one_shared_client_per_app_until_closed(ring: KeyRing) -> None:
    first, second = build_app(settings(ring)), build_app(settings(ring))
    try:
        with first.app_context():
            client = outbound_client()
            assert outbound_client() is client
        with second.app_context():
            assert outbound_client() is not client
        first.extensions[EXTENSION_NAME].close_client(first)
        assert client.is_closed
        with first.app_context():
            assert outbound_client() is not client
    finally:
        for app in (first, second):
            app.extensions[EXTENSION_NAME].close_client(app)


def test_built_client_takes_httpx_options_and_the_apps_allow_list(
    forwarding_app: Flask, allowed: RunningServer, other: RunningServer, mint: Mint
) -> None:
    token = mint("alice")
    with forwarding_app.test_request_context(headers={"X-Passport": token}):
        verify_request()
        with build_outbound_client(headers={"X-Trace": "t-1"}, timeout=5) as http:
            to_allowed = http.get(allowed.url).json()
            to_stranger = http.get(other.url).json()
    assert (to_allowed["x-passport"], to_allowed["x-trace"]) == (token, "t-1")
    assert "x-passport" not in to_stranger
