"""The mint cache: one passport per credential and audience, reused until shortly before it expires.

A busy edge mints once per user session, not per request. Entries are keyed
by a SHA-256 of the authenticator's name and the credential (the credential
itself is never kept), bounded in count and in bytes (least recently used
goes first), and never outlive the passport, the credential, or ``max_age``.

An entry remembers the ``kid`` that signed it: after a rotation (the ring's
active key changed) a hit signed by another key is dropped and re-minted, since
services may already refuse the old key (a forced retire, a leaked key).

A drop must win over a mint already under way: the mint began before the
credential was revoked, so what it signed may be stale. Every drop bumps an
epoch; a mint reads :attr:`MintCache.epoch` before it authenticates and its
``put`` is ignored if a drop happened since.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from passport_core.errors import ConfigurationError

__all__ = ["CachedPassport", "MintCache", "credential_key"]


def credential_key(authenticator: str, credential: str) -> bytes:
    """The cache's name for a credential: a digest, so the cache never holds the secret."""
    return hashlib.sha256(f"{authenticator}\0{credential}".encode()).digest()


@dataclass(frozen=True, slots=True)
class CachedPassport:
    """A passport in the cache, the subject it was minted for and the key that signed it."""

    token: str
    subject: str
    expires: float  # on the cache's clock
    kid: str | None = None
    #: what a revocation store is asked on each reuse (iss, sub, sid, the credential's iat)
    revocable: Mapping[str, Any] | None = None


class MintCache:
    """A bounded, thread-safe LRU of minted passports.

    :param max_entries: entries kept at most.
    :param max_bytes: total passport bytes kept at most.
    :param refresh_margin: seconds before a passport's ``exp`` it stops being served:
        the next hop must still accept it after network and clock skew.
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_bytes: int = 32 * 1024 * 1024,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1 or max_bytes < 1 or refresh_margin < 0:
            raise ConfigurationError(
                "the mint cache needs max_entries and max_bytes of at least 1 and a "
                "non-negative refresh_margin"
            )
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._entries: OrderedDict[tuple[bytes, str], CachedPassport] = OrderedDict()
        self._bytes = 0
        self._epoch = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of passports held."""
        return self._bytes

    @property
    def epoch(self) -> int:
        """Bumped by every :meth:`drop` and :meth:`clear`; pass it to :meth:`put` as ``since``."""
        return self._epoch

    def get(self, key: bytes, audience: str, kid: str | None = None) -> CachedPassport | None:
        """The cached passport for ``key`` and ``audience``, if still fresh (and, given
        ``kid``, signed by that key: an entry signed by another is dropped)."""
        with self._lock:
            entry = self._entries.get((key, audience))
            if entry is None:
                return None
            if self._clock() >= entry.expires or (kid is not None and entry.kid != kid):
                self._remove((key, audience))
                return None
            self._entries.move_to_end((key, audience))
            return entry

    def put(
        self,
        key: bytes,
        audience: str,
        token: str,
        *,
        subject: str,
        expires_at: float,
        credential_expires_at: float | None = None,
        max_age: float | None = None,
        since: int | None = None,
        kid: str | None = None,
        revocable: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep ``token`` until the earliest of its ``exp`` less the margin, the
        credential's expiry and ``max_age`` from now.

        ``since`` is the :attr:`epoch` read before the mint began: when a drop
        happened in between, the token is not kept (it may predate the drop).
        ``kid`` names the key that signed it (see :meth:`get`); ``revocable``, what
        the edge checks against its revocations before reusing it.
        """
        now = self._clock()
        until = expires_at - self.refresh_margin
        if credential_expires_at is not None:
            until = min(until, credential_expires_at)
        if max_age is not None:
            until = min(until, now + max_age)
        if until <= now or len(token) > self.max_bytes:
            return
        with self._lock:
            if since is not None and since != self._epoch:
                return
            self._remove((key, audience))
            self._entries[(key, audience)] = CachedPassport(token, subject, until, kid, revocable)
            self._bytes += len(token)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._remove(next(iter(self._entries)))

    def _remove(self, slot: tuple[bytes, str]) -> None:
        entry = self._entries.pop(slot, None)
        if entry is not None:
            self._bytes -= len(entry.token)

    def drop(self, key: bytes | None = None, *, subject: str | None = None) -> int:
        """Forget the passports of one credential (every audience), or of one subject."""
        with self._lock:
            self._epoch += 1
            doomed = [
                slot
                for slot, entry in self._entries.items()
                if (key is not None and slot[0] == key)
                or (subject is not None and entry.subject == subject)
            ]
            for slot in doomed:
                self._remove(slot)
            return len(doomed)

    def clear(self) -> None:
        """Forget every passport."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()
            self._bytes = 0
