"""Forwarding passports on outbound calls, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from passport_core import (
    ConfigurationError,
    HostAllowList,
    KeyRing,
    Minter,
    Passport,
    Verifier,
    passport_async_client,
    passport_client,
    use_passport,
)
from tests.servers import Route, RunningServer, echo, serve

ISSUER = "https://edge.test"


@pytest.fixture(scope="module")
def passport() -> Passport:
    ring = KeyRing.generate()
    token = Minter(ring, issuer=ISSUER).mint("user-1", audience="orders")
    return Verifier(keys=ring, issuer=ISSUER, audience="orders").verify(token)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve() as running:
        yield running


def received(server: RunningServer) -> list[str | None]:
    return [headers.get("x-passport") for _, headers in server.requests]


def test_forwards_the_current_passport_to_an_allowed_host(
    server: RunningServer, passport: Passport
) -> None:
    with passport_client(["127.0.0.1"]) as client, use_passport(passport):
        client.get(server.url)
    assert received(server) == [passport.token]


@pytest.mark.parametrize("allowed", [[], ["orders.internal"], ["*.internal"], ["127.0.0.2"]])
def test_never_to_a_host_off_the_allow_list(
    server: RunningServer, passport: Passport, allowed: list[str]
) -> None:
    with passport_client(allowed) as client, use_passport(passport):
        client.get(server.url)
    assert received(server) == [None]


def test_nothing_without_a_current_passport(server: RunningServer) -> None:
    with passport_client(["127.0.0.1"]) as client:
        client.get(server.url)
    assert received(server) == [None]


def test_an_explicit_passport_for_background_work(
    server: RunningServer, passport: Passport
) -> None:
    with passport_client(["127.0.0.1"], passport=passport) as client:
        client.get(server.url)
    assert received(server) == [passport.token]


def test_bearer_mode(server: RunningServer, passport: Passport) -> None:
    with passport_client(["127.0.0.1"], bearer=True) as client, use_passport(passport):
        client.get(server.url)
    assert server.requests[0][1]["authorization"] == f"Bearer {passport.token}"
    assert "x-passport" not in server.requests[0][1]


def redirect_to(target: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.path == "/start":
            return 302, {"Location": target}, b""
        return echo(handler)

    return route


def test_dropped_on_a_redirect_to_another_origin(passport: Passport) -> None:
    # Both servers are on an allowed host; the port differs, so the origin differs.
    with serve() as other, serve(redirect_to(f"{other.url}/landing")) as first:
        with (
            passport_client(["127.0.0.1"], follow_redirects=True) as client,
            use_passport(passport),
        ):
            response = client.get(f"{first.url}/start")
        assert response.status_code == 200
        assert received(first) == [passport.token]
        assert received(other) == [None]


def test_kept_on_a_same_origin_redirect(passport: Passport) -> None:
    with serve(redirect_to("/landing")) as first:
        with (
            passport_client(["127.0.0.1"], follow_redirects=True) as client,
            use_passport(passport),
        ):
            client.get(f"{first.url}/start")
        assert received(first) == [passport.token, passport.token]


def test_async_client_forwards_and_drops_on_redirect(passport: Passport) -> None:
    async def call(url: str) -> None:
        async with passport_async_client(["127.0.0.1"], follow_redirects=True) as client:
            with use_passport(passport):
                await client.get(url)

    with serve() as other, serve(redirect_to(f"{other.url}/landing")) as first:
        asyncio.run(call(f"{first.url}/start"))
        assert received(first) == [passport.token]
        assert received(other) == [None]


def test_a_thread_sees_the_passport_only_when_handed_over(
    server: RunningServer, passport: Passport
) -> None:
    with passport_client(["127.0.0.1"]) as client, use_passport(passport):
        plain = threading.Thread(target=client.get, args=(server.url,))
        plain.start()
        plain.join()
        handed = contextvars.copy_context()
        explicit = threading.Thread(target=handed.run, args=(client.get, server.url))
        explicit.start()
        explicit.join()
    assert received(server) == [None, passport.token]


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        ("orders.internal", "http://ORDERS.internal/x", True),
        ("orders.internal", "http://orders.internal.evil.com/", False),
        ("*.internal", "https://a.b.internal/", True),
        ("*.internal", "https://internal/", False),
        ("*.internal", "https://evilinternal/", False),
        ("127.0.0.1:8001", "http://127.0.0.1:8001/", True),
        ("127.0.0.1:8001", "http://127.0.0.1:8002/", False),
        ("billing.internal:443", "https://billing.internal/", True),
        ("billing.internal:443", "http://billing.internal/", False),
        ("[::1]:8000", "http://[::1]:8000/", True),
        ("::1", "http://[::1]:9/", True),
        ("*.internal:8443", "https://a.internal:8443/", True),
        ("*.internal:8443", "https://a.internal/", False),
    ],
)
def test_host_matching(entry: str, url: str, allowed: bool) -> None:
    assert HostAllowList([entry]).allows(httpx.URL(url)) is allowed


@pytest.mark.parametrize(
    "hosts",
    ["orders.internal", ["*"], [""], ["http://x/"], ["a:b"], ["a:0"], ["[::1"], ["x.*.y"], ["*."]],
)
def test_bad_allow_lists_are_refused(hosts: object) -> None:
    with pytest.raises(ConfigurationError):
        HostAllowList(hosts)  # type: ignore[arg-type]


def test_bearer_mode_keeps_the_callers_own_authorization(
    server: RunningServer, passport: Passport
) -> None:
    with passport_client(["orders.internal"], bearer=True) as client, use_passport(passport):
        client.get(server.url, headers={"Authorization": "Bearer my-own-api-key"})
        client.get(server.url, auth=httpx.BasicAuth("user", "pass"))
    sent = [headers.get("authorization") for _, headers in server.requests]
    assert sent[0] == "Bearer my-own-api-key"
    assert sent[1] is not None
    assert sent[1].startswith("Basic ")


def test_a_header_the_caller_set_is_never_replaced(
    server: RunningServer, passport: Passport
) -> None:
    with passport_client(["127.0.0.1"]) as client, use_passport(passport):
        client.get(server.url, headers={"X-Passport": "chosen-by-caller"})
    assert received(server) == ["chosen-by-caller"]
