"""MintCache: freshness bounds, LRU within entry and byte limits, drops, and thread safety."""

from __future__ import annotations

import threading

import pytest

from passport_core import ConfigurationError, MintCache
from passport_core.edge import credential_key
from tests.core.conftest import ManualClock

KEY = credential_key("api_key", "secret-one")
OTHER = credential_key("api_key", "secret-two")


@pytest.fixture
def cache(manual_clock: ManualClock) -> MintCache:
    return MintCache(refresh_margin=30, clock=manual_clock)


def test_credential_key_is_a_digest_that_separates_authenticators() -> None:
    key = credential_key("api_key", "secret-one")
    assert len(key) == 32
    assert b"secret-one" not in key
    assert key != credential_key("oidc", "secret-one")


def test_a_fresh_entry_is_served_until_exp_minus_the_margin(
    cache: MintCache, manual_clock: ManualClock
) -> None:
    cache.put(KEY, "orders", "tok", subject="alice", expires_at=manual_clock.now + 300)
    manual_clock.advance(269.9)
    entry = cache.get(KEY, "orders")
    assert entry is not None
    assert (entry.token, entry.subject) == ("tok", "alice")
    manual_clock.advance(0.2)
    assert cache.get(KEY, "orders") is None
    assert len(cache) == 0
    assert cache.size == 0


@pytest.mark.parametrize(
    ("credential_expires_in", "max_age", "served_for"),
    [(100.0, None, 100.0), (None, 20.0, 20.0), (100.0, 20.0, 20.0), (10.0, 20.0, 10.0)],
)
def test_the_earliest_bound_wins(
    credential_expires_in: float | None,
    max_age: float | None,
    served_for: float,
    cache: MintCache,
    manual_clock: ManualClock,
) -> None:
    now = manual_clock.now
    cache.put(
        KEY,
        "orders",
        "tok",
        subject="alice",
        expires_at=now + 300,
        credential_expires_at=None
        if credential_expires_in is None
        else now + credential_expires_in,
        max_age=max_age,
    )
    manual_clock.advance(served_for - 0.1)
    assert cache.get(KEY, "orders") is not None
    manual_clock.advance(0.2)
    assert cache.get(KEY, "orders") is None


def test_a_passport_that_would_be_stale_at_once_is_not_kept(
    cache: MintCache, manual_clock: ManualClock
) -> None:
    cache.put(KEY, "orders", "tok", subject="alice", expires_at=manual_clock.now + 30)
    cache.put(
        OTHER,
        "orders",
        "tok",
        subject="bob",
        expires_at=manual_clock.now + 300,
        credential_expires_at=manual_clock.now - 1,
    )
    assert len(cache) == 0


def test_least_recently_used_goes_first_when_entries_are_full(manual_clock: ManualClock) -> None:
    cache = MintCache(max_entries=2, clock=manual_clock)
    keys = [credential_key("api_key", f"k{i}") for i in range(3)]
    expires = manual_clock.now + 300
    cache.put(keys[0], "orders", "t0", subject="s0", expires_at=expires)
    cache.put(keys[1], "orders", "t1", subject="s1", expires_at=expires)
    assert cache.get(keys[0], "orders") is not None  # k0 is now the most recent
    cache.put(keys[2], "orders", "t2", subject="s2", expires_at=expires)
    assert cache.get(keys[1], "orders") is None
    assert cache.get(keys[0], "orders") is not None
    assert cache.get(keys[2], "orders") is not None


def test_bytes_are_bounded_too(manual_clock: ManualClock) -> None:
    cache = MintCache(max_bytes=250, clock=manual_clock)
    expires = manual_clock.now + 300
    for i in range(5):
        cache.put(credential_key("k", str(i)), "orders", "x" * 100, subject="s", expires_at=expires)
        assert cache.size <= 250
    assert len(cache) == 2
    assert cache.size == 200
    cache.put(KEY, "orders", "y" * 251, subject="s", expires_at=expires)  # alone over the cap
    assert cache.get(KEY, "orders") is None
    assert cache.size == 200


def test_replacing_an_entry_keeps_the_byte_count_right(
    cache: MintCache, manual_clock: ManualClock
) -> None:
    for token in ("a" * 10, "b" * 30, "c" * 20):
        cache.put(KEY, "orders", token, subject="alice", expires_at=manual_clock.now + 300)
    assert (len(cache), cache.size) == (1, 20)


def test_drop_by_key_or_subject_and_clear(cache: MintCache, manual_clock: ManualClock) -> None:
    expires = manual_clock.now + 300
    cache.put(KEY, "orders", "a", subject="alice", expires_at=expires)
    cache.put(KEY, "billing", "b", subject="alice", expires_at=expires)
    cache.put(OTHER, "orders", "c", subject="bob", expires_at=expires)
    assert cache.drop() == 0
    assert cache.drop(KEY) == 2
    assert len(cache) == 1
    cache.put(KEY, "orders", "a", subject="alice", expires_at=expires)
    assert cache.drop(subject="bob") == 1
    cache.clear()
    assert (len(cache), cache.size) == (0, 0)


def test_a_put_started_before_a_drop_is_ignored(
    cache: MintCache, manual_clock: ManualClock
) -> None:
    since = cache.epoch
    cache.drop(subject="alice")
    cache.put(
        KEY, "orders", "stale", subject="alice", expires_at=manual_clock.now + 300, since=since
    )
    assert cache.get(KEY, "orders") is None
    cache.put(
        KEY,
        "orders",
        "fresh",
        subject="alice",
        expires_at=manual_clock.now + 300,
        since=cache.epoch,
    )
    assert cache.get(KEY, "orders") is not None


@pytest.mark.parametrize("options", [{"max_entries": 0}, {"max_bytes": 0}, {"refresh_margin": -1}])
def test_configuration_errors(options: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        MintCache(**options)  # type: ignore[arg-type]


def test_many_threads_keep_the_cache_consistent(manual_clock: ManualClock) -> None:
    cache = MintCache(max_entries=50, max_bytes=4000, clock=manual_clock)
    keys = [credential_key("api_key", f"k{i}") for i in range(200)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def hammer(worker: int) -> None:
        try:
            start.wait(5)
            for round_ in range(400):
                key = keys[(worker * 31 + round_) % len(keys)]
                token = "t" * (10 + round_ % 90)
                cache.put(key, "orders", token, subject=f"s{round_ % 7}", expires_at=2000.0)
                entry = cache.get(key, "orders")
                assert entry is None or entry.token.startswith("t")
                if round_ % 50 == 0:
                    cache.drop(subject=f"s{worker % 7}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(cache) <= 50
    assert cache.size <= 4000
    held = [cache.get(key, "orders") for key in keys]
    assert cache.size == sum(len(entry.token) for entry in held if entry is not None)


def test_a_hit_signed_by_another_kid_is_dropped(
    cache: MintCache, manual_clock: ManualClock
) -> None:
    cache.put(KEY, "orders", "tok", subject="alice", expires_at=manual_clock.now + 300, kid="k1")
    assert cache.get(KEY, "orders", "k1") is not None
    assert cache.get(KEY, "orders", "k2") is None
    assert len(cache) == 0
    assert cache.size == 0
