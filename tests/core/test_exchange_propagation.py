"""PassportAuth exchanges the passport per host audience: real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from passport_core import (
    ConfigurationError,
    ExchangeClient,
    ExchangeRefused,
    ExchangeUnavailable,
    HostAudiences,
    InvalidAudience,
    PassportAuth,
    ProofVerifier,
    RequestTarget,
    Verifier,
    generate_key,
    passport_async_client,
    passport_client,
    use_passport,
)
from tests.servers import RunningServer, serve
from tests.token_service import TokenServiceHarness, token_service


@pytest.fixture
def harness() -> TokenServiceHarness:
    harness = TokenServiceHarness(targets={"b": {"a"}})
    harness.client("a")
    return harness


@pytest.fixture
def exchange(harness: TokenServiceHarness) -> Iterator[ExchangeClient]:
    with token_service(harness) as url:
        yield ExchangeClient(url, client_id="a", client_key=harness.client("a"), timeout=2)


@pytest.fixture
def b() -> Iterator[RunningServer]:
    with serve() as running:
        yield running


@pytest.fixture
def elsewhere() -> Iterator[RunningServer]:
    with serve() as running:
        yield running


def sent(server: RunningServer) -> list[str | None]:
    return [headers.get("x-passport") for _, headers in server.requests]


def test_a_host_with_an_audience_gets_the_exchanged_passport_only(
    harness: TokenServiceHarness, exchange: ExchangeClient, b: RunningServer
) -> None:
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    with (
        passport_client([], exchange=exchange, audiences={f"127.0.0.1:{b.port}": "b"}) as client,
        use_passport(passport),
    ):
        client.get(b.url)
        client.get(b.url)
    first, second = sent(b)
    assert first is not None
    assert first == second != passport.token
    forwarded = harness.verifier("b").verify(first)
    assert (forwarded.subject, forwarded.audience) == ("user-1", ("b",))
    assert [actor.subject for actor in forwarded.actor] == ["a"]
    assert harness.exchanges == 1


def test_other_hosts_keep_the_allow_list_rule(
    harness: TokenServiceHarness,
    exchange: ExchangeClient,
    b: RunningServer,
    elsewhere: RunningServer,
) -> None:
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    audiences = {f"127.0.0.1:{b.port}": "b"}
    with (
        passport_client([], exchange=exchange, audiences=audiences) as client,
        use_passport(passport),
    ):
        client.get(elsewhere.url)
    with (
        passport_client(
            [f"127.0.0.1:{elsewhere.port}"], exchange=exchange, audiences=audiences
        ) as client,
        use_passport(passport),
    ):
        client.get(elsewhere.url)
    assert sent(elsewhere) == [None, passport.token]
    assert harness.exchanges == 0


def test_the_async_client_exchanges_without_blocking_the_loop(
    harness: TokenServiceHarness, exchange: ExchangeClient, b: RunningServer
) -> None:
    harness.delay = 0.3
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def main() -> None:
        audiences = {f"127.0.0.1:{b.port}": "b"}
        task = asyncio.create_task(ticker())
        async with passport_async_client([], exchange=exchange, audiences=audiences) as client:
            with use_passport(passport):
                await asyncio.gather(client.get(b.url), client.get(b.url))
        task.cancel()

    asyncio.run(main())
    assert ticks >= 10  # the loop ran on while the token service was slow
    (token,) = set(sent(b))
    assert token is not None
    assert harness.verifier("b").verify(token).audience == ("b",)
    assert harness.exchanges == 1


@pytest.mark.parametrize("failure", ["refused", "down"])
def test_a_failed_exchange_sends_nothing(
    harness: TokenServiceHarness, exchange: ExchangeClient, b: RunningServer, failure: str
) -> None:
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    if failure == "refused":
        harness.targets = {}
        expected: type[Exception] = ExchangeRefused
    else:
        exchange = ExchangeClient(
            "http://127.0.0.1:1/token", client_id="a", client_key=harness.client("a")
        )
        expected = ExchangeUnavailable
    with (
        passport_client(
            [f"127.0.0.1:{b.port}"], exchange=exchange, audiences={f"127.0.0.1:{b.port}": "b"}
        ) as client,
        use_passport(passport),
        pytest.raises(expected),
    ):
        client.get(b.url)
    assert b.requests == []  # never the full passport instead


def test_a_redirect_to_another_origin_drops_the_exchanged_passport(
    harness: TokenServiceHarness, exchange: ExchangeClient, elsewhere: RunningServer
) -> None:
    def redirect(handler: object) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": elsewhere.url}, b""

    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    with serve(redirect) as first:
        audiences = {f"127.0.0.1:{first.port}": "b", f"127.0.0.1:{elsewhere.port}": "b"}
        with (
            passport_client(
                [], exchange=exchange, audiences=audiences, follow_redirects=True
            ) as client,
            use_passport(passport),
        ):
            client.get(first.url)
        assert sent(first)[0] is not None
    assert sent(elsewhere) == [None]


def test_host_audiences_prefer_the_most_specific_entry() -> None:
    audiences = HostAudiences(
        {"*.internal": "any", "orders.internal": "orders", "orders.internal:8443": "tls"}
    )
    assert audiences.audience(httpx.URL("https://orders.internal:8443/")) == "tls"
    assert audiences.audience(httpx.URL("https://orders.internal/")) == "orders"
    assert audiences.audience(httpx.URL("https://billing.internal/")) == "any"
    assert audiences.audience(httpx.URL("https://orders.example/")) is None


def test_the_longer_wildcard_wins_whatever_the_order_given() -> None:
    # *.internal first in the mapping: pay.billing.internal must still get billing's passport
    audiences = HostAudiences({"*.internal": "generic", "*.billing.internal": "billing"})
    assert audiences.audience(httpx.URL("https://pay.billing.internal/")) == "billing"
    assert audiences.audience(httpx.URL("https://orders.internal/")) == "generic"


@pytest.mark.parametrize(
    "audiences", [{"orders.internal": ""}, {"bad host/": "orders"}, {"*": "orders"}]
)
def test_bad_audiences_are_refused(exchange: ExchangeClient, audiences: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        PassportAuth([], exchange=exchange, audiences=audiences)


def test_audiences_need_an_exchange_client() -> None:
    with pytest.raises(ConfigurationError, match="exchange client"):
        PassportAuth([], audiences={"orders.internal": "orders"})


def test_verifier_of_b_refuses_the_full_passport(harness: TokenServiceHarness) -> None:
    # The point of exchanging: without it, B would receive a passport addressed to A.
    verifier: Verifier = harness.verifier("b")
    with pytest.raises(InvalidAudience):
        verifier.verify(harness.edge_passport("user-1", "a"))


@pytest.mark.parametrize("bearer", [False, True])
def test_a_bound_exchanged_passport_travels_with_a_proof_of_its_key(
    harness: TokenServiceHarness, b: RunningServer, bearer: bool
) -> None:
    proof_key = generate_key("EdDSA")
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    with token_service(harness) as url:
        exchange = ExchangeClient(
            url, client_id="a", client_key=harness.client("a"), proof_key=proof_key
        )
        audiences = {f"127.0.0.1:{b.port}": "b"}
        with (
            passport_client([], exchange=exchange, audiences=audiences, bearer=bearer) as client,
            use_passport(passport),
        ):
            client.get(f"{b.url}/orders?page=2")
            client.get(f"{b.url}/orders?page=2")
    proofs = ProofVerifier()
    for _, headers in b.requests:
        if bearer:
            scheme, token = headers["authorization"].split(" ")
            assert scheme == "DPoP"  # RFC 9449 §7.1
        else:
            token = headers["x-passport"]
        forwarded = harness.verifier("b").verify(token)
        # Each request its own proof: B's replay cache accepts both.
        proofs.verify(
            [headers["dpop"]],
            RequestTarget("GET", f"{b.url}/orders"),
            token=token,
            jkt=forwarded.claims["cnf"]["jkt"],
        )
    assert harness.exchanges == 1


def test_a_redirect_to_another_origin_drops_the_bound_passport_and_its_proof(
    harness: TokenServiceHarness, elsewhere: RunningServer
) -> None:
    def redirect(handler: object) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": elsewhere.url}, b""

    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    with token_service(harness) as url, serve(redirect) as first:
        exchange = ExchangeClient(
            url, client_id="a", client_key=harness.client("a"), proof_key=generate_key("ES256")
        )
        with (
            passport_client(
                [],
                exchange=exchange,
                audiences={f"127.0.0.1:{first.port}": "b"},
                bearer=True,
                follow_redirects=True,
            ) as client,
            use_passport(passport),
        ):
            client.get(first.url)
        ((_, headers),) = first.requests
        assert headers["authorization"].startswith("DPoP ")
        assert "dpop" in headers
    ((_, headers),) = elsewhere.requests
    assert "authorization" not in headers
    assert "dpop" not in headers
