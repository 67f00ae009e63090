"""The local view of the revocation list: what the hot path asks, without any I/O."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from passport_core import claims as c
from passport_core.revocation.entry import Revocation

__all__ = ["RevocationList"]


class RevocationList:
    """Revocations held in this process, answered in a few dict lookups.

    Reads take no lock: a dict lookup is atomic in CPython, and writers replace
    entries whole. ``generation`` changes with every change, so a verified-token
    cache can tell in one comparison whether an entry must be checked again.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._jtis: dict[tuple[str, str], Revocation] = {}
        # (issuer, subject) / (issuer, sid) -> the cut-off: passports issued before it are revoked
        self._subjects: dict[tuple[str, str], Revocation] = {}
        self._sessions: dict[tuple[str, str], Revocation] = {}
        self._lock = threading.Lock()
        self.generation = 0
        _LISTS.add(self)

    def _table(self, revocation: Revocation) -> dict[tuple[str, str], Revocation]:
        kind = revocation.kind
        return (
            self._jtis if kind == "jti" else self._subjects if kind == "subject" else self._sessions
        )

    def add(self, revocation: Revocation) -> bool:
        """Hold ``revocation``; False when it changes nothing (expired, or already covered)."""
        if revocation.expires <= self._clock():
            return False
        table = self._table(revocation)
        name = (revocation.issuer, revocation.value)
        with self._lock:
            held = table.get(name)
            if held is not None:
                merged = _merged(held, revocation)
                if merged == held:
                    return False
                revocation = merged
            table[name] = revocation
            self.generation += 1
        return True

    def replace(self, revocations: Iterable[Revocation]) -> None:
        """Hold exactly ``revocations`` (a full reload from the shared store)."""
        fresh = RevocationList(self._clock)
        for revocation in revocations:
            fresh.add(revocation)
        with self._lock:
            self._jtis, self._subjects, self._sessions = (
                fresh._jtis,
                fresh._subjects,
                fresh._sessions,
            )
            self.generation += 1

    def prune(self) -> int:
        """Forget entries no passport they concern can outlive; how many went."""
        now = self._clock()
        gone = 0
        with self._lock:
            for table in (self._jtis, self._subjects, self._sessions):
                stale = [name for name, held in table.items() if held.expires <= now]
                for name in stale:
                    del table[name]
                gone += len(stale)
        return gone

    def revoked(self, claims: Mapping[str, Any]) -> Revocation | None:
        """The revocation that takes back the passport with these (verified) claims, if any."""
        issuer: Any = claims.get(c.ISSUER)
        if self._jtis:
            jti: Any = claims.get(c.JWT_ID)
            if jti is not None:
                held = self._jtis.get((issuer, jti))
                if held is not None:
                    return held
        if self._subjects or self._sessions:
            # RFC 7519 §4.1.6; a passport without iat cannot show it came after a cut-off
            iat = claims.get(c.ISSUED_AT, float("-inf"))
            subject: Any = claims.get(c.SUBJECT)
            held = self._subjects.get((issuer, subject))
            if held is not None and held.before is not None and iat < held.before:
                return held
            sid: Any = claims.get(c.SESSION)
            if isinstance(sid, str):  # the verifier refuses a sid that is not one
                held = self._sessions.get((issuer, sid))
                if held is not None and held.before is not None and iat < held.before:
                    return held
        return None

    def entries(self) -> list[Revocation]:
        return [*self._jtis.values(), *self._subjects.values(), *self._sessions.values()]

    def __len__(self) -> int:
        return len(self._jtis) + len(self._subjects) + len(self._sessions)


# Every list's writers' lock is held across fork(): a child must not inherit one taken by
# a thread that does not exist there (its next write would wait forever).
_LISTS: weakref.WeakSet[RevocationList] = weakref.WeakSet()
_HELD: list[threading.Lock] = []


def _before_fork() -> None:
    for view in list(_LISTS):
        view._lock.acquire()
        _HELD.append(view._lock)


def _after_fork() -> None:
    while _HELD:
        _HELD.pop().release()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork
    )


def _merged(held: Revocation, new: Revocation) -> Revocation:
    """One entry taking back all that both do: the later cut-off, kept the longer.

    A later write with an earlier cut-off but a longer lifetime must not be lost, nor
    shorten what is held: passports issued before the later cut-off stay refused for
    as long as either entry says.
    """
    expires = max(held.expires, new.expires)
    if held.before is None or new.before is None:
        return held if held.expires >= new.expires else new
    before = max(held.before, new.before)
    if (expires, before) == (held.expires, held.before):
        return held
    return Revocation(held.kind, held.issuer, held.value, expires, before)
