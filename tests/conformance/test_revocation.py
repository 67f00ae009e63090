"""A revoked passport is refused alike by every adapter, from its verified-token cache too.

The service's ``revocations`` setting is a store shared with whoever revokes
(here one :class:`~passport_core.MemoryRevocations`; the Redis store's own tests
show the same across processes); each adapter answers core's 401.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from passport_core import (
    ConfigurationError,
    MemoryRevocations,
    Minter,
    PassportConfig,
    PassportRevoked,
    RedisRevocations,
    Revocation,
    RevocationUnavailable,
    Verifier,
)
from tests.conformance.apps import AUDIENCE, ISSUER, RING, SETTINGS
from tests.conformance.conftest import Send, serving
from tests.conformance.test_conformance import MINTER, REQUIRED_ROUTES, _one, assert_core_answer

#: mints passports issued a few seconds ago, before any cut-off a test sets now
EARLIER = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 5)


@pytest.fixture
def store() -> MemoryRevocations:
    return MemoryRevocations()


@pytest.fixture
def revocable(adapter: str, store: MemoryRevocations) -> Iterator[Send]:
    with serving(adapter, {**SETTINGS, "revocations": store}) as sender:
        yield sender


@pytest.mark.parametrize("route", REQUIRED_ROUTES)
def test_a_revoked_passport_is_refused_even_once_cached(
    revocable: Send, store: MemoryRevocations, route: str
) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE)
    other = MINTER.mint("alice", audience=AUDIENCE)
    assert revocable(route, _one(token)).status == 200  # now in the verified-token cache
    jti = PassportConfig.from_mapping(SETTINGS).build_verifier().verify(token).jti
    assert jti is not None
    store.revoke(Revocation.passport(ISSUER, jti, expires=time.time() + 600))
    answer = revocable(route, _one(token))
    assert answer.json()["code"] == "passport_revoked"
    assert_core_answer(answer, PassportRevoked())
    assert revocable(route, _one(other)).status == 200  # only that one passport


def test_logging_a_subject_out_everywhere_spares_its_later_passports(
    revocable: Send, store: MemoryRevocations
) -> None:
    earlier = EARLIER.mint("alice", audience=AUDIENCE)
    bob = EARLIER.mint("bob", audience=AUDIENCE)
    store.revoke(Revocation.subject(ISSUER, "alice", before=time.time() - 1, lifetime=3600))
    answer = revocable("/required", _one(earlier))
    assert (answer.status, answer.json()["code"]) == (401, "passport_revoked")
    assert revocable("/required", _one(bob)).status == 200
    later = MINTER.mint("alice", audience=AUDIENCE)
    assert revocable("/required", _one(later)).status == 200


def test_a_session_is_revoked_by_its_sid(revocable: Send, store: MemoryRevocations) -> None:
    in_session = EARLIER.mint("alice", audience=AUDIENCE, claims={"sid": "s-1"})
    elsewhere = EARLIER.mint("alice", audience=AUDIENCE, claims={"sid": "s-2"})
    store.revoke(Revocation.session(ISSUER, "s-1", before=time.time(), lifetime=3600))
    assert revocable("/required", _one(in_session)).status == 401
    assert revocable("/required", _one(elsewhere)).status == 200


def test_revocations_beside_a_ready_verifier_is_a_configuration_error() -> None:
    verifier = Verifier(keys=RING, issuer=ISSUER, audience=AUDIENCE)
    config = PassportConfig.from_mapping({"verifier": verifier, "revocations": MemoryRevocations()})
    assert [p.code for p in config.problems()] == ["revocations_with_verifier"]
    with pytest.raises(ConfigurationError) as caught:
        config.build_verifier()
    assert caught.value.setting == "revocations"


def test_a_store_that_is_not_one_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping({**SETTINGS, "revocations": "memory"})
    assert caught.value.setting == "revocations"


def test_revocations_beside_an_edge_belong_to_the_edge() -> None:
    from tests.conformance.apps import EDGE_SETTINGS  # noqa: PLC0415

    config = PassportConfig.from_mapping({**EDGE_SETTINGS, "revocations": MemoryRevocations()})
    assert "revocations_with_edge" in [p.code for p in config.problems()]
    with pytest.raises(ConfigurationError) as caught:
        config.build_gate()
    assert caught.value.setting == "revocations"


# -- a shared store: real Redis --------------------------------------------------------------


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisRevocations]:
    store = RedisRevocations.from_url(redis_url, prefix=f"passport:conformance:{uuid.uuid4()}:")
    store.start()
    assert _until(lambda: store.healthy)
    yield store
    store.close()


def test_a_revocation_written_by_another_process_reaches_every_adapter_within_a_second(
    adapter: str, redis_url: str, redis_store: RedisRevocations
) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE)
    with serving(adapter, {**SETTINGS, "revocations": redis_store}) as send:
        assert send("/required", _one(token)).status == 200
        writer = RedisRevocations.from_url(redis_url, prefix=redis_store.prefix)
        try:
            writer.revoke(Revocation.subject(ISSUER, "alice", before=time.time() + 1, lifetime=60))
        finally:
            writer.close()
        started = time.monotonic()
        assert _until(lambda: send("/required", _one(token)).status == 401, 1.0)
        assert time.monotonic() - started < 1.0
        assert send("/required", _one(MINTER.mint("bob", audience=AUDIENCE))).status == 200


@pytest.mark.parametrize("fail_open", [False, True])
def test_an_unreachable_redis_fails_closed_with_503_or_open_as_configured(
    adapter: str, fail_open: bool
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    store = RedisRevocations.from_url(f"redis://127.0.0.1:{dead}/0", fail_open=fail_open)
    store.start()
    try:
        with serving(adapter, {**SETTINGS, "revocations": store}) as send:
            started = time.monotonic()
            answer = send("/required", _one(MINTER.mint("alice", audience=AUDIENCE)))
            assert time.monotonic() - started < 2.0  # never a hang
        if fail_open:
            assert answer.status == 200
        else:
            assert (answer.status, answer.json()["code"]) == (503, "revocation_unavailable")
            assert "retry-after" in answer.headers
            assert_core_answer(answer, RevocationUnavailable())
    finally:
        store.close()


def test_a_redis_url_setting_builds_one_started_store(redis_url: str) -> None:
    config = PassportConfig.from_mapping(
        {**SETTINGS, "revocations": redis_url, "revocation_fail_open": True}
    )
    store = config.revocation_store
    try:
        assert isinstance(store, RedisRevocations)
        assert store.fail_open
        assert config.revocation_store is store
        assert _until(lambda: store.healthy)
        assert config.build_verifier().revocations is store
    finally:
        assert isinstance(store, RedisRevocations)
        store.close()


def test_fail_open_without_a_redis_url_is_a_configuration_error() -> None:
    config = PassportConfig.from_mapping(
        {**SETTINGS, "revocations": MemoryRevocations(), "revocation_fail_open": True}
    )
    with pytest.raises(ConfigurationError) as caught:
        config.build_verifier()
    assert caught.value.setting == "revocation_fail_open"
