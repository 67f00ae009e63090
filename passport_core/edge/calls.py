"""Calling a user's function, sync or async, within a bounded time, from sync or async code.

Lookups, enrichers and custom authenticators are the user's code: any may be a
plain function or a coroutine function, and any may hang. Both paths bound
them the same way. The sync path runs them on a small shared thread pool and
stops waiting at the deadline (Python cannot kill a thread; the pool's size
bounds how many stuck calls there can be, and once it is full the next call
times out waiting for a worker instead of piling up threads).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CallTimedOut", "acall", "call", "run_to_end", "submit", "wait"]

_T = TypeVar("_T")
#: enough for many enrichers of many concurrent mints; stuck calls cannot grow it
#: (threads start lazily, so an edge that never calls a sync function starts none)
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="passport-edge")


class CallTimedOut(Exception):
    """A user's function did not return within its timeout."""


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


def submit(func: Callable[..., Any], *args: Any, timeout: float) -> concurrent.futures.Future[Any]:
    """Start ``func(*args)`` on the pool; an async one runs in its own event loop there."""
    return _POOL.submit(run_to_end, func, args, timeout)


def wait(future: concurrent.futures.Future[_T], timeout: float) -> _T:
    """The result of a :func:`submit`, or :class:`CallTimedOut` after ``timeout`` seconds."""
    try:
        return future.result(timeout=max(timeout, 0.0))
    except (concurrent.futures.TimeoutError, asyncio.TimeoutError) as exc:
        future.cancel()  # if it never started, it never will
        raise CallTimedOut from exc


def call(func: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """``func(*args)`` from sync code, within ``timeout`` seconds."""
    return wait(submit(func, *args, timeout=timeout), timeout)


async def acall(func: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """``func(*args)`` from async code, within ``timeout``, never blocking the loop."""
    try:
        if _is_async(func):
            return await asyncio.wait_for(func(*args), timeout)
        future = asyncio.wrap_future(submit(func, *args, timeout=timeout))
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError as exc:
        raise CallTimedOut from exc
