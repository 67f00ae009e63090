"""A key ring: one active signing key plus retiring keys still published.

Rotation without downtime: :meth:`KeyRing.rotate` makes a new active key and
keeps the previous one as *retiring*, so passports it signed keep verifying
until they expire and the key is :meth:`removed <KeyRing.remove>`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from passport_core.errors import DuplicateKeyId, InvalidKey
from passport_core.keys.jwks import public_jwks
from passport_core.keys.key import Key, generate_key

__all__ = ["KeyRing"]


class KeyRing:
    """One active private key for signing and retiring keys for verification."""

    def __init__(self, active: Key, retiring: Iterable[Key] = ()) -> None:
        self._lock = threading.Lock()
        retiring = list(retiring)
        self._check(active, retiring)
        self._active = active
        self._retiring = retiring

    @classmethod
    def generate(cls, alg: str = "EdDSA") -> KeyRing:
        """A ring with one freshly generated key."""
        return cls(generate_key(alg))

    @staticmethod
    def _check(active: Key, retiring: list[Key]) -> None:
        if not active.is_private:
            raise InvalidKey("the active key of a key ring must be able to sign")
        kids = [active.kid, *(key.kid for key in retiring)]
        if len(set(kids)) != len(kids):
            raise DuplicateKeyId("a key ring cannot hold two keys with one kid")

    @property
    def active(self) -> Key:
        """The key new passports are signed with."""
        return self._active

    @property
    def retiring(self) -> tuple[Key, ...]:
        return tuple(self._retiring)

    @property
    def keys(self) -> tuple[Key, ...]:
        """Every key that still verifies: the active one first."""
        return (self._active, *self._retiring)

    def rotate(self, new: Key | None = None) -> Key:
        """Make ``new`` (or a fresh key of the same algorithm) active; retire the old one."""
        with self._lock:
            new = new or generate_key(self._active.alg)
            retiring = [self._active, *self._retiring]
            self._check(new, retiring)
            self._retiring = retiring
            self._active = new
            return new

    def remove(self, kid: str) -> None:
        """Stop publishing a retiring key: tokens it signed no longer verify."""
        with self._lock:
            if kid == self._active.kid:
                raise InvalidKey("cannot remove the active key; rotate first")
            remaining = [key for key in self._retiring if key.kid != kid]
            if len(remaining) == len(self._retiring):
                raise InvalidKey(f"no retiring key with kid {kid!r}")
            self._retiring = remaining

    def get_key(self, kid: str) -> Key | None:
        """The key with this kid, if the ring holds it."""
        for key in self.keys:
            if key.kid == kid:
                return key
        return None

    async def aget_key(self, kid: str) -> Key | None:
        """Like :meth:`get_key`: the ring is in memory, nothing to await."""
        return self.get_key(kid)

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS to publish: public halves of every key still in the ring."""
        return public_jwks(self.keys)

    def __repr__(self) -> str:
        return f"KeyRing(active={self._active.kid!r}, retiring={[k.kid for k in self._retiring]!r})"
