"""Calling a user's function, sync or async, within a bounded time, from sync or async code.

Lookups, enrichers and custom authenticators are the user's code: any may be a
plain function or a coroutine function, and any may hang. Both paths bound
them the same way. The sync path runs them on a small shared thread pool and
stops waiting at the deadline (Python cannot kill a thread; the pool's size
bounds how many stuck calls there can be, and once it is full the next call
times out waiting for a worker instead of piling up threads).

A :class:`Bulkhead` keeps one stuck function from taking the whole pool: each
user function holds at most ``limit`` calls in flight, counted until the call
really returns (not until its caller stopped waiting), and a call over the
limit fails at once. A hung enricher then costs its own few threads, and every
other lookup and enricher of the process keeps working.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from passport_core.errors import ConfigurationError

__all__ = [
    "MAX_USER_CALL_SECONDS",
    "Bulkhead",
    "CallTimedOut",
    "acall",
    "call",
    "run_to_end",
    "submit",
    "wait",
]

_T = TypeVar("_T")
#: the longest a user's function (a lookup, an enricher) may be given, in seconds
MAX_USER_CALL_SECONDS = 60.0
#: enough for many enrichers of many concurrent mints; stuck calls cannot grow it
#: (threads start lazily, so an edge that never calls a sync function starts none)
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="passport-edge")


class CallTimedOut(Exception):
    """A user's function did not return within its timeout (or its bulkhead was full)."""


class Bulkhead:
    """At most ``limit`` calls of one function in flight, stuck ones included."""

    def __init__(self, limit: int = 8) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError("max_in_flight must be a positive whole number")
        self.limit = limit
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def enter(self) -> None:
        """Take a slot, or :class:`CallTimedOut` at once when every slot is held."""
        with self._lock:
            if self._in_flight >= self.limit:
                raise CallTimedOut
            self._in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _is_async(func: Callable[..., Any]) -> bool:
    target = func.func if isinstance(func, functools.partial) else func
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - a callable object's async __call__
    )


def run_to_end(func: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
    """``func(*args)`` in this thread; an awaitable result is run in an event loop of its own."""
    result = func(*args)
    if inspect.isawaitable(result):

        async def bounded() -> Any:
            return await asyncio.wait_for(result, timeout)

        return asyncio.run(bounded())
    return result


def _guarded(
    bulkhead: Bulkhead, func: Callable[..., Any], args: tuple[Any, ...], timeout: float
) -> Any:
    try:
        return run_to_end(func, args, timeout)
    finally:
        bulkhead.leave()  # when the call really ends, however long after its deadline


def submit(
    func: Callable[..., Any], *args: Any, timeout: float, bulkhead: Bulkhead | None = None
) -> concurrent.futures.Future[Any]:
    """Start ``func(*args)`` on the pool; an async one runs in its own event loop there."""
    if bulkhead is None:
        return _POOL.submit(run_to_end, func, args, timeout)
    bulkhead.enter()
    try:
        future = _POOL.submit(_guarded, bulkhead, func, args, timeout)
    except BaseException:
        bulkhead.leave()
        raise
    # A queued call cancelled before it started never runs _guarded: free its slot here.
    future.add_done_callback(lambda done: bulkhead.leave() if done.cancelled() else None)
    return future


def wait(future: concurrent.futures.Future[_T], timeout: float) -> _T:
    """The result of a :func:`submit`, or :class:`CallTimedOut` after ``timeout`` seconds."""
    try:
        return future.result(timeout=max(timeout, 0.0))
    except (concurrent.futures.TimeoutError, asyncio.TimeoutError) as exc:
        future.cancel()  # if it never started, it never will
        raise CallTimedOut from exc


def call(
    func: Callable[..., Any], *args: Any, timeout: float, bulkhead: Bulkhead | None = None
) -> Any:
    """``func(*args)`` from sync code, within ``timeout`` seconds."""
    return wait(submit(func, *args, timeout=timeout, bulkhead=bulkhead), timeout)


async def _awaited(
    func: Callable[..., Any], args: tuple[Any, ...], timeout: float, bulkhead: Bulkhead
) -> Any:
    bulkhead.enter()
    try:
        return await asyncio.wait_for(func(*args), timeout)
    finally:
        bulkhead.leave()  # a cancelled coroutine really ends: its slot is free


async def acall(
    func: Callable[..., Any], *args: Any, timeout: float, bulkhead: Bulkhead | None = None
) -> Any:
    """``func(*args)`` from async code, within ``timeout``, never blocking the loop."""
    try:
        if _is_async(func):
            if bulkhead is not None:
                return await _awaited(func, args, timeout, bulkhead)
            return await asyncio.wait_for(func(*args), timeout)
        future = asyncio.wrap_future(submit(func, *args, timeout=timeout, bulkhead=bulkhead))
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError as exc:
        raise CallTimedOut from exc
