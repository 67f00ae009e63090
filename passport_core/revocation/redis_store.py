"""A :class:`RevocationStore` in Redis, shared by every process of every service.

Each revocation is one Redis key, ``prefix + kind + ":" + JSON [issuer, value]``,
holding :meth:`Revocation.to_json` with a ``PX`` that ends when no passport it
concerns can still be accepted, so Redis forgets it by itself. A write and its
announcement on the channel ``prefix + "events"`` happen in one Lua script
(atomic: no reader sees the key without the message following, and a later
write never lowers a cut-off already held).

Every process keeps the whole list in memory (:class:`RevocationList`) and
answers :meth:`RedisRevocations.check` from it, with no I/O. A background
thread keeps it current: SUBSCRIBE first, then SCAN + MGET every entry into a
fresh list, then apply each message, so nothing published between the two is
lost; on any failure it reconnects with a bounded backoff and loads again. A
PING every so often proves the subscription alive; when nothing has been heard
for ``max_staleness`` seconds the list cannot be vouched for, and ``check``
fails closed (``RevocationUnavailable``, 503) unless the store fails open.
Needs the ``[redis]`` extra.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from passport_core.errors import ConfigurationError, PassportRevoked, RevocationUnavailable
from passport_core.redis_clients import redis_clients
from passport_core.revocation.entry import Revocation
from passport_core.revocation.view import RevocationList

__all__ = ["RedisRevocations"]

logger = logging.getLogger("passport_core.revocation")

#: seconds a Redis call may take (connect included) before a revoke fails
DEFAULT_TIMEOUT = 0.5
DEFAULT_PREFIX = "passport:revocation:"
#: the reconnect backoff, doubled from the first to the last
BACKOFF = (0.05, 2.0)
#: seconds between two prunes of the local list
PRUNE_EVERY = 5.0
#: entries fetched per MGET while loading
BATCH = 500

# KEYS[1]: the entry; ARGV: its JSON, PX, the channel, its expires and before ("" for a jti).
# Mirrors RevocationList.add: a held entry is merged with the new one (the later cut-off,
# the later expiry), and nothing is written or announced when the held one covers both.
_WRITE = """
local json, px = ARGV[1], tonumber(ARGV[2])
local held = redis.call('GET', KEYS[1])
local function number(text, name)
  return string.match(text, '"' .. name .. '":(-?[0-9][0-9.eE+-]*)')
end
if held then
  local ok, entry = pcall(cjson.decode, held)
  local held_expires = ok and type(entry) == 'table' and number(held, 'expires')
  if held_expires and tonumber(held_expires) then
    -- numbers are carried as the text Python wrote, never re-encoded (cjson would round)
    local expires = held_expires
    if tonumber(ARGV[4]) > tonumber(held_expires) then expires = ARGV[4] end
    local before = ARGV[5]
    local held_before = number(held, 'before')
    if before ~= '' and held_before and tonumber(held_before) >= tonumber(before) then
      before = held_before
    end
    if expires == held_expires and (before == '' or before == held_before) then return 0 end
    json = '{'
    if before ~= '' then json = json .. '"before":' .. before .. ',' end
    json = json .. '"expires":' .. expires .. ',"iss":' .. cjson.encode(entry['iss'])
      .. ',"kind":' .. cjson.encode(entry['kind']) .. ',"value":' .. cjson.encode(entry['value'])
      .. '}'
    px = math.max(px, redis.call('PTTL', KEYS[1]))
  end
