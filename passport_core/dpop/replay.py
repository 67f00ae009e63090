"""Remembering the DPoP proofs already used, so none is accepted twice (RFC 9449 §11.1)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from passport_core.errors import ConfigurationError

__all__ = ["MemoryReplayCache", "ReplayCache"]


@runtime_checkable
class ReplayCache(Protocol):
    """Where proof identifiers are remembered until their proof could no longer be accepted.

    ``first_use`` records ``key`` until ``expires_at`` (seconds since the epoch) and
    answers whether this was its first use: one atomic check-and-set, so two
    concurrent requests with the same proof cannot both pass. A shared store (e.g.
    Redis ``SET NX EX``) lets several instances of a service refuse each other's replays.
    """

    def first_use(self, key: str, expires_at: float) -> bool:
        """``True`` the first time ``key`` is seen before ``expires_at``, then ``False``."""
        ...

    async def afirst_use(self, key: str, expires_at: float) -> bool:
        """:meth:`first_use` without blocking the event loop."""
        ...


class MemoryReplayCache:
    """A bounded, in-process :class:`ReplayCache` (one per service instance).

    Entries leave when their proof's window has passed. When more than
    ``max_entries`` proofs arrive within one window the oldest are forgotten
    (memory stays bounded; a proof that old is only accepted again if its
    ``iat`` is still inside the window, so keep ``max_entries`` above the
    proofs one window holds). Instances behind a load balancer each keep their
    own: use a shared store there.
    """

    def __init__(
        self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError("max_entries must be a positive whole number")
        self.max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def first_use(self, key: str, expires_at: float) -> bool:
        now = self._clock()
        with self._lock:
            seen = self._seen
            known = seen.get(key)
            if known is not None and known > now:
                return False
            # Entries go in roughly by expiry: drop the expired ones from the front.
            while seen:
                oldest, expiry = next(iter(seen.items()))
                if expiry > now and len(seen) < self.max_entries:
                    break
                del seen[oldest]
            seen[key] = expires_at
            seen.move_to_end(key)
            return True

    async def afirst_use(self, key: str, expires_at: float) -> bool:
        # In memory, under a lock held for microseconds: nothing to wait for.
        return self.first_use(key, expires_at)
