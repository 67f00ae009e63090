"""Bounded calls of a user's function, sync or async, from sync or async code."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from passport_core.edge.calls import Bulkhead, CallTimedOut, acall, call

#: the pool's size (calls.py): how many stuck calls there can be at most
POOL_SIZE = 64


def double(value: int) -> int:
    return value * 2


async def adouble(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


def test_call_returns_what_a_sync_or_async_function_returns() -> None:
    assert call(double, 21, timeout=1) == 42
    assert call(adouble, 21, timeout=1) == 42
    assert asyncio.run(acall(double, 21, timeout=1)) == 42
    assert asyncio.run(acall(adouble, 21, timeout=1)) == 42


def test_an_async_function_called_from_sync_code_runs_in_its_own_loop_on_a_pool_thread() -> None:
    async def where() -> tuple[str, bool]:
        asyncio.get_running_loop()  # there is one, though the caller has none
        return threading.current_thread().name, True

    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    name, in_a_loop = call(where, timeout=1)
    assert in_a_loop
    assert name.startswith("passport-edge")


@pytest.mark.parametrize("func", [double, adouble])
def test_errors_reach_the_caller_unchanged(func: Any) -> None:
    with pytest.raises(TypeError):
        call(func, None, timeout=1)
    with pytest.raises(TypeError):
        asyncio.run(acall(func, None, timeout=1))


def test_a_hanging_sync_function_times_out_in_time() -> None:
    start = time.monotonic()
    with pytest.raises(CallTimedOut):
        call(time.sleep, 2, timeout=0.2)
    assert time.monotonic() - start < 0.7
    start = time.monotonic()
    with pytest.raises(CallTimedOut):
        asyncio.run(acall(time.sleep, 2, timeout=0.2))
    assert time.monotonic() - start < 0.7


@pytest.mark.parametrize("side", ["sync", "async"])
def test_a_hanging_coroutine_times_out_and_is_cancelled(side: str) -> None:
    cancelled = threading.Event()

    async def hang() -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    start = time.monotonic()
    run = (
        (lambda: call(hang, timeout=0.2))
        if side == "sync"
        else (lambda: asyncio.run(acall(hang, timeout=0.2)))
    )
    with pytest.raises(CallTimedOut):
        run()
    assert time.monotonic() - start < 0.7
    assert cancelled.wait(1)


def test_a_sync_function_never_blocks_the_event_loop() -> None:
    async def scenario() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await acall(time.sleep, 0.3, timeout=1)
        task.cancel()
        return ticks

    assert asyncio.run(scenario()) >= 10


def test_cancelling_the_caller_cancels_the_coroutine() -> None:
    cancelled = asyncio.Event()

    async def scenario() -> None:
        async def hang() -> None:
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        task = asyncio.create_task(acall(hang, timeout=5))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cancelled.is_set()

    asyncio.run(scenario())


def test_a_call_from_inside_a_pooled_call_completes() -> None:
    def outer(value: int) -> int:
        return call(double, value, timeout=1) + 1

    assert call(outer, 20, timeout=2) == 41


@pytest.fixture
def saturated_pool() -> Iterator[threading.Event]:
    """Every pool worker stuck until the test ends (then all released)."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def stuck() -> None:
        started.release()
        release.wait(10)

    futures = [
        threading.Thread(target=lambda: call(stuck, timeout=10), daemon=True)
        for _ in range(POOL_SIZE)
    ]
    for thread in futures:
        thread.start()
    for _ in range(POOL_SIZE):
        assert started.acquire(timeout=5)
    try:
        yield release
    finally:
        release.set()
        for thread in futures:
            thread.join(10)


def test_a_full_pool_times_out_instead_of_hanging_and_drops_the_queued_call(
    saturated_pool: threading.Event,
) -> None:
    ran = threading.Event()
    start = time.monotonic()
    with pytest.raises(CallTimedOut):
        call(ran.set, timeout=0.2)
    with pytest.raises(CallTimedOut):
        asyncio.run(acall(ran.set, timeout=0.2))
    assert time.monotonic() - start < 1.5
    saturated_pool.set()
    time.sleep(0.2)
    assert not ran.is_set()  # cancelled while queued: it never ran late
    assert call(double, 1, timeout=2) == 2


def test_a_hung_function_holds_only_its_bulkhead_and_every_other_call_keeps_working() -> None:
    """A stuck backend costs its own few workers, not the whole pool (the bulkhead pattern)."""
    release = threading.Event()
    bulkhead = Bulkhead(2)

    def hung() -> str:
        release.wait(10)
        return "late"

    try:
        for _ in range(2):
            with pytest.raises(CallTimedOut):
                call(hung, timeout=0.05, bulkhead=bulkhead)
        assert bulkhead.in_flight == 2  # both still running past their deadline
        started = time.monotonic()
        for _ in range(100):  # far more than the pool's workers: none of them is taken
            with pytest.raises(CallTimedOut):
                call(hung, timeout=1.0, bulkhead=bulkhead)
        assert time.monotonic() - started < 1.0  # refused at once, not after a timeout
        assert call(lambda: "ok", timeout=1.0) == "ok"
        assert asyncio.run(acall(lambda: "ok", timeout=1.0)) == "ok"
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while bulkhead.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bulkhead.in_flight == 0  # slots come back when the calls really end
    assert call(lambda: "again", timeout=1.0, bulkhead=bulkhead) == "again"


def test_an_async_function_over_its_bulkhead_fails_at_once() -> None:
    bulkhead = Bulkhead(1)

    async def slow() -> str:
        await asyncio.sleep(0.3)
        return "done"

    async def both() -> list[object]:
        return await asyncio.gather(
            acall(slow, timeout=1.0, bulkhead=bulkhead),
            acall(slow, timeout=1.0, bulkhead=bulkhead),
            return_exceptions=True,
        )

    outcomes = asyncio.run(both())
    assert outcomes.count("done") == 1
    assert sum(isinstance(o, CallTimedOut) for o in outcomes) == 1
    assert bulkhead.in_flight == 0
