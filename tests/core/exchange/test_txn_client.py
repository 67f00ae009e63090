"""``TxnTokenClient`` against a real token endpoint on 127.0.0.1 (uvicorn), and against
servers that answer what no Txn-Token Service may: each is a typed error, within the timeout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from passport_core import (
    ConfigurationError,
    ExchangeRefused,
    ExchangeUnavailable,
    KeyRing,
    TokenExchangeEndpoint,
    TransactionTokens,
    TxnTokenClient,
    TxnTokenService,
    TxnWorkload,
)
from passport_core.exchange import (
    ACCESS_TOKEN_TYPE,
    JWT_BEARER_ASSERTION,
    TOKEN_EXCHANGE_GRANT,
    TXN_TOKEN_URN,
)
from passport_core.token import split_compact
from tests.servers import Answer, RouteServer, asgi_server, refused_url

from .conftest import STS, World

TRUST_DOMAIN = "trust-domain.test"


@pytest.fixture(scope="module")
def endpoint_url(world: World) -> Iterator[str]:
    tts = TxnTokenService(
        world.service,
        trust_domain=TRUST_DOMAIN,
        workloads=[TxnWorkload("a", scopes={"orders:read"}, subject_token_types={"access_token"})],
    )
    with asgi_server(TokenExchangeEndpoint(world.service, txn_tokens=tts)) as url:
        yield f"{url}/token"


def client_for(world: World, url: str, **options: Any) -> TxnTokenClient:
    options.setdefault("timeout", 2)
    return TxnTokenClient(
        url,
        client_id="a",
        client_key=world.keys["a"],
        trust_domain=TRUST_DOMAIN,
        assertion_audience=STS,
        allow_insecure=True,
        **options,
    )


def test_a_txn_token_is_obtained_and_never_cached(world: World, endpoint_url: str) -> None:
    client = client_for(world, endpoint_url)
    passport = world.passport("a")

    first = client.request(passport, scope="orders:read", request_details={"order": "o-1"})
    second = asyncio.run(client.arequest(passport, scope=["orders:read"]))

    verifier = TransactionTokens(TRUST_DOMAIN, issuer=STS).verifier(world.sts.key_ring)
    one, two = verifier.verify(first.token), verifier.verify(second.token)
    assert one.claims["tctx"] == {"order": "o-1"}
    assert one.claims["txn"] != two.claims["txn"]  # one transaction each: nothing cached
    # the service's answer has neither: they are the Txn-Token's own
    assert first.scope == "orders:read"
    assert first.expires_at == one.expires_at.timestamp()
    assert first.token not in repr(first)


def test_a_refusal_is_exchange_refused_with_its_error(world: World, endpoint_url: str) -> None:
    with pytest.raises(ExchangeRefused) as refused:
        client_for(world, endpoint_url).request(world.passport("a"), scope="orders:write")
    assert refused.value.error == "invalid_scope"
    assert refused.value.status == 403


def test_the_request_is_the_drafts(world: World) -> None:
    server = RouteServer(lambda _: Answer.json({"error": "invalid_grant"}, status=400))
    try:
        with pytest.raises(ExchangeRefused):
            client_for(world, f"{server.url}/token").request(
                "subject.token.value",
                scope="trade.stocks",
                request_context={"req_ip": "192.0.2.7"},
                request_details={"action": "BUY"},
            )
        (request,) = server.received
    finally:
        server.stop()
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
    assert form["grant_type"] == TOKEN_EXCHANGE_GRANT
    assert form["requested_token_type"] == TXN_TOKEN_URN
    assert form["audience"] == TRUST_DOMAIN
    assert form["scope"] == "trade.stocks"
    assert form["subject_token"] == "subject.token.value"
    assert form["subject_token_type"] == ACCESS_TOKEN_TYPE
    # -10: JSON objects, form-encoded as they are
    assert json.loads(form["request_context"]) == {"req_ip": "192.0.2.7"}
    assert json.loads(form["request_details"]) == {"action": "BUY"}
    assert form["client_assertion_type"] == JWT_BEARER_ASSERTION
    assert "authorization" not in request.headers


#: a Txn-Token as some TTS signs it (the client reads, does not verify, its exp and scope)
SOME_TXN_TOKEN = (
    TransactionTokens(TRUST_DOMAIN, issuer="https://some-tts.test")
    .minter(KeyRing.generate())
    .mint("user-1", scope="x", requesting_workload="a")
)
GOOD = {
    "access_token": SOME_TXN_TOKEN,
    "issued_token_type": TXN_TOKEN_URN,
    "token_type": "N_A",
}


@pytest.mark.parametrize(
    "answer",
    [
        Answer.json({**GOOD, "token_type": "Bearer"}),
        Answer.json({**GOOD, "issued_token_type": "urn:ietf:params:oauth:token-type:jwt"}),
        Answer.json({**GOOD, "refresh_token": "r"}),  # -10: MUST NOT be included
        Answer.json({**GOOD, "access_token": "not-a-jwt"}),
        Answer.json({**GOOD, "expires_in": "60"}),
        Answer.json({**GOOD, "scope": ["x"]}),
        Answer.json({"error": 'no such thing as "this"'}, status=400),
        Answer(status=502, body=b"<html>bad gateway</html>"),
        Answer.json(GOOD, delay=3),  # slower than the timeout
    ],
    ids=[
        "bearer",
        "jwt-type",
        "refresh-token",
        "not-jwt",
        "expires-in",
        "scope",
        "bad-error",
        "502",
        "slow",
    ],
)
def test_what_no_txn_token_service_answers_is_unavailable(world: World, answer: Answer) -> None:
    server = RouteServer(lambda _: answer)
    try:
        client = client_for(world, f"{server.url}/token", timeout=1)
        started = time.monotonic()
        with pytest.raises(ExchangeUnavailable):
            client.request("s.t.v", scope="x")
        assert time.monotonic() - started < 2.5
    finally:
        server.stop()


def test_a_down_service_is_unavailable_at_once(world: World) -> None:
    client = client_for(world, refused_url("/token"))
    with pytest.raises(ExchangeUnavailable):
        client.request("s.t.v", scope="x")


@pytest.mark.parametrize(
    "answer",
    [
        {**GOOD, "token_type": "n_a"},  # RFC 6749 §7.1: case-insensitive
        {**GOOD, "expires_in": 5, "scope": "y"},  # RFC 8693's optional members, if sent
    ],
)
def test_a_txn_token_response_of_another_service_is_read(
    world: World, answer: dict[str, Any]
) -> None:
    server = RouteServer(lambda _: Answer.json(answer))
    try:
        issued = client_for(world, f"{server.url}/token").request("s.t.v", scope="x")
    finally:
        server.stop()
    assert issued.token == SOME_TXN_TOKEN
    assert issued.scope == answer.get("scope", "x")
    if "expires_in" in answer:
        assert issued.expires_at == pytest.approx(time.time() + 5, abs=2)
    else:  # the Txn-Token's own exp
        assert issued.expires_at == split_compact(SOME_TXN_TOKEN).payload["exp"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.request("s.t.v", scope=""), TypeError),
        (lambda c: c.request("s.t.v", scope=[]), TypeError),
        (lambda c: c.request("", scope="x"), TypeError),
        (
            lambda c: c.request("s.t.v", scope="x", request_context=["not", "an", "object"]),
            TypeError,
        ),
    ],
)
def test_a_bad_argument_is_refused_before_any_request(
    world: World, call: Any, error: type[Exception]
) -> None:
    client = client_for(world, refused_url("/token"))
    with pytest.raises(error):
        call(client)


@pytest.mark.parametrize(
    "options",
    [
        {"trust_domain": ""},
        {"timeout": 0},
    ],
)
def test_a_bad_client_is_a_configuration_error(world: World, options: dict[str, Any]) -> None:
    settings: dict[str, Any] = {
        "client_id": "a",
        "client_key": world.keys["a"],
        "trust_domain": TRUST_DOMAIN,
    }
    settings.update(options)
    with pytest.raises(ConfigurationError):
        TxnTokenClient("http://127.0.0.1:1/token", allow_insecure=True, **settings)


def test_plain_http_elsewhere_than_loopback_is_refused(world: World) -> None:
    with pytest.raises(ConfigurationError):
        TxnTokenClient(
            "http://tts.example/token",
            client_id="a",
            client_key=world.keys["a"],
            trust_domain=TRUST_DOMAIN,
        )
