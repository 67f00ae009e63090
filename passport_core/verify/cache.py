"""The verified-token cache: a passport crossing several hops is verified once per process.

Keyed by the whole token (a ``str`` dict key: Python compares the full string
on every hash match, and its string hash is keyed per process), never a
prefix or a value the token chooses. An entry answers only while a cold
verify would accept the token at that moment:

- its time window: from when ``nbf``/``iat``/``auth_time`` (less leeway) and
  the lifetime cap allow it, to ``exp`` plus leeway;
- its key: the key source reports the same ``key_generation()`` as when the
  entry was made, or, when it cannot say (keys due for a refresh, a source
  without generations), ``get_key`` returns the very same key object;
- its revocation: the verifier's revocation list has not changed since the
  entry was checked against it, or it is checked again (from memory);
- every other check depends only on the token and the verifier's settings,
  which do not change.

Bounded by entries and by an estimate of the bytes held; the oldest entries
go first. Only tokens that passed every check are ever stored, so a flood of
forged tokens cannot fill it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from passport_core import claims as c
from passport_core.errors import ConfigurationError
from passport_core.keys.key import Key
from passport_core.keys.sources import KeySource
from passport_core.passport import Passport

__all__ = ["DEFAULT_CACHE_MAX_BYTES", "DEFAULT_CACHE_SIZE", "CachedPassport", "VerifiedTokens"]

#: entries a verifier keeps by default
DEFAULT_CACHE_SIZE = 4096
#: bytes (estimated) a verifier keeps by default: about 4096 typical 1 KB passports
DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024
#: what one entry costs beyond its token and its claims: the Passport, the entry, the
#: dict slot (measured with tracemalloc; benchmarks/memory.py reports resident growth)
_ENTRY_OVERHEAD = 1200
#: an upper bound of what one JSON value costs once parsed (a small str, int or container
#: with its slot in the parent), counted by the separators around it
_PER_VALUE = 64


def stamp_of(source: KeySource) -> Callable[[], int] | None:
    """The source's ``key_generation`` method, if it has one (see ``KeyGeneration``)."""
    # getattr, not isinstance(source, KeyGeneration): a runtime-checkable Protocol's
    # isinstance walks the protocol's attributes each time (about 18 µs on Python 3.11),
    # and this runs on every cold verify.
    read: Callable[[], int] | None = getattr(source, "key_generation", None)
    return read


def generation_of(source: KeySource) -> int:
    """Read *before* ``get_key``: a change between the two then shows as a new generation.

    Read after, a key removed while a verify was under way would be recorded as
    the state the entry was checked against, and trusted until the next change.
    """
    read = stamp_of(source)
    return read() if read is not None else -1


class CachedPassport:
    """One verified token: its passport and what must still hold for it to be reused."""

    __slots__ = (
        "claims",
        "generation",
        "key",
        "kid",
        "passport",
        "revocation_generation",
        "size",
        "source",
        "stamp",
        "until",
        "valid_from",
    )

    def __init__(
        self,
        passport: Passport,
        key: Key,
        source: KeySource,
        generation: int,
        valid_from: float,
        until: float,
        size: int,
    ) -> None:
        self.passport = passport
        self.key = key
        self.kid = key.kid
        self.source = source
        self.stamp = stamp_of(source)
        self.generation = generation
        self.valid_from = valid_from
        self.until = until
        self.size = size
        #: the verified claims, which a revocation list is asked about again when it changes
        self.claims: Mapping[str, Any] = {}
        #: the revocation list's generation when these claims were last checked (-1: none)
        self.revocation_generation = -1

    def current(self) -> bool:
        """True while the key source vouches that no key changed since :attr:`generation`."""
        return self.generation >= 0 and self.stamp is not None and self.stamp() == self.generation

    def generation_now(self) -> int:
        """The source's generation now (``-1``: it keeps none, or its keys are due)."""
        return -1 if self.stamp is None else self.stamp()


def validity(claims: Mapping[str, Any], leeway: float, max_lifetime: float) -> tuple[float, float]:
    """``(from, until)``: the clock times between which the verifier's time checks pass."""
    exp = claims[c.EXPIRES_AT]
    starts = [claims[name] - leeway for name in c.TIME_STARTS if name in claims]
    if c.ISSUED_AT not in claims:
        # Without iat the lifetime cap is checked against now (Verifier._check_claims).
        starts.append(exp - max_lifetime - leeway)
    return max(starts, default=float("-inf")), exp + leeway


class VerifiedTokens:
    """A bounded map from token to :class:`CachedPassport`."""

    def __init__(
        self, max_entries: int = DEFAULT_CACHE_SIZE, max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    ) -> None:
        for name, value in (("cache_size", max_entries), ("cache_max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(
                    f"{{{name}}} must be a whole number, 0 or more", setting=name
                )
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: dict[str, CachedPassport] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, token: str, now: float) -> CachedPassport | None:
        """The entry for ``token`` if its time window holds ``now``; a stale one is dropped."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry.valid_from <= now < entry.until:
            return entry
        self.discard(token)
        return None

    def settled(self, token: str, now: float) -> CachedPassport | None:
        """The entry for ``token`` when it answers with no key lookup: its time window holds
        ``now`` and its key source vouches that no key changed (:meth:`CachedPassport.current`);
        else ``None``, leaving a stale entry to :meth:`get`.

        :meth:`get` and :meth:`CachedPassport.current` in one frame: the warm path of every
        adapter's requests runs it.
        """
        entry = self._entries.get(token)
        if entry is None or not entry.valid_from <= now < entry.until:
            return None
        stamp = entry.stamp
        if entry.generation < 0 or stamp is None or stamp() != entry.generation:
            return None
        return entry

    def put(self, token: str, entry: CachedPassport) -> None:
        if entry.size > self.max_bytes or self.max_entries == 0:
            return
        with self._lock:
            old = self._entries.pop(token, None)
            if old is not None:
                self._bytes -= old.size
            entries = self._entries
            while entries and (
                len(entries) >= self.max_entries or self._bytes + entry.size > self.max_bytes
            ):
                # Insertion order is age order: the oldest entry is also the closest to expiry.
                self._bytes -= entries.pop(next(iter(entries))).size
            entries[token] = entry
            self._bytes += entry.size

    def discard(self, token: str) -> None:
        with self._lock:
            entry = self._entries.pop(token, None)
            if entry is not None:
                self._bytes -= entry.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def held_bytes(self) -> int:
        """The estimated bytes held by the entries."""
        return self._bytes

    @staticmethod
    def estimate(token: str, payload: bytes) -> int:
        """An entry's estimated size: its token, its parsed claims and the passport around them.

        Counted from the JSON text, so many tiny values cannot slip under the bound.
        """
        values = sum(map(payload.count, (b",", b":", b"[", b"{"))) + 1
        return len(token) + len(payload) + _PER_VALUE * values + _ENTRY_OVERHEAD
