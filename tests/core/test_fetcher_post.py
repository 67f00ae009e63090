"""The bounded fetcher's POST side: bodies, client headers, the caller's error, every bound."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest

from passport_core import EnrichmentFailed, IdentityProviderUnavailable, KeysUnavailable
from passport_core.http.fetcher import BoundedFetcher, RequestBody
from tests.servers import Answer, AnswerRoute, Received, RouteServer

StartServer = Callable[[AnswerRoute], RouteServer]
SECRET = "client-secret-value-42"


def _echo(request: Received) -> Answer:
    return Answer.json({"body": request.body.decode(), "type": request.headers.get("content-type")})


def _post(fetcher: BoundedFetcher, mode: str, url: str, body: RequestBody, **kw: object) -> object:
    if mode == "async":
        return asyncio.run(fetcher.apost(url, "application/json", body, **kw))  # type: ignore[arg-type]
    return fetcher.post(url, "application/json", body, **kw)  # type: ignore[arg-type]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_form_body_and_client_headers_reach_the_server(
    start_route_server: StartServer, mode: str
) -> None:
    server = start_route_server(_echo)
    fetcher = BoundedFetcher(2.0, 64 * 1024, error=IdentityProviderUnavailable)
    body = RequestBody.form({"token": "a b&c=d", "hint": "access_token"})
    fetched = _post(fetcher, mode, server.url + "/x", body, headers={"Authorization": "Basic x"})
    answer = json.loads(fetched.body)  # type: ignore[attr-defined]
    assert answer["type"] == "application/x-www-form-urlencoded"
    assert parse_qs(answer["body"]) == {"token": ["a b&c=d"], "hint": ["access_token"]}
    request = server.received[-1]
    assert request.method == "POST"
    assert request.headers["authorization"] == "Basic x"
    assert request.headers["accept-encoding"] == "identity"


def test_a_json_body(start_route_server: StartServer, mode: str) -> None:
    server = start_route_server(_echo)
    fetcher = BoundedFetcher(2.0, 64 * 1024)
    fetched = _post(fetcher, mode, server.url, RequestBody.json({"sub": "ü"}))
    answer = json.loads(fetched.body)  # type: ignore[attr-defined]
    assert answer["type"] == "application/json"
    assert json.loads(answer["body"]) == {"sub": "ü"}


def test_a_caller_cannot_switch_compression_on(start_route_server: StartServer) -> None:
    server = start_route_server(_echo)
    BoundedFetcher(2.0, 64 * 1024).fetch(
        server.url, "application/json", headers={"Accept-Encoding": "gzip"}
    )
    assert server.received[-1].headers["accept-encoding"] == "identity"


def test_statuses_the_caller_accepts_are_answers(start_route_server: StartServer) -> None:
    server = start_route_server(
        lambda request: Answer.json({"error": "invalid_client"}, status=401)
    )
    fetcher = BoundedFetcher(2.0, 64 * 1024, error=IdentityProviderUnavailable)
    fetched = fetcher.post(server.url, "application/json", RequestBody.form({}), ok=(200, 401))
    assert fetched.status == 401
    assert json.loads(fetched.body) == {"error": "invalid_client"}
    assert fetched.content_type == "application/json"
    with pytest.raises(IdentityProviderUnavailable, match="answered HTTP 401"):
        fetcher.post(server.url, "application/json", RequestBody.form({}))


BAD = {
    "500": (lambda request: Answer(500, b"boom"), "answered HTTP 500"),
    "redirect": (
        lambda request: Answer(307, headers={"Location": "http://127.0.0.1:1/"}),
        "redirect",
    ),
    "huge": (lambda request: Answer(body=b"x" * 1024, repeat=200), "exceeds"),
    "slow": (lambda request: Answer.json({}, delay=1.5), "did not answer within 0.5 s"),
}


@pytest.mark.parametrize("error", [KeysUnavailable, IdentityProviderUnavailable, EnrichmentFailed])
@pytest.mark.parametrize("case", sorted(BAD))
def test_every_failure_is_the_callers_error_within_the_bound(
    start_route_server: StartServer, mode: str, case: str, error: type[Exception]
) -> None:
    route, message = BAD[case]
    server = start_route_server(route)
    # Only the slow case waits for the deadline: the others get room on a busy machine.
    timeout = 0.5 if case == "slow" else 3.0
    fetcher = BoundedFetcher(timeout, 64 * 1024, error=error, what="the test server")  # type: ignore[arg-type]
    start = time.monotonic()
    with pytest.raises(error, match=message) as info:
        _post(fetcher, mode, server.url, RequestBody.form({"token": SECRET}))
    assert time.monotonic() - start < timeout + 0.7
    assert type(info.value) is error
    assert str(info.value).startswith("the test server")
    assert SECRET not in str(info.value)
    assert "127.0.0.1" not in str(info.value)


def test_a_closed_port_is_the_callers_error(closed_port_url: str, mode: str) -> None:
    fetcher = BoundedFetcher(1.0, 64 * 1024, error=EnrichmentFailed, what="the directory")
    with pytest.raises(EnrichmentFailed, match="the directory could not be reached"):
        _post(fetcher, mode, closed_port_url, RequestBody.form({}))


def test_neither_body_nor_credentials_reach_a_log(
    start_route_server: StartServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_route_server(_echo)
    fetcher = BoundedFetcher(2.0, 64 * 1024)
    with caplog.at_level(logging.DEBUG):
        _post(
            fetcher,
            mode,
            server.url,
            RequestBody.form({"token": SECRET}),
            headers={"Authorization": f"Bearer {SECRET}"},
        )
    assert caplog.records  # httpcore logs each step at DEBUG: none of them holds the secret
    assert SECRET not in caplog.text
    assert SECRET not in repr(RequestBody.form({"token": SECRET}))
