"""The Redis revocation store, against a real redis-server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from passport_core import (
    ConfigurationError,
    KeyRing,
    Minter,
    PassportRevoked,
    RedisRevocations,
    Revocation,
    RevocationList,
    RevocationStore,
    RevocationUnavailable,
    Verifier,
)
from tests.core.revocation.redis_helpers import OwnRedis, free_port, wait_for

ISSUER = "https://edge.test"
AUDIENCE = "orders"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def prefix() -> str:
    return f"t{time.time_ns()}:revocation:"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate("EdDSA")


@pytest.fixture
def minter(ring: KeyRing) -> Minter:
    return Minter(ring, issuer=ISSUER)


@pytest.fixture
def stores(redis_url: str, prefix: str) -> Iterator[list[RedisRevocations]]:
    """Started stores on the shared server, closed after the test."""
    made: list[RedisRevocations] = []
    yield made
    for store in made:
        store.close()


def _started(
    made: list[RedisRevocations], url: str, prefix: str, **options: Any
) -> RedisRevocations:
    store = RedisRevocations.from_url(url, prefix=prefix, **options)
    made.append(store)
    store.start()
    wait_for(lambda: store.healthy, 5, "the store loads")
    return store


def _verifier(ring: KeyRing, store: RevocationStore) -> Verifier:
    return Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, revocations=store)


def _refused(verifier: Verifier, token: str) -> bool:
    try:
        verifier.verify(token)
    except PassportRevoked:
        return True
    return False


def _revocation(kind: str, claims: dict[str, Any]) -> Revocation:
    if kind == "jti":
        return Revocation.passport(ISSUER, claims["jti"], expires=claims["exp"] + 30)
    if kind == "subject":
        return Revocation.subject(ISSUER, claims["sub"], before=claims["iat"] + 1, lifetime=60)
    return Revocation.session(ISSUER, "sign-in-1", before=claims["iat"] + 1, lifetime=60)


@pytest.mark.parametrize("kind", ["jti", "subject", "session"])
def test_a_revocation_in_one_store_is_refused_by_another_within_a_second(
    redis_url: str,
    prefix: str,
    stores: list[RedisRevocations],
    ring: KeyRing,
    minter: Minter,
    kind: str,
) -> None:
    writer = _started(stores, redis_url, prefix)
    reader = _started(stores, redis_url, prefix)
    assert isinstance(reader, RevocationStore)
    verifier = _verifier(ring, reader)
    token = minter.mint("user-1", audience=AUDIENCE, claims={"sid": "sign-in-1"})
    other = minter.mint("user-2", audience=AUDIENCE, claims={"sid": "sign-in-2"})
    claims = dict(verifier.verify(token).claims)
    assert verifier.verify(token) is verifier.verify(token)  # cached
    verifier.verify(other)
    writer.revoke(_revocation(kind, claims))
    assert _refused(_verifier(ring, writer), token)  # the writer at once
    took = wait_for(lambda: _refused(verifier, token), 1.0, "the other store refuses")
    assert took < 1.0
    for _ in range(50):  # a valid passport is never refused
        verifier.verify(other)
    assert "redis://" not in repr(reader)


def test_a_second_process_sees_a_revocation_within_a_second(
    redis_url: str, prefix: str, stores: list[RedisRevocations], ring: KeyRing, minter: Minter
) -> None:
    writer = _started(stores, redis_url, prefix)
    token = minter.mint("user-1", audience=AUDIENCE)
    claims = dict(_verifier(ring, writer).verify(token).claims)
    task = {
        "url": redis_url,
        "prefix": prefix,
        "jwks": ring.public_jwks(),
        "token": token,
        "issuer": ISSUER,
        "audience": AUDIENCE,
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "tests.core.revocation.redis_child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    ) as child:
        try:
            assert child.stdin is not None
            assert child.stdout is not None
            child.stdin.write(json.dumps(task) + "\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "ready"
            revoked_at = time.monotonic()
            writer.revoke(_revocation("jti", claims))
            seen = child.stdout.readline().strip()
            assert seen != "timeout"
            delay = float(seen) - revoked_at
            assert 0 <= delay < 1.0
            assert child.wait(timeout=10) == 0
        finally:
            if child.poll() is None:
                child.kill()  # our own child, by its handle
                child.wait(timeout=5)


def _fast(store: RedisRevocations, claims: dict[str, Any]) -> BaseException | None:
    """One check, which must return at once whatever Redis does."""
    start = time.perf_counter()
    try:
        store.check(claims)
    except (PassportRevoked, RevocationUnavailable) as exc:
        outcome: BaseException | None = exc
    else:
        outcome = None
    assert time.perf_counter() - start < 0.05  # microseconds really; generous for slow CI
    return outcome


def test_redis_lost_and_back_fails_closed_or_open_then_resynchronises(
    tmp_path: Path, prefix: str, ring: KeyRing, minter: Minter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="passport_core.revocation")
    server = OwnRedis(tmp_path)
    server.start()
    made: list[RedisRevocations] = []
    try:
        closed = _started(made, server.url, prefix, max_staleness=0.5)
        opened = _started(made, server.url, prefix, max_staleness=0.5, fail_open=True)
        token = minter.mint("user-1", audience=AUDIENCE)
        gone = minter.mint("user-2", audience=AUDIENCE)
        later = minter.mint("user-3", audience=AUDIENCE)
        verifier = _verifier(ring, closed)
        claims = dict(verifier.verify(token).claims)
        gone_claims = dict(verifier.verify(gone).claims)
        later_claims = dict(verifier.verify(later).claims)
        closed.revoke(_revocation("jti", gone_claims))
        wait_for(lambda: opened.list.revoked(gone_claims) is not None, 1, "fanned out")

        server.kill()
        wait_for(lambda: not closed.healthy and not opened.healthy, 3, "the loss is noticed")
        wait_for(lambda: _fast(closed, claims) is not None, 3, "fail closed")
        unavailable = _fast(closed, claims)
        assert isinstance(unavailable, RevocationUnavailable)
        assert unavailable.status == 503
        with pytest.raises(RevocationUnavailable):
            verifier.verify(token)  # the verified-token cache does not hide it
        for _ in range(100):
            assert isinstance(_fast(closed, claims), RevocationUnavailable)
            assert _fast(opened, claims) is None  # fail open passes ...
            assert isinstance(_fast(opened, gone_claims), PassportRevoked)  # ... but knowns refuse
        with pytest.raises(RevocationUnavailable):
            closed.revoke(_revocation("jti", claims))  # did not land: the caller is told

        # Written while every listener is cut off, never announced: only a reload sees it.
        # (A side server on the same directory saves it; the restarted one loads it before
        # it takes a connection, so no listener can come back before the write.)
        missed = _revocation("jti", later_claims)
        side = OwnRedis(tmp_path)
        side.start()
        raw = redis.Redis.from_url(side.url, socket_timeout=1)
        try:
            raw.set(closed.entry_key(missed), missed.to_json(), px=60_000)
            raw.save()
        finally:
            raw.close()
            side.kill()
        server.start()
        assert opened.list.revoked(later_claims) is None
        for store in (closed, opened):
            wait_for(lambda: store.healthy, 5, "reconnected")  # noqa: B023 - called at once
            assert isinstance(_fast(store, later_claims), PassportRevoked)
            assert _fast(store, claims) is None
        verifier.verify(token)
    finally:
        for store in made:
            store.close()
        server.kill()
    ours = [r for r in caplog.records if r.name == "passport_core.revocation"]
    warnings = [r for r in ours if r.levelno == logging.WARNING]
    infos = [r for r in ours if r.levelno == logging.INFO]
    assert len(warnings) == 2  # once per store, for the one loss
    assert len(infos) == 2
    for text in (token, gone, later):
        assert text not in caplog.text


def test_an_entry_lives_as_long_as_a_passport_it_concerns(
    redis_url: str, prefix: str, stores: list[RedisRevocations]
) -> None:
    store = _started(stores, redis_url, prefix)
    raw = redis.Redis.from_url(redis_url)
    try:
        lasting = Revocation.passport(ISSUER, "jti-1", expires=time.time() + 60)
        store.revoke(lasting)
        assert 55_000 < raw.pttl(store.entry_key(lasting)) <= 60_000
        assert Revocation.from_json(raw.get(store.entry_key(lasting))) == lasting
        brief = Revocation.passport(ISSUER, "jti-2", expires=time.time() + 0.3)
        store.revoke(brief)
        assert raw.exists(store.entry_key(brief))
        wait_for(lambda: not raw.exists(store.entry_key(brief)), 2, "Redis forgets it")
        store.revoke(Revocation.passport(ISSUER, "jti-3", expires=time.time() - 1))
        assert not raw.exists(store.entry_key(Revocation.passport(ISSUER, "jti-3", expires=0)))
    finally:
        raw.close()


def test_a_later_write_never_lowers_a_cut_off(
    redis_url: str, prefix: str, stores: list[RedisRevocations]
) -> None:
    first = _started(stores, redis_url, prefix)
    second = _started(stores, redis_url, prefix)
    now = time.time()
    high = Revocation.subject(ISSUER, "user-1", before=now + 100, lifetime=60)
    low = Revocation.subject(ISSUER, "user-1", before=now + 50, lifetime=60)
    first.revoke(high)
    second.revoke(low)
    raw = redis.Redis.from_url(redis_url)
    try:
        assert Revocation.from_json(raw.get(first.entry_key(high))).before == high.before
    finally:
        raw.close()
    fresh = _started(stores, redis_url, prefix)
    issued_between = {"iss": ISSUER, "sub": "user-1", "iat": now + 75, "jti": "j"}
    for store in (first, second, fresh):
        with pytest.raises(PassportRevoked):
            store.check(issued_between)


def test_an_earlier_cut_off_kept_longer_extends_the_held_one(
    redis_url: str, prefix: str, stores: list[RedisRevocations]
) -> None:
    # held: before t, kept 60 s; then before t-1 but kept an hour. The merge keeps
    # "before t" for the hour: dropping the second would free passports issued before t
    # after 60 s, while they can still live.
    first = _started(stores, redis_url, prefix)
    second = _started(stores, redis_url, prefix)
    now = time.time()
    short = Revocation.subject(ISSUER, "user-2", before=now, lifetime=60)
    long = Revocation.subject(ISSUER, "user-2", before=now - 1, lifetime=3600)
    first.revoke(short)
    second.revoke(long)
    raw = redis.Redis.from_url(redis_url)
    try:
        held = Revocation.from_json(raw.get(first.entry_key(short)))
        assert (held.before, held.expires) == (short.before, long.expires)
        assert raw.pttl(first.entry_key(short)) > 3000 * 1000
    finally:
        raw.close()
    fresh = _started(stores, redis_url, prefix)
    wait_for(lambda: first.list.entries() == second.list.entries(), 1, "both merged")
    for store in (first, second, fresh):
        (entry,) = store.list.entries()
        assert (entry.before, entry.expires) == (short.before, long.expires)


def test_malformed_entries_and_messages_are_ignored_with_a_warning(
    redis_url: str,
    prefix: str,
    stores: list[RedisRevocations],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="passport_core.revocation")
    raw = redis.Redis.from_url(redis_url)
    good = Revocation.passport(ISSUER, "jti-good", expires=time.time() + 60)
    try:
        raw.set(prefix + "jti:not-json", b"{not json", px=60_000)
        raw.set(prefix + "jti:wrong", json.dumps({"kind": "nope"}), px=60_000)
        raw.hset(prefix + "jti:a-hash", "a", "b")
        raw.set(prefix + "jti:good", good.to_json(), px=60_000)
        store = _started(stores, redis_url, prefix)
        assert "ignored 2 malformed revocation entries" in caplog.text
        with pytest.raises(PassportRevoked):
            store.check({"iss": ISSUER, "jti": "jti-good"})
        raw.publish(store.channel, b"\xff garbage")
        wait_for(lambda: "malformed revocation message" in caplog.text, 2, "warned")
        assert store.healthy
        store.check({"iss": ISSUER, "jti": "other"})
    finally:
        raw.delete(prefix + "jti:a-hash")
        raw.close()


def test_arevoke_writes_through_on_the_async_client(
    redis_url: str, prefix: str, stores: list[RedisRevocations]
) -> None:
    reader = _started(stores, redis_url, prefix)
    writer = RedisRevocations.from_url(redis_url, prefix=prefix)
    entry = Revocation.passport(ISSUER, "jti-async", expires=time.time() + 60)

    async def revoke() -> None:
        try:
            await writer.arevoke(entry)
        finally:
            await writer.aclose()

    asyncio.run(revoke())
    claims = {"iss": ISSUER, "jti": "jti-async"}
    with pytest.raises(PassportRevoked):
        writer.check(claims)
    wait_for(lambda: reader.list.revoked(claims) is not None, 1, "the reader refuses")


@pytest.mark.parametrize("answers", [False, True], ids=["refused", "silent"])
def test_unreachable_redis_at_revoke_is_unavailable_within_the_timeout(answers: bool) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        port = silent.getsockname()[1] if answers else free_port()
        store = RedisRevocations.from_url(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        entry = Revocation.passport(ISSUER, "jti-1", expires=time.time() + 60)
        start = time.monotonic()
        with pytest.raises(RevocationUnavailable) as sync_error:
            store.revoke(entry)
        assert sync_error.value.status == 503

        async def arevoke() -> None:
            try:
                with pytest.raises(RevocationUnavailable):
                    await store.arevoke(entry)
            finally:
                await store.aclose()

        asyncio.run(arevoke())
        assert time.monotonic() - start < 3.0  # two calls of 0.3 s each, generous margins
        # a write that did not land is held nowhere, not even here: the caller was told
        # (503) and must retry; no process refuses it while the others would accept it
        assert store.list.revoked({"iss": ISSUER, "jti": "jti-1"}) is None
        with pytest.raises(RevocationUnavailable):  # never loaded: it fails closed
            store.check({"iss": ISSUER, "jti": "jti-2"})


def test_before_its_first_load_a_store_fails_closed_or_open(redis_url: str, prefix: str) -> None:
    closed = RedisRevocations.from_url(redis_url, prefix=prefix)
    opened = RedisRevocations.from_url(redis_url, prefix=prefix, fail_open=True)
    try:
        with pytest.raises(RevocationUnavailable):
            closed.check({"iss": ISSUER, "jti": "j"})
        opened.check({"iss": ISSUER, "jti": "j"})
        assert not closed.healthy
        closed.start()
        closed.start()  # idempotent
        wait_for(lambda: closed.healthy, 5, "loaded")
        closed.check({"iss": ISSUER, "jti": "j"})
    finally:
        closed.close()
        closed.close()  # idempotent
        opened.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*:DeprecationWarning")
def test_a_forked_child_runs_its_own_listener(
    redis_url: str, prefix: str, stores: list[RedisRevocations]
) -> None:
    parent = _started(stores, redis_url, prefix)
    writer = _started(stores, redis_url, prefix)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, always exit
        code = 1
        try:
            claims = {"iss": ISSUER, "jti": "after-fork"}
            parent.check(claims)  # sees the fork, starts its own listener
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if parent.list.revoked(claims) is not None and parent.healthy:
                    code = 0
                    break
                time.sleep(0.005)
        finally:
            os.write(write, bytes([code]))
            os._exit(code)
    os.close(write)
    try:
        time.sleep(0.2)
        writer.revoke(Revocation.passport(ISSUER, "after-fork", expires=time.time() + 60))
        assert os.read(read, 1) == b"\x00"
    finally:
        os.close(read)
        _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert parent.healthy  # the parent's listener is untouched


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*:DeprecationWarning")
def test_a_child_forked_while_a_writer_holds_the_list_can_still_write() -> None:
    view = RevocationList()
    entry = Revocation.passport(ISSUER, "j", expires=time.time() + 60)
    taken, done = threading.Event(), threading.Event()

    def writer() -> None:
        with view._lock:  # a write under way in another thread when the fork comes
            taken.set()
            done.wait(0.2)

    thread = threading.Thread(target=writer)
    thread.start()
    taken.wait(5)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            adder = threading.Thread(target=view.add, args=(entry,), daemon=True)
            adder.start()
            adder.join(2)
            code = 0 if not adder.is_alive() and len(view) == 1 else 1
        finally:
            os._exit(code)
    done.set()
    thread.join(5)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_a_silently_dead_redis_is_noticed_within_max_staleness(tmp_path: Path, prefix: str) -> None:
    server = OwnRedis(tmp_path)
    server.start()
    assert server.process is not None
    pid = server.process.pid
    store = RedisRevocations.from_url(server.url, prefix=prefix, max_staleness=0.6)
    claims = {"iss": ISSUER, "jti": "j"}
    try:
        store.start()
        wait_for(lambda: store.healthy, 5, "loaded")
        os.kill(pid, signal.SIGSTOP)  # our own server: no error, no answer either
        try:
            took = wait_for(lambda: _fast(store, claims) is not None, 3, "fail closed")
            assert took < 0.6 + 1.0  # max_staleness, with a generous margin
            assert isinstance(_fast(store, claims), RevocationUnavailable)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_for(lambda: store.healthy, 5, "back")
        assert _fast(store, claims) is None
    finally:
        start = time.monotonic()
        store.close()
        assert time.monotonic() - start < 3
        server.kill()


def test_a_store_on_a_client_of_your_own(redis_url: str, prefix: str) -> None:
    # what a Sentinel's master_for(...) client is: a redis.Redis, no async client
    store = RedisRevocations(redis.Redis.from_url(redis_url, socket_timeout=1), prefix=prefix)
    claims = {"iss": ISSUER, "jti": "own-client"}
    try:
        store.start()
        wait_for(lambda: store.healthy, 5, "loaded")
        entry = Revocation.passport(ISSUER, "own-client", expires=time.time() + 60)
        asyncio.run(store.arevoke(entry))  # on a worker thread, through the sync client
        with pytest.raises(PassportRevoked):
            store.check(claims)
    finally:
        store.close()
    fresh = _started([], redis_url, prefix)
    try:
        with pytest.raises(PassportRevoked):
            fresh.check(claims)  # it landed in Redis
    finally:
        fresh.close()


@pytest.mark.parametrize("staleness", [0, -1, float("inf"), float("nan")])
def test_a_store_needs_a_sync_client_and_a_positive_staleness(staleness: float) -> None:
    with pytest.raises(ConfigurationError):
        RedisRevocations()
    with pytest.raises(ConfigurationError):
        RedisRevocations(object(), max_staleness=staleness)
