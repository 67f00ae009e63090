"""``init_app`` loads the keys, so the first request does not; a key server down never fails it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from passport_core import KeyRing
from tests.core.conftest import JWKSServer
from tests.servers import refused_url

from .conftest import Mint, build_app, settings

pytestmark = pytest.mark.network


@pytest.fixture
def key_server(ring: KeyRing) -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.set_jwks(ring)
    yield server
    server.stop()


def _app(ring: KeyRing, url: str) -> Flask:
    return build_app(settings(ring, PASSPORT_JWKS=..., PASSPORT_JWKS_URL=url))


def test_init_app_fetches_the_keys_before_the_first_request(
    ring: KeyRing, key_server: JWKSServer, mint: Mint
) -> None:
    app = _app(ring, key_server.url())
    assert key_server.hits() == 1  # at start-up, no request served yet
    assert app.test_client().get("/required", headers={"X-Passport": mint()}).status_code == 200
    assert key_server.hits() == 1


def test_a_key_server_that_is_down_never_fails_init_app(
    ring: KeyRing, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="passport_core"):
        app = _app(ring, refused_url())
    assert "unavailable" in caplog.text
    client = app.test_client()
    token = mint()
    assert client.get("/public", headers={"X-Passport": token}).status_code == 200
    answer = client.get("/required", headers={"X-Passport": token})
    assert answer.status_code == 503  # the first request that needs the keys retries, typed
    assert token not in caplog.text
