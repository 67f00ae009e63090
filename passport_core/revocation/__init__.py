"""Revocation: taking passports back before they expire.

A :class:`Revocation` names one passport (``jti``), a subject's passports issued
before a time, or a session's (``sid``); a :class:`RevocationStore` holds them and
answers a verifier from memory (:class:`RevocationList`), entries kept only as
long as the passports they concern could live. :class:`RedisRevocations` shares
them between processes through Redis.
"""

from __future__ import annotations

from passport_core.revocation.entry import KINDS, Revocation, RevocationKind
from passport_core.revocation.redis_store import RedisRevocations
from passport_core.revocation.store import MemoryRevocations, RevocationStore
from passport_core.revocation.view import RevocationList

__all__ = [
    "KINDS",
    "MemoryRevocations",
    "RedisRevocations",
    "Revocation",
    "RevocationKind",
    "RevocationList",
    "RevocationStore",
]
