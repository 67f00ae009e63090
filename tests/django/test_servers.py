"""The Django app under real servers on 127.0.0.1: WSGI (threaded wsgiref) and ASGI (uvicorn)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from passport_core import confirmation, generate_key, make_proof
from tests.django import views
from tests.django.conftest import Mint
from tests.servers import asgi_server, in_thread

pytestmark = pytest.mark.network


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def wsgi_url() -> Iterator[str]:
    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    with in_thread(server) as url:
        yield url


@pytest.fixture
def asgi_url() -> Iterator[str]:
    with asgi_server(get_asgi_application()) as url:
        yield url


def _two_users_at_once(url: str, mint: Mint) -> list[dict[str, Any]]:
    users = ["alice", "bob"]
    tokens = {user: mint(user) for user in users}

    def call(user: str) -> dict[str, Any]:
        answer = httpx.get(url, headers={"X-Passport": tokens[user]}, timeout=10)
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        return body

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(call, users))


def test_two_users_on_a_threaded_wsgi_server_never_see_each_other(
    wsgi_url: str, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The barrier holds each request in the view until the other one is there too.
    monkeypatch.setattr(views, "barrier", threading.Barrier(2, timeout=5))
    alice, bob = _two_users_at_once(f"{wsgi_url}/overlap/", mint)
    assert alice["thread"] != bob["thread"]
    for user, seen in (("alice", alice), ("bob", bob)):
        for moment in ("before", "after"):
            assert seen[moment]["subject"] == user
            assert seen[moment]["context"] == user
            assert seen[moment]["user"] == user


def test_two_users_on_uvicorn_never_see_each_other(asgi_url: str, mint: Mint) -> None:
    views.reset_async_overlap()
    alice, bob = _two_users_at_once(f"{asgi_url}/async-overlap/", mint)
    assert alice["met"] == bob["met"] == 2  # both were in the view at once
    for user, seen in (("alice", alice), ("bob", bob)):
        for moment in ("before", "after"):
            assert seen[moment]["context"] == user
            assert seen[moment]["subject"] == user


@pytest.mark.parametrize("server", ["wsgi_url", "asgi_url"])
def test_a_real_duplicate_header_is_refused(
    request: pytest.FixtureRequest, mint: Mint, server: str
) -> None:
    url = httpx.URL(request.getfixturevalue(server))
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.putrequest("GET", "/sync/open/")
        connection.putheader("X-Passport", mint("alice"))
        connection.putheader("X-Passport", mint("mallory"))
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 401
    assert b'"code":"duplicate_token"' in body
    assert response.getheader("WWW-Authenticate", "").startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("server", ["wsgi_url", "asgi_url"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_guards_answer_over_real_http(
    request: pytest.FixtureRequest, mint: Mint, server: str, mode: str
) -> None:
    base = request.getfixturevalue(server)
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get(f"/{mode}/role/").status_code == 401
        assert http.get(f"/{mode}/role/", headers={"X-Passport": mint("bob")}).status_code == 403
        admin = http.get(f"/{mode}/role/", headers={"X-Passport": mint("al", roles=["admin"])})
        assert admin.json()["context"] == "al"
        assert http.get("/sync/open/", headers={"X-Passport": "forged"}).status_code == 401


@pytest.mark.parametrize(
    ("server", "path", "name"),
    [
        ("asgi", "/async/items/caf%C3%A9%20x%2Fy", "café x/y"),
        ("asgi", "/sync/items/caf%C3%A9%20x%2Fy", "café x/y"),
        # wsgiref passes no REQUEST_URI: the decoded path is encoded again, so an encoded
        # "/" is not told apart (gunicorn's RAW_URI is; see RequestTarget.of)
        ("wsgi", "/sync/items/caf%C3%A9%20x", "café x"),
    ],
)
def test_a_bound_passport_proven_for_the_path_as_sent(
    request: pytest.FixtureRequest, mint: Mint, server: str, path: str, name: str
) -> None:
    # RFC 9449 §4.3 step 9 under real servers: the proof names the path percent-encoded as
    # the client sent it; Django hands out the decoded one.
    base = request.getfixturevalue(f"{server}_url")
    holder = generate_key("ES256")
    token = mint("alice", cnf=confirmation(holder))
    url = f"{base}{path}"
    proof = make_proof(holder, "GET", url, token=token)
    answer = httpx.get(url, headers={"X-Passport": token, "DPoP": proof}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["subject"]) == (name, "alice")
    elsewhere = make_proof(holder, "GET", f"{base}/sync/items/other", token=token)
    answer = httpx.get(url, headers={"X-Passport": token, "DPoP": elsewhere}, timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_dpop_proof")
