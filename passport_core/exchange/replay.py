"""A bounded memory of client assertion ids (RFC 7523 §3: ``jti`` refused when seen again)."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from passport_core.errors import InvalidClient, Unavailable

__all__ = ["AssertionReplayCache"]


class AssertionReplayCache:
    """Remembers each ``jti`` until its assertion expires.

    Full of live entries, it refuses new assertions (503) rather than forget one
    that could then be replayed: fail closed. Assertions live a minute, so the
    cap bounds the rate, not the traffic a token service can take.
    """

    def __init__(self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.time):
        self.max_entries = max_entries
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._expiries: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_remember(self, key: str, expires_at: float) -> None:
        """Raise :class:`InvalidClient` when ``key`` was seen before; remember it."""
        now = self._clock()
        with self._lock:
            while self._expiries and self._expiries[0][0] <= now:
                _, old = heapq.heappop(self._expiries)
                if self._seen.get(old, now + 1) <= now:
                    del self._seen[old]
            if key in self._seen:
                raise InvalidClient("the client assertion was used before (jti replayed)")
            if len(self._seen) >= self.max_entries:
                raise Unavailable("too many client assertions in flight", retry_after=60)
            self._seen[key] = expires_at
            heapq.heappush(self._expiries, (expires_at, key))
