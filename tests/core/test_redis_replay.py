"""The Redis replay cache, against a real redis-server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from passport_core import (
    ConfigurationError,
    ProofReplayed,
    ProofVerifier,
    RedisReplayCache,
    ReplayCache,
    ReplayCacheUnavailable,
    RequestTarget,
    generate_key,
    jwk_thumbprint,
    make_proof,
    problem_response,
)

URL = "https://orders.test/orders/7"
TOKEN = "aaa.bbb.ccc"


def test_first_use_is_atomic_and_expires(redis_url: str) -> None:
    cache = RedisReplayCache.from_url(redis_url, prefix=f"t{time.time_ns()}:")
    assert isinstance(cache, ReplayCache)
    assert cache.first_use("a", time.time() + 0.3)
    assert not cache.first_use("a", time.time() + 0.3)
    time.sleep(0.4)
    assert cache.first_use("a", time.time() + 10)
    assert "redis://" not in repr(cache)
    cache.close()


def test_two_instances_refuse_each_others_replays(redis_url: str) -> None:
    prefix = f"t{time.time_ns()}:"
    holder = generate_key("ES256")
    jkt = jwk_thumbprint(holder)
    target = RequestTarget("GET", URL)
    caches = [RedisReplayCache.from_url(redis_url, prefix=prefix) for _ in range(2)]
    first, second = (ProofVerifier(replay=cache) for cache in caches)
    proof = make_proof(holder, "GET", URL, token=TOKEN)
    first.verify([proof], target, token=TOKEN, jkt=jkt)
    with pytest.raises(ProofReplayed):
        second.verify([proof], target, token=TOKEN, jkt=jkt)

    async def on_the_async_path() -> None:
        again = make_proof(holder, "GET", URL, token=TOKEN)
        try:
            await second.averify([again], target, token=TOKEN, jkt=jkt)
            with pytest.raises(ProofReplayed):
                await first.averify([again], target, token=TOKEN, jkt=jkt)
        finally:
            for cache in caches:
                await cache.aclose()

    asyncio.run(on_the_async_path())
    for cache in caches:
        cache.close()


def test_redis_down_is_a_bounded_503_on_both_paths() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    cache = RedisReplayCache.from_url(f"redis://127.0.0.1:{port}/0", timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ReplayCacheUnavailable) as caught:
        cache.first_use("a", time.time() + 10)

    async def on_the_async_path() -> None:
        try:
            with pytest.raises(ReplayCacheUnavailable):
                await cache.afirst_use("a", time.time() + 10)
        finally:
            await cache.aclose()

    asyncio.run(on_the_async_path())
    cache.close()
    assert time.monotonic() - started < 5
    assert problem_response(caught.value).status == 503


def test_a_client_is_needed() -> None:
    with pytest.raises(ConfigurationError):
        RedisReplayCache()
