"""Revocation stores: where revocations are written, and the view a verifier checks.

Every store answers :meth:`RevocationStore.check` from memory, so the hot path
makes no network call; a shared store (Redis) keeps that memory current in the
background and says, through ``check``, when it cannot vouch for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from passport_core.errors import PassportRevoked
from passport_core.revocation.entry import Revocation
from passport_core.revocation.view import RevocationList

__all__ = ["MemoryRevocations", "RevocationStore"]


@runtime_checkable
class RevocationStore(Protocol):
    """What a :class:`~passport_core.Verifier` asks about every passport it accepts.

    ``generation`` changes whenever an answer of ``check`` might: a verified-token
    cache re-checks an entry only when it moved.
    """

    @property
    def generation(self) -> int: ...

    def check(self, claims: Mapping[str, Any]) -> None:
        """Raise ``PassportRevoked`` for a revoked passport, ``RevocationUnavailable``
        when the list cannot be vouched for and the store fails closed; no I/O."""

    def revoke(self, revocation: Revocation) -> None:
        """Add ``revocation``, for every process that shares the store."""

    async def arevoke(self, revocation: Revocation) -> None:
        """Like :meth:`revoke`, without blocking the event loop."""


class MemoryRevocations:
    """Revocations of one process: tests, single-process services, the demo."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.list = RevocationList(clock)

    @property
    def generation(self) -> int:
        return self.list.generation

    def check(self, claims: Mapping[str, Any]) -> None:
        if self.list.revoked(claims) is not None:
            raise PassportRevoked

    def revoke(self, revocation: Revocation) -> None:
        self.list.add(revocation)
        self.list.prune()

    async def arevoke(self, revocation: Revocation) -> None:
        self.revoke(revocation)
