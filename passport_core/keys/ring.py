"""A key ring that rotates in stages, so no verifier ever sees a key it cannot know.

A ring holds one **active** key (it signs), at most one **next** key
(published in the JWKS, not signing yet) and any number of **retiring** keys
(published, no longer signing, until every passport they signed has expired)::

    ring.prepare()   # publish the next key; nothing signs with it yet
    ...              # wait publish_delay: every verifier can have fetched the JWKS
    ring.promote()   # the next key signs; the old one retires
    ...              # max_token_lifetime + leeway later the old key leaves the JWKS

Both waits are enforced: :meth:`~KeyRing.promote` refuses before
``publish_delay`` has passed since :meth:`~KeyRing.prepare`, and a retiring
key is pruned only once its ``retire_at`` has passed (lazily, on every read).
``docs/rotation.md`` is the runbook.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from passport_core.errors import (
    DuplicateKeyId,
    InvalidKey,
    RotationError,
    RotationNotDue,
)
from passport_core.keys.jwks import JWKS_CACHE_CONTROL, JWKS_MAX_AGE, public_jwks
from passport_core.keys.key import Key, generate_key, load_key
from passport_core.token.values import is_numeric_date, seconds

__all__ = [
    "DEFAULT_MAX_TOKEN_LIFETIME",
    "DEFAULT_PUBLISH_DELAY",
    "DEFAULT_RETIRE_LEEWAY",
    "KeyRing",
    "KeyState",
    "RingKey",
    "jwks_cache_control",
]

#: the wait between prepare and promote: the max-age the JWKS is served with, so a
#: verifier or HTTP cache that fetched just before prepare has refetched by then
DEFAULT_PUBLISH_DELAY = float(JWKS_MAX_AGE)
#: the longest passport the ring's keys sign; Minter's default max_ttl, Verifier's max_lifetime
DEFAULT_MAX_TOKEN_LIFETIME = 3600.0
#: the largest clock-skew leeway a Verifier accepts (verify.MAX_LEEWAY): a passport is
#: accepted until exp + leeway, so its key stays published that long
DEFAULT_RETIRE_LEEWAY = 300.0

KeyState = Literal["next", "active", "retiring"]
_STATES: tuple[KeyState, ...] = ("next", "active", "retiring")
#: the member of the ring file (top level and per key) that holds the ring's own data
_RING_MEMBER = "passport_ring"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class RingKey:
    """One key of a ring and its place in the rotation (times in seconds since the epoch).

    :param published_at: since when the key is in the published JWKS.
    :param signs_from: when it became active (``None``: never signed).
    :param signs_until: when it stopped signing (``None``: still signs, or never did).
    :param retire_at: when it leaves the JWKS (retiring keys only).
    """

    key: Key
    state: KeyState
    published_at: float
    signs_from: float | None = None
    signs_until: float | None = None
    retire_at: float | None = None

    @property
    def kid(self) -> str:
        return self.key.kid

    @property
    def alg(self) -> str:
        return self.key.alg


def _seconds(name: str, value: object, *, positive: bool = False) -> float:
    # Bounded like every time here (1970..9999), so sums of times and waits stay finite.
    return seconds(name, value, zero=not positive, error=RotationError)


class KeyRing:
    """An active signing key, an optional next key and retiring keys, rotated in stages.

    :param active: the key that signs now.
    :param retiring: keys that no longer sign but still verify; each is kept
        ``max_token_lifetime + leeway`` from now.
    :param next_key: a key already published but not signing yet (counted as published now).
    :param publish_delay: seconds between :meth:`prepare` and :meth:`promote`:
        at least the longest time a verifier may serve the JWKS from its cache
        (the JWKS max-age, and a RemoteJWKS' ``min_refresh_interval``).
    :param max_token_lifetime: the longest passport lifetime the ring's keys sign
        (a :class:`~passport_core.Minter` refuses a longer ``max_ttl``).
    :param leeway: the verifiers' clock-skew leeway, added to the retiring time.
    :param clock: wall-clock seconds since the epoch (ring state is saved to files).
    """

    def __init__(
        self,
        active: Key,
        retiring: Iterable[Key] = (),
        *,
        next_key: Key | None = None,
        publish_delay: float = DEFAULT_PUBLISH_DELAY,
        max_token_lifetime: float = DEFAULT_MAX_TOKEN_LIFETIME,
        leeway: float = DEFAULT_RETIRE_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._publish_delay = _seconds("publish_delay", publish_delay)
        self._max_token_lifetime = _seconds("max_token_lifetime", max_token_lifetime, positive=True)
        self._leeway = _seconds("leeway", leeway)
        now = clock()
        entries = [RingKey(active, "active", now, signs_from=now)]
        if next_key is not None:
            entries.append(RingKey(next_key, "next", now))
        entries += [
            RingKey(key, "retiring", now, signs_until=now, retire_at=now + self.retire_after)
            for key in retiring
        ]
        self._install(entries)

    @classmethod
    def generate(cls, alg: str = "EdDSA", **options: Any) -> KeyRing:
        """A ring with one freshly generated key; ``options`` as for the constructor."""
        return cls(generate_key(alg), **options)

    # -- state, always checked as a whole ----------------------------------------

    def _install(self, entries: list[RingKey]) -> None:
        """Check and adopt a complete state (the caller holds the lock, or owns ``self``)."""
        active = [e for e in entries if e.state == "active"]
        nexts = [e for e in entries if e.state == "next"]
        if len(active) != 1:
            raise RotationError("a key ring needs exactly one active key")
        if len(nexts) > 1:
            raise RotationError("a key ring holds at most one next key")
        for entry in (*active, *nexts):
            if not entry.key.is_private:
                raise InvalidKey(f"the {entry.state} key of a key ring must be able to sign")
        kids = [entry.kid for entry in entries]
        if len(set(kids)) != len(kids):
            raise DuplicateKeyId("a key ring cannot hold two keys with one kid")
        self._active = active[0]
        self._next = nexts[0] if nexts else None
        self._set_retiring([e for e in entries if e.state == "retiring"])

    def _entries(self) -> list[RingKey]:
        nxt = [self._next] if self._next is not None else []
        return [self._active, *nxt, *self._retiring]

    def _prune(self, now: float) -> list[str]:
        """Drop retiring keys whose time has come (the caller holds the lock)."""
        gone = [e.kid for e in self._retiring if e.retire_at is not None and e.retire_at <= now]
        if gone:
            self._set_retiring([e for e in self._retiring if e.kid not in gone])
        return gone

    def _set_retiring(self, retiring: list[RingKey]) -> None:
        self._retiring = retiring
        self._changed()

    def _changed(self) -> None:
        """After any change of the published keys (the caller holds the lock, or owns ``self``)."""
        # get_key prunes by time: from the first retire_at on, an answer may change.
        stable_until = min(
            (e.retire_at for e in self._retiring if e.retire_at is not None), default=math.inf
        )
        # One tuple, replaced whole: a reader without the lock sees one state or the next.
        self._published = ({entry.kid: entry.key for entry in self._entries()}, stable_until)
        self._generation = getattr(self, "_generation", 0) + 1

    def key_generation(self) -> int:
        """Changes with every change of the published keys (see ``KeyGeneration``)."""
        # Two plain reads, no lock: a read racing a rotation only sends the caller to get_key.
        if self._clock() >= self._published[1]:
            return -1
        return self._generation

    @property
    def publish_delay(self) -> float:
        """Seconds between :meth:`prepare` and the earliest :meth:`promote`."""
        return self._publish_delay

    @property
    def max_token_lifetime(self) -> float:
        """The longest passport lifetime the ring's keys sign."""
        return self._max_token_lifetime

    @property
    def leeway(self) -> float:
        """The verifiers' clock-skew leeway, part of the retiring time."""
        return self._leeway

    @property
    def retire_after(self) -> float:
        """Seconds a key stays published after it stops signing."""
        return self.max_token_lifetime + self.leeway

    # -- reading: every read prunes first ---------------------------------------------

    @property
    def active(self) -> Key:
        """The key new passports are signed with."""
        return self._active.key

    @property
    def next(self) -> Key | None:
        """The published key that will sign after :meth:`promote`."""
        nxt = self._next
        return nxt.key if nxt is not None else None

    @property
    def retiring(self) -> tuple[Key, ...]:
        """Keys that no longer sign, still published until their ``retire_at``."""
        with self._lock:
            self._prune(self._clock())
            return tuple(e.key for e in self._retiring)

    @property
    def keys(self) -> tuple[Key, ...]:
        """Every published key: the active one first, then the next, then retiring ones."""
        with self._lock:
            self._prune(self._clock())
            return tuple(e.key for e in self._entries())

    def status(self) -> tuple[RingKey, ...]:
        """Every key with its state and times, in the order of :attr:`keys`."""
        with self._lock:
            self._prune(self._clock())
            return tuple(self._entries())

    @property
    def promote_at(self) -> float | None:
        """When :meth:`promote` is allowed (``None``: no next key)."""
        nxt = self._next
        return nxt.published_at + self.publish_delay if nxt is not None else None

    def get_key(self, kid: str) -> Key | None:
        """The published key with this kid, if the ring holds it."""
        published, stable_until = self._published
        if self._clock() < stable_until:
            # No retirement due: the published keys are what the last change left.
            return published.get(kid)
        with self._lock:
            self._prune(self._clock())
            for entry in self._entries():
                if entry.kid == kid:
                    return entry.key
        return None

    async def aget_key(self, kid: str) -> Key | None:
        """Like :meth:`get_key`: the ring is in memory, nothing to await."""
        return self.get_key(kid)

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS to publish: public halves of the active, next and retiring keys."""
        return public_jwks(self.keys)

    # -- the stages ---------------------------------------------------------------

    def prepare(self, new_key: Key | None = None) -> Key:
        """Publish ``new_key`` (or a fresh key of the active key's algorithm) as the next key.

        Nothing signs with it until :meth:`promote`. Raises
        :class:`~passport_core.RotationError` when a next key is already published.
        """
        with self._lock:
            return self._prepare(new_key, self._clock())

    def _prepare(self, new_key: Key | None, now: float) -> Key:
        if self._next is not None:
            raise RotationError(
                f"key {self._next.kid!r} is already prepared: promote it (or retire it) first"
            )
        self._prune(now)
        key = new_key or generate_key(self._active.alg)
        self._install([*self._entries(), RingKey(key, "next", now)])
        return key

    def promote(self, *, force: bool = False) -> Key:
        """Make the next key active once every verifier can have seen it; the old one retires.

        Refused with :class:`~passport_core.RotationNotDue` before ``publish_delay``
        has passed since :meth:`prepare`; ``force=True`` promotes anyway (verifiers
        that have not refetched the JWKS answer ``unknown_kid`` until they do).
        Returns the new active key.
        """
        with self._lock:
            return self._promote(force, self._clock())

    def _promote(self, force: bool, now: float) -> Key:
        nxt = self._next
        if nxt is None:
            raise RotationError("no next key to promote: prepare one first")
        due = nxt.published_at + self.publish_delay
        if now < due and not force:
            age = math.floor(now - nxt.published_at)
            raise RotationNotDue(
                f"key {nxt.kid!r} was published {age} s ago; verifiers may "
                f"cache the JWKS for {self.publish_delay:g} s: promote in "
                f"{math.ceil(due - now)} s, or force it and accept unknown_kid rejections"
            )
        old = self._active
        retired = replace(old, state="retiring", signs_until=now, retire_at=now + self.retire_after)
        promoted = replace(nxt, state="active", signs_from=now)
        self._prune(now)
        self._install([promoted, retired, *self._retiring])
        return promoted.key

    def rotate(self, new: Key | None = None) -> Key:
        """One safe step of a staged rotation; returns the new key.

        Without a next key: :meth:`prepare` (``new`` or a fresh key is published,
        the active key keeps signing). With one: :meth:`promote` it, refused with
        :class:`~passport_core.RotationNotDue` until ``publish_delay`` has passed.
        Call it twice, ``publish_delay`` apart, to rotate.
        """
        with self._lock:
            now = self._clock()
            if self._next is None:
                return self._prepare(new, now)
            if new is not None and new.kid != self._next.kid:
                raise RotationError(
                    f"key {self._next.kid!r} is already prepared: promote it before another"
                )
            return self._promote(False, now)

    def retire(self, kid: str, *, force: bool = False) -> None:
        """Stop publishing a retiring key once its ``retire_at`` has passed, or a next key.

        A next key never signed, so withdrawing it is always safe. A retiring key
        removed before its time (``force=True``, e.g. it leaked) makes every
        passport it signed fail once verifiers refetch the JWKS.
        """
        with self._lock:
            now = self._clock()
            if kid == self._active.kid:
                raise RotationError(
                    f"key {kid!r} is active: prepare and promote another key before retiring it"
                )
            if self._next is not None and self._next.kid == kid:
                self._next = None
                self._changed()
                return
            for entry in self._retiring:
                if entry.kid == kid:
                    if entry.retire_at is not None and now < entry.retire_at and not force:
                        raise RotationNotDue(
                            f"key {kid!r} may still have signed unexpired passports: it retires "
                            f"in {math.ceil(entry.retire_at - now)} s; force it to revoke them"
                        )
                    self._set_retiring([e for e in self._retiring if e is not entry])
                    return
            raise InvalidKey(f"the ring holds no retiring or next key with kid {kid!r}")

    def remove(self, kid: str) -> None:
        """Stop publishing a retiring or next key now: ``retire(kid, force=True)``."""
        self.retire(kid, force=True)

    def prune(self) -> tuple[str, ...]:
        """Drop the retiring keys whose ``retire_at`` has passed; their kids."""
        with self._lock:
            return tuple(self._prune(self._clock()))

    # -- saving and loading: a JWKS with private keys and the ring's own members ------

    def to_document(self) -> dict[str, Any]:
        """The whole ring as a JSON-ready dict, **private keys included**.

        A JWK Set (RFC 7517 §5) whose keys carry a ``passport_ring`` member with
        their state and times; RFC 7517 §4 lets readers ignore members they do
        not know.
        """
        with self._lock:
            self._prune(self._clock())
            entries = self._entries()
        keys = []
        for entry in entries:
            jwk = entry.key.to_jwk(private=entry.key.is_private)
            jwk[_RING_MEMBER] = {
                "state": entry.state,
                "published_at": entry.published_at,
                "signs_from": entry.signs_from,
                "signs_until": entry.signs_until,
                "retire_at": entry.retire_at,
            }
            keys.append(jwk)
        return {
            _RING_MEMBER: {
                "version": _FORMAT_VERSION,
                "publish_delay": self.publish_delay,
                "max_token_lifetime": self.max_token_lifetime,
                "leeway": self.leeway,
            },
            "keys": keys,
        }

    @classmethod
    def from_document(
        cls, document: Mapping[str, Any], *, clock: Callable[[], float] = time.time
    ) -> KeyRing:
        """A ring from :meth:`to_document`'s output; refuses anything inconsistent."""
        settings = document.get(_RING_MEMBER) if isinstance(document, Mapping) else None
        entries = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(settings, Mapping) or not isinstance(entries, list):
            raise RotationError("not a key ring file: no 'passport_ring' settings or 'keys' list")
        version = settings.get("version")
        if isinstance(version, bool) or version != _FORMAT_VERSION:
            raise RotationError(f"unsupported key ring file version {version!r}")
        ring = cls.__new__(cls)
        ring._lock = threading.Lock()
        ring._clock = clock
        ring._publish_delay = _seconds("publish_delay", settings.get("publish_delay"))
        lifetime = settings.get("max_token_lifetime")
        ring._max_token_lifetime = _seconds("max_token_lifetime", lifetime, positive=True)
        ring._leeway = _seconds("leeway", settings.get("leeway"))
        ring._install([_entry(item) for item in entries])
        return ring

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time
    ) -> KeyRing:
        """Read a ring saved with :meth:`save`."""
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise RotationError(
                f"cannot read key ring {os.fspath(path)!r}: {exc.strerror}"
            ) from exc
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise RotationError(f"key ring {os.fspath(path)!r} is not valid JSON") from exc
        if not isinstance(document, dict):
            raise RotationError(f"key ring {os.fspath(path)!r} is not a JSON object")
        return cls.from_document(document, clock=clock)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the ring, private keys included, to ``path`` with mode 0600, atomically.

        Readers (an edge reloading the file) see the old or the new ring, never half of one.
        """
        data = json.dumps(self.to_document(), indent=2).encode() + b"\n"
        target = Path(path)
        try:
            handle, temp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        except OSError as exc:
            raise RotationError(
                f"cannot write key ring {os.fspath(path)!r}: {exc.strerror}"
            ) from exc
        try:
            # mkstemp creates the file 0600: the private keys are never readable by others.
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise RotationError(
                f"cannot write key ring {os.fspath(path)!r}: {exc.strerror}"
            ) from exc

    def reload(self, path: str | os.PathLike[str]) -> None:
        """Adopt the ring saved at ``path`` in place (a Minter holding this ring follows)."""
        other = KeyRing.load(path, clock=self._clock)
        with self._lock:
            self._install(other._entries())
            self._publish_delay = other.publish_delay
            self._max_token_lifetime = other.max_token_lifetime
            self._leeway = other.leeway

    @property
    def cache_control(self) -> str:
        """The ``Cache-Control`` to serve this ring's JWKS with: a max-age within publish_delay."""
        return _cache_control(min(JWKS_MAX_AGE, math.floor(self.publish_delay)))

    def __repr__(self) -> str:
        nxt = self._next.kid if self._next is not None else None
        retiring = [e.kid for e in self._retiring]
        return f"KeyRing(active={self._active.kid!r}, next={nxt!r}, retiring={retiring!r})"


def _cache_control(max_age: int) -> str:
    # RFC 9111 §5.2.2.1: no cache serves the JWKS longer than max-age, so a key prepared
    # that long ago is in every copy a verifier can get; public keys may be shared-cached.
    return f"public, max-age={max_age}"


def jwks_cache_control(keys: object) -> str:
    """The ``Cache-Control`` of a published JWKS: :attr:`KeyRing.cache_control` for a ring.

    A ring promotes ``publish_delay`` after prepare, so its JWKS must not be cached
    longer; other keys get :data:`~passport_core.JWKS_CACHE_CONTROL`.
    """
    return keys.cache_control if isinstance(keys, KeyRing) else JWKS_CACHE_CONTROL


def _time(value: Any, name: str, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if not is_numeric_date(value):
        raise RotationError(f"the key ring file has a bad {name!r} time")
    return float(value)


def _entry(item: Any) -> RingKey:
    """One key of a ring file; its JWK is checked like any other."""
    if not isinstance(item, Mapping) or not isinstance(item.get(_RING_MEMBER), Mapping):
        raise RotationError("every key of a key ring file needs its 'passport_ring' state")
    meta = item[_RING_MEMBER]
    state = meta.get("state")
    if state not in _STATES:
        raise RotationError(f"the key ring file has an unknown key state {state!r}")
    key = load_key({name: value for name, value in item.items() if name != _RING_MEMBER})
    published = _time(meta.get("published_at"), "published_at", optional=False)
    assert published is not None  # noqa: S101 - optional=False
    entry = RingKey(
        key,
        state,
        published,
        signs_from=_time(meta.get("signs_from"), "signs_from"),
        signs_until=_time(meta.get("signs_until"), "signs_until"),
        retire_at=_time(meta.get("retire_at"), "retire_at"),
    )
    if state == "retiring" and entry.retire_at is None:
        raise RotationError(f"retiring key {key.kid!r} has no 'retire_at' time")
    return entry
