"""APIKeyAuthenticator: lookups by digest, constant-time comparison, expiry, bounded lookups,
and a key that never shows in logs, reprs or messages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    CommonData,
    ConfigurationError,
    Identity,
    IdentityProviderUnavailable,
    InvalidCredential,
    PassportError,
    api_key_digest,
)
from tests.core.conftest import ManualClock
from tests.core.edge.conftest import ALICE_KEY, KeyTable, MakeEdge, Mint, request, with_key

Authenticate = Callable[[APIKeyAuthenticator, str], Identity]


@pytest.fixture
def authenticate(mode: str) -> Authenticate:
    def run(authenticator: APIKeyAuthenticator, key: str) -> Identity:
        edge_request = with_key(key)
        if mode == "sync":
            return authenticator.authenticate(key, edge_request)
        return asyncio.run(authenticator.aauthenticate(key, edge_request))

    return run


def test_the_lookup_gets_the_digest_never_the_key(
    key_table: KeyTable, authenticate: Authenticate
) -> None:
    asked: list[str] = []

    def lookup(digest: str) -> APIKey | None:
        asked.append(digest)
        return key_table(digest)

    identity = authenticate(APIKeyAuthenticator(lookup), ALICE_KEY)
    assert asked == [api_key_digest(ALICE_KEY)]
    assert (identity.subject, identity.method) == ("alice", "api_key")


def test_the_digest_is_sha256_hex() -> None:
    assert api_key_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_a_loose_lookup_cannot_let_a_wrong_key_in(authenticate: Authenticate) -> None:
    # A store that matches on a prefix (or case-insensitively) returns another key's entry.
    stored = APIKey(api_key_digest("the-real-key"), "alice")
    with pytest.raises(InvalidCredential):
        authenticate(APIKeyAuthenticator(lambda digest: stored), "a-guessed-key")


def test_the_stored_common_data_reaches_the_identity(authenticate: Authenticate) -> None:
    stored = APIKey(api_key_digest(ALICE_KEY), "alice", CommonData(roles=frozenset({"ci"})))
    identity = authenticate(APIKeyAuthenticator(lambda digest: stored), ALICE_KEY)
    assert identity.common.roles == {"ci"}


def test_an_expired_key_is_refused_and_a_live_one_carries_its_expiry(
    authenticate: Authenticate, manual_clock: ManualClock
) -> None:
    stored = APIKey(api_key_digest(ALICE_KEY), "alice", expires_at=manual_clock.now + 10)
    authenticator = APIKeyAuthenticator(lambda digest: stored, clock=manual_clock)
    assert authenticate(authenticator, ALICE_KEY).expires_at == manual_clock.now + 10
    manual_clock.advance(10)
    with pytest.raises(InvalidCredential, match="expired"):
        authenticate(authenticator, ALICE_KEY)


def _lookups(table: KeyTable) -> dict[str, Callable[[str], Any]]:
    async def async_lookup(digest: str) -> APIKey | None:
        await asyncio.sleep(0)
        return table(digest)

    def awaitable_lookup(digest: str) -> Awaitable[APIKey | None]:
        return async_lookup(digest)  # a plain function handing back a coroutine

    class Store:
        async def __call__(self, digest: str) -> APIKey | None:
            return table(digest)

    return {"sync": table, "async": async_lookup, "awaitable": awaitable_lookup, "object": Store()}


@pytest.mark.parametrize("kind", ["sync", "async", "awaitable", "object"])
def test_sync_async_and_awaitable_lookups(
    kind: str, key_table: KeyTable, authenticate: Authenticate
) -> None:
    authenticator = APIKeyAuthenticator(_lookups(key_table)[kind])
    assert authenticate(authenticator, ALICE_KEY).subject == "alice"
    with pytest.raises(InvalidCredential):
        authenticate(authenticator, "ak_nobody")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_slow_lookup_is_a_503_within_the_timeout(kind: str, authenticate: Authenticate) -> None:
    def slow(digest: str) -> None:
        time.sleep(2)

    async def aslow(digest: str) -> None:
        await asyncio.sleep(2)

    authenticator = APIKeyAuthenticator(slow if kind == "sync" else aslow, timeout=0.2)
    start = time.monotonic()
    with pytest.raises(IdentityProviderUnavailable) as caught:
        authenticate(authenticator, ALICE_KEY)
    assert time.monotonic() - start < 1.0
    assert caught.value.status == 503
    assert "0.2 s" in caught.value.message


def test_a_lookup_that_raises_is_a_503_without_its_message(
    authenticate: Authenticate, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(digest: str) -> None:
        raise ConnectionError(f"no answer from the store for digest {digest}")

    with caplog.at_level(logging.DEBUG), pytest.raises(IdentityProviderUnavailable) as caught:
        authenticate(APIKeyAuthenticator(broken), ALICE_KEY)
    assert "ConnectionError" in caught.value.message
    assert api_key_digest(ALICE_KEY) not in caught.value.message
    assert api_key_digest(ALICE_KEY) not in caplog.text


def test_a_lookup_s_own_passport_error_stands(authenticate: Authenticate) -> None:
    def locked(digest: str) -> None:
        raise InvalidCredential("the key was revoked")

    with pytest.raises(InvalidCredential, match="revoked"):
        authenticate(APIKeyAuthenticator(locked), ALICE_KEY)


@pytest.mark.parametrize("answer", ["alice", {"digest": "x"}])
def test_a_lookup_must_answer_an_api_key(answer: Any, authenticate: Authenticate) -> None:
    with pytest.raises(ConfigurationError, match="APIKey"):
        authenticate(APIKeyAuthenticator(lambda digest: answer), ALICE_KEY)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": 61}, "timeout"),
        ({"header": None}, "Bearer"),
        ({"lookup": "not callable"}, "lookup"),
    ],
)
def test_configuration_errors(options: dict[str, Any], message: str, key_table: KeyTable) -> None:
    lookup = options.pop("lookup", key_table)
    with pytest.raises(ConfigurationError, match=message):
        APIKeyAuthenticator(lookup, **options)


def test_the_credential_is_read_from_its_header_or_bearer(key_table: KeyTable) -> None:
    header_only = APIKeyAuthenticator(key_table)
    bearer_too = APIKeyAuthenticator(key_table, header="X-Key", bearer=True)
    bearer = request({"Authorization": f"Bearer {ALICE_KEY}"})
    assert header_only.credential(with_key()) == ALICE_KEY
    assert header_only.credential(bearer) is None
    assert bearer_too.credential(bearer) == ALICE_KEY
    assert bearer_too.credential(request({"X-Key": ALICE_KEY})) == ALICE_KEY
    assert header_only.credential(request({"X-API-Key": ""})) is None


def test_the_key_never_shows_in_logs_reprs_or_messages(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ak_live_SUPER_SECRET_9f8e7d6c5b4a"
    key_table.add(secret, "svc", expires_at=1.0)  # long expired
    edge = make_edge()
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for key in (secret, secret + "x"):
            try:
                mint(edge, with_key(key))
            except PassportError as error:
                seen += [str(error), repr(error), error.message]
    seen += [repr(edge), repr(edge.authenticators[0]), caplog.text]
    assert len(seen) == 9
    assert all(secret not in text for text in seen)