end
redis.call('SET', KEYS[1], json, 'PX', px)
redis.call('PUBLISH', ARGV[3], json)
return 1
"""

# The pid this process has; updated in a forked child (os.register_at_fork below), so
# the hot path sees a fork with one comparison instead of a getpid() call.
_pid = [os.getpid()]


#: every store's lock is held across fork(), so a child never inherits one taken by a
#: thread of the parent's (its first check would wait forever)
_STORES: weakref.WeakSet[RedisRevocations] = weakref.WeakSet()
_HELD: list[threading.Lock] = []


def _before_fork() -> None:
    for store in list(_STORES):
        store._lock.acquire()
        _HELD.append(store._lock)


def _release() -> None:
    while _HELD:
        _HELD.pop().release()


def _after_fork_in_child() -> None:
    _pid[0] = os.getpid()
    _release()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(
        before=_before_fork, after_in_parent=_release, after_in_child=_after_fork_in_child
    )


class RedisRevocations:
    """Revocations in Redis, answered from a local copy kept current in the background.

    Build it with :meth:`from_url` (timeouts on both clients), or hand it a
    ``redis.Redis`` (required: the listener uses it; a Sentinel's ``master_for``
    client works) and optionally a ``redis.asyncio.Redis`` for :meth:`arevoke`.
    Call :meth:`start` once; until the first load, ``check`` fails closed (or
    passes, with ``fail_open``). ``max_staleness``: seconds the local list may go
    unconfirmed before it is no longer trusted. A process forked after
    :meth:`start` starts its own listener on its first check.
    """

    def __init__(
        self,
        client: Any = None,
        aclient: Any = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        fail_open: bool = False,
        max_staleness: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if client is None:
            raise ConfigurationError(
                "a RedisRevocations needs a sync Redis client for its listener (or use from_url)"
            )
        if not (isinstance(max_staleness, (int, float)) and 0 < max_staleness < math.inf):
            raise ConfigurationError("max_staleness must be a positive number of seconds")
        self._client = client
        self._aclient = aclient
        self.prefix = prefix
        self.channel = prefix + "events"
        self.fail_open = fail_open
        self.max_staleness = float(max_staleness)
        self._clock = clock
        self.list = RevocationList(clock)
        # monotonic time the list was last known current; -inf: never loaded
        self._vouched = -math.inf
        self._subscribed = False
        self._pid = _pid[0]
        self._started = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        _STORES.add(self)
        self._script: Any = None
        self._ascript: Any = None
        self._lost_logged = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
        fail_open: bool = False,
        max_staleness: float = 5.0,
    ) -> RedisRevocations:
        """Sync and async clients for ``url`` (``redis://host:port/db``), bounded by ``timeout``."""
        client, aclient = redis_clients(url, timeout, "RedisRevocations")
        return cls(
            client,
            aclient,
            prefix=prefix,
            fail_open=fail_open,
            max_staleness=max_staleness,
        )

    # -- the hot path: memory only -------------------------------------------------

    @property
    def generation(self) -> int:
        """Moves with the list, and when the list stops (or starts again) being current."""
        if self._pid != _pid[0]:
            self._restart_after_fork()
        generation = self.list.generation * 2
        if time.monotonic() - self._vouched > self.max_staleness:
            return generation + 1  # a cached passport is checked again: fail closed applies
        return generation

    def check(self, claims: Mapping[str, Any]) -> None:
        if self._pid != _pid[0]:
            self._restart_after_fork()
        # A known revocation refuses even when the list is stale, failing open or not.
        if self.list.revoked(claims) is not None:
            raise PassportRevoked
        if time.monotonic() - self._vouched > self.max_staleness and not self.fail_open:
            raise RevocationUnavailable

    @property
    def healthy(self) -> bool:
        """The local list is current: subscribed, loaded, and heard from lately."""
        return self._subscribed and time.monotonic() - self._vouched <= self.max_staleness

    # -- writes ----------------------------------------------------------------------

    def _arguments(self, revocation: Revocation) -> tuple[list[str], list[str]] | None:
        ttl_ms = math.ceil((revocation.expires - self._clock()) * 1000)
        if ttl_ms <= 0:
            return None  # no passport it concerns can still be accepted
        before = "" if revocation.before is None else repr(revocation.before)
        keys = [self.entry_key(revocation)]
        json_text = revocation.to_json()
        return keys, [json_text, str(ttl_ms), self.channel, repr(revocation.expires), before]

    def entry_key(self, revocation: Revocation) -> str:
        """The Redis key that holds ``revocation`` (and any later one of the same thing)."""
        name = json.dumps([revocation.issuer, revocation.value], separators=(",", ":"))
        return f"{self.prefix}{revocation.kind}:{name}"

    def revoke(self, revocation: Revocation) -> None:
        """Write ``revocation`` to Redis and announce it; ``RevocationUnavailable`` when it
        did not land (then no process refuses it: the caller must retry). Once written,
        this process refuses it at once, before the message comes back."""
        arguments = self._arguments(revocation)
        if arguments is None:
            return
        try:
            if self._script is None:
                self._script = self._client.register_script(_WRITE)
            self._script(keys=arguments[0], args=arguments[1])
        except Exception as exc:
            raise RevocationUnavailable("the revocation could not be written to Redis") from exc
        self.list.add(revocation)

    async def arevoke(self, revocation: Revocation) -> None:
        """Like :meth:`revoke`, on the async client (or a worker thread when there is none)."""
        if self._aclient is None:
            await asyncio.to_thread(self.revoke, revocation)
            return
        arguments = self._arguments(revocation)
        if arguments is None:
            return
        try:
            if self._ascript is None:
                self._ascript = self._aclient.register_script(_WRITE)
            await self._ascript(keys=arguments[0], args=arguments[1])
        except Exception as exc:
            raise RevocationUnavailable("the revocation could not be written to Redis") from exc
        self.list.add(revocation)

    # -- the listener ----------------------------------------------------------------

    def start(self) -> None:
        """Start the background listener (once; again after :meth:`close` is a no-op)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._spawn()

    def _spawn(self) -> None:
        thread = threading.Thread(
            target=self._listen,
            args=(self._stop,),
            name="passport-revocations",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _restart_after_fork(self) -> None:
        """In a forked child: the parent's thread and sockets are not ours; start anew."""
        with self._lock:
            if self._pid == _pid[0]:
                return
            self._pid = _pid[0]
            self._subscribed = False
            closed = self._stop.is_set()
            self._stop = threading.Event()
            if closed:
                self._stop.set()
            elif self._started:
                self._spawn()

    def close(self) -> None:
        """Stop the listener and close the sync client's connections; idempotent."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._subscribed = False
        self._client.close()

    async def aclose(self) -> None:
        """:meth:`close`, and the async client's connections (in the loop that used them)."""
        await asyncio.to_thread(self.close)
        if self._aclient is not None:
            await self._aclient.aclose()

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        return f"RedisRevocations(prefix={self.prefix!r}, fail_open={self.fail_open!r})"

    # -- what the listener does, one connection at a time ------------------------------

    def _listen(self, stop: threading.Event) -> None:
        """The listener thread: serve, and after a failure back off and serve again."""
        backoff = BACKOFF[0]
        while not stop.is_set():
            loaded = self._vouched
            try:
                self._serve(stop)
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
                if stop.is_set():
                    return
                self._lost(exc)
                if self._vouched != loaded:  # it had been serving: start over quickly
                    backoff = BACKOFF[0]
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF[1])

    def _serve(self, stop: threading.Event) -> None:
        """Subscribe, load, then follow the channel until stopped or the connection fails."""
        ping_every = min(1.0, self.max_staleness / 4)
        # No answer for this long: the connection is dead even if no error says so.
        dead_after = max(ping_every * 2, self.max_staleness / 2)
        pubsub = self._client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            deadline = time.monotonic() + dead_after
            while not _is_subscription(pubsub.get_message(timeout=ping_every)):
                if time.monotonic() > deadline or stop.is_set():
                    raise TimeoutError("no answer to SUBSCRIBE")
            self.list.replace(self._load())
            self._subscribed = True
            heard = time.monotonic()
            self._vouched = heard
            self._recovered()
            pinged = pruned = heard
            while not stop.is_set():
                message = pubsub.get_message(timeout=ping_every)
                now = time.monotonic()
                if message is not None:
                    heard = now
                    self._vouched = now
                    self._apply(message)
                if now - heard > dead_after:
                    raise TimeoutError("no answer from Redis")
                if now - pinged >= ping_every:
                    pubsub.ping()
                    pinged = now
                if now - pruned >= PRUNE_EVERY:
                    self.list.prune()
                    pruned = now
        finally:
            self._subscribed = False
            try:
                pubsub.close()
            except Exception:  # the connection is gone already
                logger.debug("closing the revocation subscription failed", exc_info=True)

    def _load(self) -> Iterator[Revocation]:
        """Every entry under the prefix, read in batches; malformed ones are skipped."""
        pattern = _escape_glob(self.prefix) + "*"
        batch: list[Any] = []
        skipped = 0
        for key in self._client.scan_iter(match=pattern, count=BATCH):
            batch.append(key)
            if len(batch) >= BATCH:
                found, bad = self._read(batch)
                skipped += bad
                yield from found
                batch = []
        if batch:
            found, bad = self._read(batch)
            skipped += bad
            yield from found
        if skipped:
            logger.warning("ignored %d malformed revocation entries in Redis", skipped)

    def _read(self, keys: list[Any]) -> tuple[list[Revocation], int]:
        found: list[Revocation] = []
        bad = 0
        for value in self._client.mget(keys):
            if value is None:
                continue  # expired since the scan, or not a string
            try:
                found.append(Revocation.from_json(value))
            except ConfigurationError:
                bad += 1
        return found, bad

    def _apply(self, message: Mapping[str, Any]) -> None:
        if message.get("type") != "message":
            return  # a pong, or a (re)subscription confirmed
        try:
            revocation = Revocation.from_json(message["data"])
        except (ConfigurationError, KeyError, TypeError):
            logger.warning("ignored a malformed revocation message on the channel")
            return
        self.list.add(revocation)

    def _lost(self, error: BaseException) -> None:
        if not self._lost_logged:
            self._lost_logged = True
            logger.warning(
                "revocation list: lost Redis (%s); reconnecting, %s after %.1f s",
                type(error).__name__,
                "failing open" if self.fail_open else "failing closed",
                self.max_staleness,
            )

    def _recovered(self) -> None:
        if self._lost_logged:
            self._lost_logged = False
            logger.info("revocation list: Redis is back, list reloaded")


def _is_subscription(message: Mapping[str, Any] | None) -> bool:
    return message is not None and message.get("type") == "subscribe"


def _escape_glob(text: str) -> str:
    """``text`` matched literally by a Redis glob (SCAN MATCH)."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
