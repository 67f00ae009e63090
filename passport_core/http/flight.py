"""Single flight: one fetch in progress, everyone else waits on its result.

Shared by threads and event loops alike: the result lives in a
``concurrent.futures.Future``, which a thread can wait on and a coroutine can
wrap with ``asyncio.wrap_future``.
"""

from __future__ import annotations

import concurrent.futures
import time

__all__ = ["Flight"]


class Flight:
    """One fetch in progress; everyone else waits on its future."""

    __slots__ = ("future", "previous_attempt", "started")

    def __init__(self, previous_attempt: float | None) -> None:
        #: the result is the fetch's error message, or None on success
        self.future: concurrent.futures.Future[str | None] = concurrent.futures.Future()
        # A running future cannot be cancelled: a waiter that gives up (a timeout,
        # a cancelled task) never cancels the fetch for the others.
        self.future.set_running_or_notify_cancel()
        self.started = time.monotonic()
        self.previous_attempt = previous_attempt
