"""Remote key sources: a JWKS URL, or an issuer's OIDC discovery document.

A verifier behind a token service does not hold the public keys itself; it
fetches them::

    Verifier(keys=RemoteJWKS("https://edge.example/.well-known/jwks.json"),
             issuer="https://edge.example", audience="orders")
    Verifier(keys=OIDCDiscovery("https://login.example"), issuer=..., audience=...)

How the cache behaves:

* keys are fetched on first use and kept for ``cache_ttl`` seconds;
* a token naming an unknown ``kid`` triggers a refresh, because the issuer may
  have rotated its key;
* refreshes are at most one per ``min_refresh_interval`` seconds, so a flood of
  tokens with random ``kid``\\s cannot make this process hammer the key server;
* only one fetch is in flight at a time, shared by threads (:meth:`get_key`)
  and event loops (:meth:`aget_key`) alike;
* stale-if-error: when a refresh fails the previous keys keep serving; only
  when no keys were ever fetched does a lookup raise
  :class:`~passport_core.KeysUnavailable` (503).

The key server is treated as hostile input: responses are capped in size and
read as a stream, each network step times out, redirects are never followed,
``http://`` is refused except on loopback, and a JWKS that carries private
keys, duplicate ``kid``\\s or weak keys is refused as a whole (the previous
keys stay). No ``httpx`` exception escapes: every failure is a
``KeysUnavailable`` whose message names no key and no token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import httpx

from passport_core.errors import (
    ConfigurationError,
    InvalidKey,
    KeysUnavailable,
    MalformedToken,
)
from passport_core.http.fetcher import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    BoundedFetcher,
    check_limits,
)
from passport_core.http.flight import Flight
from passport_core.http.urls import checked_url, redacted
from passport_core.keys.jwks import load_jwks
from passport_core.keys.key import Key
from passport_core.token.encoding import json_loads_object

__all__ = ["RemoteJWKS", "fetch_jwks"]

_log = logging.getLogger("passport_core.keys")

DEFAULT_CACHE_TTL = 600.0
DEFAULT_MIN_REFRESH_INTERVAL = 30.0
#: with no keys at all, a failed fetch is retried at most this often (seconds)
_EMPTY_RETRY_INTERVAL = 1.0
#: a lookup waits for at most this many fetches of others before answering from the cache
_MAX_ROUNDS = 3


def _check_options(timeout: float, cache_ttl: float, min_refresh: float, max_bytes: int) -> None:
    check_limits(timeout, max_bytes)
    if not (math.isfinite(cache_ttl) and cache_ttl > 0):
        raise ConfigurationError("cache_ttl must be a positive number of seconds")
    if not (math.isfinite(min_refresh) and min_refresh >= 0):
        raise ConfigurationError("min_refresh_interval must be zero or more seconds")


_JWKS_ACCEPT = "application/jwk-set+json, application/json"


def _parse_jwks(body: bytes) -> list[Key]:
    """A fetched JWKS as keys; anything hostile or useless is ``KeysUnavailable``."""
    try:
        document = json_loads_object(body, "JWKS")
    except MalformedToken as exc:
        raise KeysUnavailable(exc.message) from exc
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise KeysUnavailable("the JWKS has no 'keys' list")
    # Some servers (Keycloak) publish encryption keys beside signing keys; those never
    # verify a passport, so they are skipped rather than failing the whole set.
    signing = [e for e in entries if not (isinstance(e, Mapping) and e.get("use") == "enc")]
    try:
        keys = load_jwks({"keys": signing})
    except InvalidKey as exc:
        raise KeysUnavailable(f"the JWKS was refused: {exc.message}") from exc
    if not keys:
        raise KeysUnavailable("the JWKS holds no signature keys")
    return keys


def fetch_jwks(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_insecure: bool = False,
) -> list[Key]:
    """Fetch a JWKS once, with the same checks as :class:`RemoteJWKS`, and no cache.

    Raises :class:`~passport_core.ConfigurationError` for a bad URL and
    :class:`~passport_core.KeysUnavailable` when the keys cannot be fetched.
    """
    checked_url(url, allow_insecure=allow_insecure, what="the JWKS URL")
    _check_options(timeout, DEFAULT_CACHE_TTL, DEFAULT_MIN_REFRESH_INTERVAL, max_bytes)
    return _parse_jwks(BoundedFetcher(timeout, max_bytes).get(url, _JWKS_ACCEPT))


@dataclass(frozen=True)
class _Plan:
    """What a lookup does next: answer, wait for a fetch, or fetch itself."""

    key: Key | None = None
    wait: Flight | None = None
    lead: Flight | None = None


#: (keys, None) after a fetch, (None, error message) after a failed one
_Outcome: TypeAlias = tuple[list[Key] | None, str | None]


class RemoteJWKS:
    """Verification keys fetched from a JWKS URL, cached, refreshed on unknown ``kid``.

    :param url: the JWKS URL; ``https://``, or ``http://`` to a loopback host.
    :param timeout: seconds for connecting and for each read; a response still
        arriving after that long is abandoned.
    :param cache_ttl: seconds fetched keys are fresh; stale keys are refreshed on use
        and still served, without an age limit, while the key server fails
        (stale-if-error).
    :param min_refresh_interval: at most one fetch per this many seconds, whatever
        the ``kid``\\s of incoming tokens, so keys may stay up to this long past
        ``cache_ttl``; while no keys were ever fetched, a failed fetch is retried
        after a second. :meth:`refresh` ignores it.
    :param max_bytes: larger responses are refused, read no further than that.
    :param allow_insecure: allow ``http://`` to any host (never in production).
    :param transport: an ``httpx`` transport for the sync path (proxies, TLS, tests);
        it is used, never closed.
    :param async_transport: the same for the async path.
    :param clock: monotonic seconds, for the cache's timing.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._parsed_url = checked_url(url, allow_insecure=allow_insecure, what=self._url_name)
        _check_options(timeout, cache_ttl, min_refresh_interval, max_bytes)
        self.url = url
        self.allow_insecure = allow_insecure
        self.cache_ttl = float(cache_ttl)
        self.min_refresh_interval = float(min_refresh_interval)
        self._http = BoundedFetcher(float(timeout), max_bytes, transport, async_transport)
        # A fetch is at most two requests (discovery, JWKS), each a few timeouts long;
        # a flight older than this is taken as abandoned and no longer waited for.
        self._wait_limit = 6 * float(timeout) + 1.0
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Key] | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._last_error: str | None = None
        self._flight: Flight | None = None

    _url_name = "the JWKS URL"

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys in the cache now (possibly stale); empty before the first fetch."""
        with self._lock:
            return tuple(self._keys.values()) if self._keys is not None else ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redacted(self._parsed_url)!r}, kids={self._kids()!r})"

    def _kids(self) -> list[str]:
        return [key.kid for key in self.keys]

    # -- the public lookups ---------------------------------------------------

    def get_key(self, kid: str) -> Key | None:
        """The key for ``kid``, fetching when needed; ``None`` when the issuer has none.

        Blocks while a fetch runs; async code should use :meth:`aget_key`.
        Raises :class:`~passport_core.KeysUnavailable` only when no keys were ever fetched.
        """
        for _ in range(_MAX_ROUNDS):
            plan = self._plan(kid)
            if plan.lead is not None:
                self._lead(plan.lead)
                break
            if plan.wait is None:
                return plan.key
            self._wait(plan.wait)
        return self._answer(kid)

    async def aget_key(self, kid: str) -> Key | None:
        """Like :meth:`get_key`, without blocking the event loop."""
        for _ in range(_MAX_ROUNDS):
            plan = self._plan(kid)
            if plan.lead is not None:
                await self._alead(plan.lead)
                break
            if plan.wait is None:
                return plan.key
            await self._await(plan.wait)
        return self._answer(kid)

    def refresh(self) -> None:
        """Fetch the keys now (or join the fetch in flight); raise ``KeysUnavailable`` on failure.

        On failure the cached keys stay.
        """
        plan = self._plan(None)
        error = None
        if plan.lead is not None:
            error = self._lead(plan.lead)
        elif plan.wait is not None:
            error = self._wait(plan.wait)
        if error is not None:
            raise KeysUnavailable(error)

    async def arefresh(self) -> None:
        """Like :meth:`refresh`, without blocking the event loop."""
        plan = self._plan(None)
        error = None
        if plan.lead is not None:
            error = await self._alead(plan.lead)
        elif plan.wait is not None:
            error = await self._await(plan.wait)
        if error is not None:
            raise KeysUnavailable(error)

    # -- the cache, shared by threads and event loops ----------------------------

    def _plan(self, kid: str | None) -> _Plan:
        """Decide under the lock; ``kid=None`` is a forced refresh."""
        now = self._clock()
        with self._lock:
            keys = self._keys
            if kid is not None and keys is not None:
                key = keys.get(kid)
                if key is not None and now - self._fetched_at < self.cache_ttl:
                    return _Plan(key=key)
            flight = self._flight
            if flight is not None and time.monotonic() - flight.started < self._wait_limit:
                return _Plan(wait=flight)
            if kid is not None and self._last_attempt is not None:
                interval = self.min_refresh_interval
                if keys is None:
                    interval = min(interval, _EMPTY_RETRY_INTERVAL)
                if now - self._last_attempt < interval:
                    # Too soon to ask the key server again: answer from what we have.
                    if keys is None:
                        raise KeysUnavailable(self._last_error)
                    return _Plan(key=keys.get(kid))
            flight = Flight(self._last_attempt)
            self._flight = flight
            self._last_attempt = now
            return _Plan(lead=flight)

    def _answer(self, kid: str) -> Key | None:
        """After a fetch, good or bad: whatever the cache holds (stale-if-error)."""
        with self._lock:
            if self._keys is None:
                raise KeysUnavailable(self._last_error)
            return self._keys.get(kid)

    def _land(self, flight: Flight, outcome: _Outcome | None) -> str | None:
        """Record a fetch's outcome (``None``: interrupted) and release its waiters."""
        keys, error = outcome if outcome is not None else (None, "the key fetch was interrupted")
        with self._lock:
            if keys is not None:
                self._keys = {key.kid: key for key in keys}
                self._fetched_at = self._clock()
                self._last_error = None
            else:
                self._last_error = error
            if self._flight is flight:
                self._flight = None
                if outcome is None:
                    # An interrupted fetch (a cancelled task) did not ask the server
                    # anything useful: let the next lookup try at once.
                    self._last_attempt = flight.previous_attempt
            cached = len(self._keys) if self._keys is not None else 0
        where = redacted(self._parsed_url)
        if keys is not None:
            _log.info("fetched %d verification keys via %s", len(keys), where)
        elif cached:
            _log.warning("keys via %s unavailable (%s); serving %d cached", where, error, cached)
        else:
            _log.warning("keys via %s unavailable (%s); none cached", where, error)
        flight.future.set_result(error)
        return error

    def _lead(self, flight: Flight) -> str | None:
        outcome: _Outcome | None = None
        try:
            try:
                outcome = (self._fetch(), None)
            except KeysUnavailable as exc:
                outcome = (None, exc.message)
        finally:
            error = self._land(flight, outcome)
        return error

    async def _alead(self, flight: Flight) -> str | None:
        outcome: _Outcome | None = None
        try:
            try:
                outcome = (await self._afetch(), None)
            except KeysUnavailable as exc:
                outcome = (None, exc.message)
        finally:
            error = self._land(flight, outcome)
        return error

    def _remaining(self, flight: Flight) -> float:
        return max(flight.started + self._wait_limit - time.monotonic(), 0.0)

    def _wait(self, flight: Flight) -> str | None:
        try:
            return flight.future.result(timeout=self._remaining(flight))
        except concurrent.futures.TimeoutError:
            return "timed out waiting for the key fetch in progress"

    async def _await(self, flight: Flight) -> str | None:
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(flight.future), self._remaining(flight)
            )
        except asyncio.TimeoutError:
            return "timed out waiting for the key fetch in progress"

    # -- fetching; OIDCDiscovery finds the JWKS URL first ----------------------------

    def _fetch(self) -> list[Key]:
        return _parse_jwks(self._http.get(self._jwks_url(), _JWKS_ACCEPT))

    async def _afetch(self) -> list[Key]:
        return _parse_jwks(await self._http.aget(await self._ajwks_url(), _JWKS_ACCEPT))

    def _jwks_url(self) -> str:
        return self.url

    async def _ajwks_url(self) -> str:
        return self.url
