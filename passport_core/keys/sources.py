"""Where a verifier finds public keys: anything with ``get_key(kid)`` and ``aget_key(kid)``.

A :class:`StaticKeys` set is a dict lookup. A :class:`~passport_core.KeyRing`
is a key source too, so a service that mints can verify its own passports.
Remote sources (a JWKS URL) fetch over the network.

Every source has both methods, a sync and an async one, so the verifier
never probes what a source can do and async servers never block their event
loop on a key fetch. Local sources answer both from memory. This is the rule
for every I/O protocol of the library, now and later (revocation stores,
authenticators, enrichers, the token-exchange client): a pair ``name`` /
``aname`` with the same meaning, each honouring the same timeouts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from passport_core.errors import DuplicateKeyId, InvalidKey
from passport_core.keys.jwks import load_jwks, public_jwks
from passport_core.keys.key import Key
from passport_core.keys.ring import KeyRing

__all__ = ["KeyGeneration", "KeySource", "KeysLike", "StaticKeys", "as_key_source"]


@runtime_checkable
class KeySource(Protocol):
    """Finds the verification key for a ``kid``; ``None`` when unknown.

    Both methods answer the same; a source that could not check (a key server
    down) raises :class:`~passport_core.KeysUnavailable` rather than ``None``.
    """

    def get_key(self, kid: str) -> Key | None: ...

    async def aget_key(self, kid: str) -> Key | None: ...


@runtime_checkable
class KeyGeneration(Protocol):
    """What a key source offers the verified-token cache: a cheap "has anything changed?".

    ``key_generation()`` returns a number that stays the same for as long as every
    ``get_key`` answer stays the same, and ``-1`` once an answer may change without
    any call (keys due for a refresh, a retirement time reached). The cache then asks
    ``get_key`` again, as a cold verify would. Sources without it are asked on every hit.
    """

    def key_generation(self) -> int: ...


class StaticKeys:
    """A fixed set of verification keys, looked up by ``kid`` in a dict."""

    def __init__(self, keys: Iterable[Key]) -> None:
        self._keys: dict[str, Key] = {}
        for key in keys:
            if key.kid in self._keys:
                raise DuplicateKeyId(f"two keys share kid {key.kid!r}")
            self._keys[key.kid] = key
        if not self._keys:
            raise InvalidKey("a key set needs at least one key")

    def get_key(self, kid: str) -> Key | None:
        return self._keys.get(kid)

    async def aget_key(self, kid: str) -> Key | None:
        return self._keys.get(kid)

    #: A fixed set never changes: its generation is always 0. The int's own C method rather
    #: than a Python one, since the verified-token cache asks on every warm hit and a Python
    #: frame would cost more than the answer.
    key_generation: Callable[[], int] = (0).__int__

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(self._keys.values())

    def public_jwks(self) -> dict[str, Any]:
        return public_jwks(self._keys.values())

    def __repr__(self) -> str:
        return f"StaticKeys(kids={list(self._keys)!r})"


KeysLike = KeySource | Key | Iterable[Key] | Mapping[str, Any]


def as_key_source(keys: KeysLike) -> KeySource:
    """Accept a key source, a key ring, one key, keys, or a public JWKS dict."""
    if isinstance(keys, (KeySource, KeyRing)):
        return keys
    if callable(getattr(keys, "get_key", None)):
        # A sync-only source would block an event loop in averify: say so at setup.
        raise InvalidKey("a key source needs both get_key() and aget_key()")
    if isinstance(keys, Key):
        return StaticKeys([keys])
    if isinstance(keys, Mapping):
        return StaticKeys(load_jwks(keys))
    if isinstance(keys, (str, bytes)):  # type: ignore[unreachable]  # guards untyped callers
        raise InvalidKey("pass keys as Key objects or a JWKS dict, not text; see load_jwks()")
    return StaticKeys(keys)
