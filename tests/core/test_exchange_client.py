"""The exchange client against a real token service on 127.0.0.1 (RFC 8693)."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import pytest

from passport_core import (
    ConfigurationError,
    ExchangeClient,
    ExchangeRefused,
    ExchangeUnavailable,
    InvalidAudience,
    ProofVerifier,
    RequestTarget,
    generate_key,
    jwk_thumbprint,
)
from passport_core.token.encoding import b64url_decode
from tests.servers import Answer, RouteServer, refused_url
from tests.token_service import TokenServiceHarness, token_service


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (fixtures pass through)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture
def harness() -> TokenServiceHarness:
    harness = TokenServiceHarness()
    harness.client("a")
    harness.client("b")
    harness.targets = {"b": {"a"}, "c": {"a", "b"}}
    return harness


@pytest.fixture
def endpoint(harness: TokenServiceHarness) -> Iterator[str]:
    with token_service(harness) as url:
        yield url


def client_for(
    harness: TokenServiceHarness, endpoint: str, client_id: str = "a", **options: object
) -> ExchangeClient:
    return ExchangeClient(
        endpoint, client_id=client_id, client_key=harness.client(client_id), **options
    )


def test_exchanges_for_a_passport_of_the_audience_only(
    harness: TokenServiceHarness, endpoint: str
) -> None:
    subject = harness.edge_passport("user-1", "a")
    exchanged = client_for(harness, endpoint).exchange(subject, "b")
    passport = harness.verifier("b").verify(exchanged.token)
    assert passport.subject == "user-1"
    assert passport.audience == ("b",)
    assert [actor.subject for actor in passport.actor] == ["a"]
    assert exchanged.expires_at == pytest.approx(time.time() + harness.ttl, abs=5)
    with pytest.raises(InvalidAudience):
        harness.verifier("a").verify(exchanged.token)
    assert exchanged.token not in repr(exchanged)


def test_a_second_call_is_served_from_the_cache(
    harness: TokenServiceHarness, endpoint: str
) -> None:
    client = client_for(harness, endpoint)
    subject = harness.edge_passport("user-1", "a", scopes=("read", "write"))
    first = client.exchange(subject, "b", scope="read write")
    again = client.exchange(subject, "b", scope="write read")  # RFC 6749 §3.3: no order
    assert again.token == first.token
    assert harness.exchanges == 1
    client.exchange(subject, "c")
    client.exchange(harness.edge_passport("user-2", "a"), "b")
    assert harness.exchanges == 3


@in_loop
async def test_the_async_twin_shares_the_cache(harness: TokenServiceHarness, endpoint: str) -> None:
    client = client_for(harness, endpoint)
    subject = harness.edge_passport("user-1", "a")
    first = await client.aexchange(subject, "b")
    assert client.exchange(subject, "b").token == first.token
    assert (await client.aexchange(subject, "b")).token == first.token
    assert harness.exchanges == 1


def test_concurrent_threads_share_one_exchange(harness: TokenServiceHarness, endpoint: str) -> None:
    harness.delay = 0.3
    client = client_for(harness, endpoint)
    subject = harness.edge_passport("user-1", "a")
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def call() -> None:
        barrier.wait()
        tokens.append(client.exchange(subject, "b").token)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(tokens) == 8
    assert len(set(tokens)) == 1
    assert harness.exchanges == 1


@in_loop
async def test_concurrent_tasks_share_one_exchange(
    harness: TokenServiceHarness, endpoint: str
) -> None:
    harness.delay = 0.3
    client = client_for(harness, endpoint)
    subject = harness.edge_passport("user-1", "a")
    results = await asyncio.gather(*(client.aexchange(subject, "b") for _ in range(8)))
    assert len({exchanged.token for exchanged in results}) == 1
    assert harness.exchanges == 1


def test_an_exchanged_passport_is_renewed_a_margin_before_it_expires(
    harness: TokenServiceHarness, endpoint: str
) -> None:
    harness.ttl = 10  # margin: 10% of the lifetime, 1 s
    shift = [0.0]
    clock: Callable[[], float] = lambda: time.time() + shift[0]  # noqa: E731 - a moving clock
    client = client_for(harness, endpoint, clock=clock)
    subject = harness.edge_passport("user-1", "a")
    client.exchange(subject, "b")
    shift[0] = 8.5
    client.exchange(subject, "b")
    assert harness.exchanges == 1
    shift[0] = 9.5
    client.exchange(subject, "b")
    assert harness.exchanges == 2


def test_the_cache_is_bounded(harness: TokenServiceHarness, endpoint: str) -> None:
    client = client_for(harness, endpoint, cache_size=2)
    subjects = [harness.edge_passport(f"user-{n}", "a") for n in range(3)]
    for subject in subjects:
        client.exchange(subject, "b")
    client.exchange(subjects[0], "b")  # the oldest was evicted
    assert harness.exchanges == 4


@pytest.mark.parametrize(
    ("client_id", "audience", "error"),
    [
        ("a", "unknown", "invalid_target"),
        ("b", "b", "invalid_target"),
        ("z", "b", "invalid_client"),
    ],
)
def test_a_refusal_carries_the_rfc_error_and_is_not_cached(
    harness: TokenServiceHarness, endpoint: str, client_id: str, audience: str, error: str
) -> None:
    if client_id == "a-with-b-key":
        client_id, key = "a", harness.client("b")  # a known id, signed with another's key
    else:
        key = harness.clients.get(client_id) or generate_key("EdDSA", kid="stranger")
    client = ExchangeClient(endpoint, client_id=client_id, client_key=key)
    subject = harness.edge_passport("user-1", "a")
    for _ in range(2):
        with pytest.raises(ExchangeRefused) as refused:
            client.exchange(subject, audience)
        assert refused.value.error == error
        assert (refused.value.code, refused.value.status) == ("exchange_refused", 403)
        assert subject not in str(refused.value)
    assert harness.exchanges == 2


@in_loop
async def test_the_async_twin_is_refused_alike(harness: TokenServiceHarness, endpoint: str) -> None:
    with pytest.raises(ExchangeRefused) as refused:
        await client_for(harness, endpoint).aexchange(harness.edge_passport("u", "a"), "nope")
    assert refused.value.error == "invalid_target"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/token"


@pytest.mark.parametrize("where", ["closed", "silent"])
def test_a_token_service_down_or_hanging_is_unavailable_within_the_timeout(
    harness: TokenServiceHarness, silent_url: str, where: str
) -> None:
    url = refused_url("/token") if where == "closed" else silent_url
    client = ExchangeClient(url, client_id="a", client_key=harness.client("a"), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ExchangeUnavailable) as unavailable:
        client.exchange(harness.edge_passport("user-1", "a"), "b")
    assert time.monotonic() - started < 1.5
    assert (unavailable.value.code, unavailable.value.status) == ("exchange_unavailable", 503)


@pytest.mark.parametrize("where", ["closed", "silent"])
@in_loop
async def test_the_async_twin_is_bounded_alike(
    harness: TokenServiceHarness, silent_url: str, where: str
) -> None:
    url = refused_url("/token") if where == "closed" else silent_url
    client = ExchangeClient(url, client_id="a", client_key=harness.client("a"), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ExchangeUnavailable):
        await client.aexchange(harness.edge_passport("user-1", "a"), "b")
    assert time.monotonic() - started < 1.5


def test_waiters_on_a_hanging_exchange_give_up_within_the_timeout(
    harness: TokenServiceHarness, silent_url: str
) -> None:
    client = ExchangeClient(silent_url, client_id="a", client_key=harness.client("a"), timeout=0.5)
    subject = harness.edge_passport("user-1", "a")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.exchange(subject, "b")
        except ExchangeUnavailable as exc:
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(errors) == 4
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "answer",
    [
        Answer(body=b"<html>down</html>"),
        Answer.json(["not", "an", "object"]),
        Answer.json({"access_token": "x.y.z", "token_type": "N_A"}),  # no issued_token_type
        Answer.json({"error": "server_error"}, status=500),
        Answer.json({"error": 'bad " quote'}, status=400),
        Answer.json({"access_token": "a.b.c", "issued_token_type": "x", "token_type": "N_A"}),
        Answer(status=302, headers={"Location": "http://127.0.0.1:1/"}),
        Answer(body=b"{" + b" " * 300_000 + b"}"),
        Answer(body=b"[" * 100_000 + b"]" * 100_000, status=400),
        Answer(body=b'{"error": "invalid_grant", "error": "x"}', status=400),  # I-JSON
    ],
)
def test_garbage_from_the_token_service_is_unavailable(
    harness: TokenServiceHarness, answer: Answer
) -> None:
    server = RouteServer(lambda _: answer)
    try:
        client = ExchangeClient(
            f"{server.url}/token", client_id="a", client_key=harness.client("a"), timeout=1
        )
        with pytest.raises(ExchangeUnavailable):
            client.exchange(harness.edge_passport("user-1", "a"), "b")
    finally:
        server.stop()


def test_the_request_is_rfc_8693_with_a_client_assertion(harness: TokenServiceHarness) -> None:
    server = RouteServer(lambda _: Answer.json({"error": "invalid_grant"}, status=400))
    try:
        client = ExchangeClient(
            f"{server.url}/token", client_id="a", client_key=harness.client("a")
        )
        subject = harness.edge_passport("user-1", "a")
        with pytest.raises(ExchangeRefused):
            client.exchange(subject, "b", scope="orders:read")
        (request,) = server.received
    finally:
        server.stop()
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert form["subject_token"] == subject
    assert form["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    assert (form["audience"], form["scope"], form["client_id"]) == ("b", "orders:read", "a")
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["client_assertion"].count(".") == 2


@pytest.mark.parametrize(
    "options",
    [
        {"token_endpoint": "http://sts.example/token"},
        {"token_endpoint": "ftp://127.0.0.1/token"},
        {"client_key": generate_key("HS256", kid="shared")},
        {"client_id": ""},
        {"timeout": 0},
        {"cache_size": -1},
        {"margin_ratio": 1.5},
    ],
)
def test_bad_configuration_is_refused(
    harness: TokenServiceHarness, options: dict[str, object]
) -> None:
    settings: dict[str, object] = {
        "token_endpoint": "http://127.0.0.1:1/token",
        "client_id": "a",
        "client_key": harness.client("a"),
        **options,
    }
    endpoint = settings.pop("token_endpoint")
    with pytest.raises(ConfigurationError):
        ExchangeClient(endpoint, **settings)  # type: ignore[arg-type]


def test_the_repr_holds_no_key(harness: TokenServiceHarness) -> None:
    client = ExchangeClient(
        "http://127.0.0.1:1/token", client_id="a", client_key=harness.client("a")
    )
    assert repr(client) == "ExchangeClient('http://127.0.0.1:1/token', client_id='a')"


def test_with_a_proof_key_the_exchanged_passport_is_bound_to_it(
    harness: TokenServiceHarness, endpoint: str
) -> None:
    proof_key = generate_key("ES256")
    client = client_for(harness, endpoint, proof_key=proof_key)
    exchanged = client.exchange(harness.edge_passport("user-1", "a"), "b")
    assert (exchanged.token_type, exchanged.bound) == ("DPoP", True)
    passport = harness.verifier("b").verify(exchanged.token)
    assert passport.claims["cnf"] == {"jkt": jwk_thumbprint(proof_key)}
    # A second exchange makes a new proof: the token service's replay cache takes it.
    assert client.exchange(harness.edge_passport("user-2", "a"), "b").bound


def test_the_exchange_request_carries_a_proof_of_itself(harness: TokenServiceHarness) -> None:
    server = RouteServer(lambda _: Answer.json({"error": "invalid_grant"}, status=400))
    try:
        proof_key = generate_key("EdDSA")
        url = f"{server.url}/token"
        client = ExchangeClient(
            url, client_id="a", client_key=harness.client("a"), proof_key=proof_key
        )
        with pytest.raises(ExchangeRefused):
            client.exchange(harness.edge_passport("user-1", "a"), "b")
        (request,) = server.received
    finally:
        server.stop()
    proof = ProofVerifier().verify([request.headers["dpop"]], RequestTarget("POST", url))
    assert proof.jkt == jwk_thumbprint(proof_key)
    payload = json.loads(b64url_decode(request.headers["dpop"].split(".")[1]))
    assert "ath" not in payload  # RFC 9449 §5: there is no access token yet


def test_a_dpop_answer_whose_passport_names_another_key_is_unavailable(
    harness: TokenServiceHarness,
) -> None:
    # token_type is only the server's word: the passport itself must be bound to our key.
    answer = {
        "access_token": harness.edge_passport("user-1", "b"),  # no cnf at all
        "issued_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_type": "DPoP",
        "expires_in": 60,
    }
    server = RouteServer(lambda _: Answer.json(answer))
    try:
        client = ExchangeClient(
            f"{server.url}/token",
            client_id="a",
            client_key=harness.client("a"),
            proof_key=generate_key("ES256"),
        )
        with pytest.raises(ExchangeUnavailable, match="not bound to the proof key"):
            client.exchange(harness.edge_passport("user-1", "a"), "b")
    finally:
        server.stop()


@pytest.mark.parametrize(("proof_key", "token_type"), [(True, "Bearer"), (False, "DPoP")])
def test_a_binding_the_client_did_not_ask_for_or_did_not_get_is_unavailable(
    harness: TokenServiceHarness, proof_key: bool, token_type: str
) -> None:
    answer = {
        "access_token": harness.edge_passport("user-1", "b"),
        "issued_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_type": token_type,
        "expires_in": 60,
    }
    server = RouteServer(lambda _: Answer.json(answer))
    try:
        options: dict[str, Any] = {"proof_key": generate_key("ES256")} if proof_key else {}
        client = ExchangeClient(
            f"{server.url}/token", client_id="a", client_key=harness.client("a"), **options
        )
        with pytest.raises(ExchangeUnavailable, match=r"bound|bind"):
            client.exchange(harness.edge_passport("user-1", "a"), "b")
    finally:
        server.stop()


def test_a_proof_key_must_be_private_and_asymmetric(harness: TokenServiceHarness) -> None:
    for key in (generate_key("ES256").public(), generate_key("HS256")):
        with pytest.raises(ConfigurationError):
            ExchangeClient(
                "http://127.0.0.1:1/token", client_id="a", client_key=harness.client("a"),
                proof_key=key,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("7", 7),
        ("0", 1),
        ("99999999", 3600),  # capped: the caller's retry is its own decision
        ("in 120 s", 120),  # an HTTP-date, made when the test runs
        ("soon", None),
        ("\u00b2", None),  # a superscript two: str.isdigit() says yes, int() says no
        ("123456789012345", 3600),
        (None, None),
    ],
)
def test_a_busy_token_service_says_when_to_retry(
    harness: TokenServiceHarness, retry_after: str | None, expected: int | None
) -> None:
    if retry_after == "in 120 s":
        retry_after = email.utils.format_datetime(
            datetime.now(timezone.utc) + timedelta(seconds=120)
        )
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    server = RouteServer(
        lambda _: Answer.json({"error": "temporarily_unavailable"}, status=503, headers=headers)
    )
    try:
        client = ExchangeClient(
            f"{server.url}/token", client_id="a", client_key=harness.client("a"), timeout=2
        )
        with pytest.raises(ExchangeUnavailable) as unavailable:
            client.exchange(harness.edge_passport("user-1", "a"), "b")
    finally:
        server.stop()
    if expected is None or expected < 100:
        assert unavailable.value.retry_after == expected
    else:  # an HTTP-date: a second or two may have passed
        assert unavailable.value.retry_after is not None
        assert expected - 5 <= unavailable.value.retry_after <= expected
