"""Remembered answers about tokens: a bounded cache and single flight, keyed by a digest.

An authorization server's answer about a token (RFC 7662 §4: "the protected
resource MAY cache the response") is kept under a SHA-256 of the token, never
the token itself, for a bounded time, in a bounded number of entries (least
recently used goes first). Concurrent requests with the same token share one
question to the server: the first asks, the others wait for its answer, from
threads and event loops alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from passport_core.errors import ConfigurationError, IdentityProviderUnavailable, PassportError

__all__ = ["AnswerCache", "SingleFlight", "token_digest"]

_V = TypeVar("_V")


def token_digest(token: str) -> bytes:
    """The name a token is remembered under: its SHA-256, so no cache holds the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class AnswerCache(Generic[_V]):
    """A thread-safe LRU of answers, each kept until its own expiry time on ``clock``."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError("a cache needs max_entries of at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, _V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes) -> _V | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self._clock() >= entry[0]:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry[1]

    def put(self, digest: bytes, value: _V, until: float) -> None:
        """Keep ``value`` until ``until``; one already past is not kept."""
        if until <= self._clock():
            return
        with self._lock:
            self._entries.pop(digest, None)
            self._entries[digest] = (until, value)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _again(exc: PassportError) -> PassportError:
    """The leader's failure for one waiter: a fresh error (one raised object per thread),
    with every attribute of the leader's (``retry_after``, ``acr_values``...)."""
    fresh = copy.copy(exc)
    fresh.__traceback__ = None
    fresh.__cause__ = fresh.__context__ = None
    return fresh


def _shared(exc: BaseException) -> PassportError:
    """What the waiters learn of a leader's failure; a cancellation or a bug is not theirs."""
    if isinstance(exc, PassportError):
        return exc
    return IdentityProviderUnavailable("the question to the identity provider was interrupted")


class SingleFlight(Generic[_V]):
    """One question per digest in progress; concurrent askers wait on its future.

    :param wait_limit: seconds a waiter waits at most (the leader's own bound
        plus a little); then it gets an ``IdentityProviderUnavailable``.
    """

    def __init__(self, wait_limit: float) -> None:
        self.wait_limit = wait_limit
        self._flights: dict[bytes, concurrent.futures.Future[_V]] = {}
        self._lock = threading.Lock()

    def _join(self, digest: bytes) -> tuple[concurrent.futures.Future[_V], bool]:
        with self._lock:
            future = self._flights.get(digest)
            if future is not None:
                return future, False
            future = concurrent.futures.Future()
            # Running: a waiter that gives up (timeout, cancelled task) cannot cancel it.
            future.set_running_or_notify_cancel()
            self._flights[digest] = future
            return future, True

    def _land(self, digest: bytes) -> None:
        with self._lock:
            self._flights.pop(digest, None)

    def _timed_out(self) -> IdentityProviderUnavailable:
        return IdentityProviderUnavailable(
            f"the identity provider did not answer within {self.wait_limit:g} s"
        )

    def run(self, digest: bytes, ask: Callable[[], _V]) -> _V:
        """``ask()`` once for every concurrent caller with this ``digest``."""
        future, leader = self._join(digest)
        if not leader:
            try:
                return future.result(timeout=self.wait_limit)
            except concurrent.futures.TimeoutError:
                raise self._timed_out() from None
            except PassportError as exc:
                raise _again(exc) from None
        try:
            value = ask()
        except BaseException as exc:
            future.set_exception(_shared(exc))
            raise
        else:
            future.set_result(value)
            return value
        finally:
            self._land(digest)

    async def arun(self, digest: bytes, ask: Callable[[], Awaitable[_V]]) -> _V:
        """Like :meth:`run`, without blocking the event loop."""
        future, leader = self._join(digest)
        if not leader:
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), self.wait_limit)
            except asyncio.TimeoutError:
                raise self._timed_out() from None
            except PassportError as exc:
                raise _again(exc) from None
        try:
            value = await ask()
        except BaseException as exc:  # a cancelled leader releases its waiters too
            future.set_exception(_shared(exc))
            raise
        else:
            future.set_result(value)
            return value
        finally:
            self._land(digest)
