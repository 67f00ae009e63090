"""A user's own key source for tests: the ``KeySource`` protocol and nothing more."""

from __future__ import annotations

from passport_core import Key

__all__ = ["PlainSource"]


class PlainSource:
    """A user's own key source, without ``key_generation``; counts its look-ups.

    With the verifier's cache off, one look-up is one verify; with it on, such a
    source is asked on every cache hit (it cannot say whether its keys changed).
    """

    def __init__(self, *keys: Key) -> None:
        self.keys = {key.kid: key for key in keys}
        self.lookups = 0

    def get_key(self, kid: str) -> Key | None:
        self.lookups += 1
        return self.keys.get(kid)

    async def aget_key(self, kid: str) -> Key | None:
        return self.get_key(kid)
