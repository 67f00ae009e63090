"""The exchange client's cache: exchanged passports kept until shortly before they expire.

Bounded in size (least recently used goes first) and keyed by a digest of the
subject token, so the cache holds no caller's passport. A key being
exchanged has one :class:`concurrent.futures.Future` that every other caller
waits on, threads and tasks alike: N concurrent calls cost one round trip.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["CacheKey", "ExchangeCache", "Exchanged", "cache_key"]

CacheKey = tuple[bytes, str, str]


@dataclass(frozen=True)
class Exchanged:
    """A passport the token service issued: its token, when it expires, its scope.

    ``token_type`` is ``DPoP`` when the passport is bound to the exchange client's
    ``proof_key`` (RFC 9449 §5): every request it goes on then needs a proof.
    """

    token: str = field(repr=False)
    #: seconds since the epoch (the token service's ``expires_in`` counted from receipt)
    expires_at: float
    scope: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - a token type name, not a secret

    @property
    def bound(self) -> bool:
        """Whether the passport is bound to a key (and needs a DPoP proof to be used)."""
        return self.token_type == "DPoP"  # noqa: S105 - RFC 9449 §5's token type


def cache_key(subject_token: str, audience: str, scope: str | None) -> CacheKey:
    # Scope order carries no meaning (RFC 6749 §3.3): "b a" and "a b" share an entry.
    scopes = " ".join(sorted(set((scope or "").split())))
    return (hashlib.sha256(subject_token.encode("utf-8")).digest(), audience, scopes)


class ExchangeCache:
    """Exchanged passports by (subject, audience, scope), plus the exchanges in flight.

    An entry is served until ``margin`` before it expires: a fraction of its
    lifetime (``margin_ratio``), at most ``max_margin`` seconds, so the next
    hop never receives a passport about to lapse on the wire.
    """

    def __init__(
        self,
        *,
        max_entries: int,
        margin_ratio: float,
        max_margin: float,
        clock: Callable[[], float],
    ) -> None:
        self._entries: OrderedDict[CacheKey, tuple[Exchanged, float]] = OrderedDict()
        self._flights: dict[CacheKey, concurrent.futures.Future[Exchanged]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._ratio = margin_ratio
        self._max_margin = max_margin
        self._clock = clock

    def get(self, key: CacheKey) -> Exchanged | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            exchanged, fresh_until = found
            if self._clock() >= fresh_until:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return exchanged

    def put(self, key: CacheKey, exchanged: Exchanged) -> None:
        now = self._clock()
        lifetime = exchanged.expires_at - now
        fresh_until = exchanged.expires_at - min(lifetime * self._ratio, self._max_margin)
        if self._max_entries <= 0 or fresh_until <= now:
            return
        with self._lock:
            self._entries[key] = (exchanged, fresh_until)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def join(self, key: CacheKey) -> tuple[concurrent.futures.Future[Exchanged], bool]:
        """The flight for ``key`` and whether the caller leads it (and must :meth:`land` it)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = concurrent.futures.Future()
            # A running future cannot be cancelled: a waiter that gives up never
            # cancels the exchange for the others.
            flight.set_running_or_notify_cancel()
            self._flights[key] = flight
            return flight, True

    def land(
        self,
        key: CacheKey,
        flight: concurrent.futures.Future[Exchanged],
        result: Exchanged | BaseException,
    ) -> None:
        """End the leader's flight: cache a result, hand it (or the error) to every waiter."""
        if isinstance(result, Exchanged):
            self.put(key, result)
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
        if isinstance(result, Exchanged):
            flight.set_result(result)
        else:
            flight.set_exception(result)

    def __len__(self) -> int:
        return len(self._entries)
