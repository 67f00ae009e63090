"""Django's middleware build loads the keys (a server building its WSGI app at start-up);
a key server that is down, or broken settings, never fail that build."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client, override_settings

from tests.core.conftest import JWKSServer
from tests.django import settings as test_settings
from tests.django.conftest import Mint
from tests.django.test_servers import QuietHandler
from tests.servers import in_thread, refused_url

pytestmark = pytest.mark.network


@pytest.fixture
def key_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.set_jwks(test_settings.ring)
    yield server
    server.stop()


def _remote(passport_settings: dict[str, Any], url: str) -> dict[str, Any]:
    remote = {key: value for key, value in passport_settings.items() if key != "JWKS"}
    return {**remote, "JWKS_URL": url}


def test_the_wsgi_app_fetches_the_keys_before_the_first_request(
    passport_settings: dict[str, Any], key_server: JWKSServer, mint: Mint
) -> None:
    with override_settings(PASSPORT=_remote(passport_settings, key_server.url())):
        server = make_server(
            "127.0.0.1",
            0,
            get_wsgi_application(),
            server_class=WSGIServer,
            handler_class=QuietHandler,
        )
        assert key_server.hits() == 1  # at start-up, no request served yet
        with in_thread(server) as url:
            response = httpx.get(f"{url}/sync/required/", headers={"X-Passport": mint()}, timeout=5)
        assert response.status_code == 200
        assert key_server.hits() == 1


def test_a_key_server_that_is_down_never_fails_the_build(
    passport_settings: dict[str, Any], mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(PASSPORT=_remote(passport_settings, refused_url())):
        with caplog.at_level(logging.WARNING, logger="passport_core"):
            get_wsgi_application()
        assert "unavailable" in caplog.text
        token = mint()
        client = Client()
        assert client.get("/sync/silent/", headers={"X-Passport": token}).status_code == 200
        assert client.get("/sync/required/", headers={"X-Passport": token}).status_code == 503
        assert token not in caplog.text


def test_broken_settings_never_fail_the_build() -> None:
    # The system checks report them, and every view that needs the gate.
    with override_settings(PASSPORT={"ISSUER": "https://edge.test"}):
        get_wsgi_application()
        assert Client().get("/sync/silent/").status_code == 200
