"""Remote key sources: a JWKS URL, or an issuer's OIDC discovery document.

A verifier behind a token service does not hold the public keys itself; it
fetches them::

    Verifier(keys=RemoteJWKS("https://edge.example/.well-known/jwks.json"),
             issuer="https://edge.example", audience="orders")
    Verifier(keys=OIDCDiscovery("https://login.example"), issuer=..., audience=...)

How the cache behaves:

* keys are fetched on first use and stay fresh for as long as the key server's
  ``Cache-Control: max-age`` says (minus ``Age``, RFC 9111 §4.2), clamped to
  ``[min_cache_ttl, max_cache_ttl]``; ``cache_ttl`` when it says nothing.
  ``no-cache`` and ``no-store`` mean "as short as allowed": the keys must be held
  in memory to verify anything, so they are kept for ``min_cache_ttl``;
* once stale, keys are revalidated with ``If-None-Match`` when the server gave an
  ``ETag`` (RFC 9110 §13.1.2): a ``304`` keeps the keys and makes them fresh again;
* a token naming an unknown ``kid`` triggers a refresh, because the issuer may
  have rotated its key: a new key is picked up within ``unknown_kid_interval``
  seconds (default 5). Such refreshes are at most one per that interval whatever
  the ``kid``\\s of incoming tokens, and a ``kid`` already looked up and missing
  is not looked up again for ``min_refresh_interval`` seconds, so a flood of
  tokens with random ``kid``\\s cannot make this process hammer the key server.
  After a scheduled fetch the first unknown ``kid`` fetches at once; a ``kid``
  never looked up that arrives within the interval of a fetch made for another
  unknown ``kid`` is a 503 (``Retry-After``: the rest of the interval), not a 401:
  an issuer that signs with a key the moment it publishes it (Cloudflare Access
  does) is retried and passes. Only a ``kid`` missing after a fetch, or withdrawn
  by one, is a 401;
* only one fetch is in flight at a time, shared by threads (:meth:`get_key`)
  and event loops (:meth:`aget_key`) alike; whoever arrives while it runs shares
  its outcome, so concurrent lookups on a cold cache fail or succeed together,
  within one ``timeout``. A lookup whose key is cached (stale, within
  ``max_stale``) does not wait for a refresh that another lookup leads;
* bounded stale-if-error (RFC 5861 §4): when a refresh fails, the previous
  keys keep serving for at most ``max_stale`` seconds (default 24 h) past their
  freshness; after that lookups fail closed with
  :class:`~passport_core.KeysUnavailable` (503), as they do when no keys were
  ever fetched. A token with a ``kid`` the cache does not hold while the key
  server fails is also a 503, not a 401: the service could not check it.

The key server is treated as hostile input: the whole exchange is bounded by
``timeout`` (connect, headers and body alike, sync and async), responses are
capped in size and read as a stream, redirects are never followed,
``http://`` is refused except on loopback, and a JWKS that carries private
keys, duplicate ``kid``\\s or weak keys is refused as a whole (the previous
keys stay). A large JWKS is parsed off the event loop in :meth:`aget_key`. No
``httpx`` exception escapes: every failure is a ``KeysUnavailable`` whose
message names no key, no token and no URL credentials.

Why not an HTTP cache library (``hishel``, 2.0 evaluated): it caches *responses*
and follows RFC 9111 as written, which is not what a key cache needs: it reads and stores
whole bodies itself (our size cap applies while streaming), does not clamp
``max-age`` to bounds of ours, and its stale handling knows nothing of the
fail-closed ``max_stale`` or of refreshes driven by unknown ``kid``\\s. The
few directives that matter are parsed here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
    Fetched,
    check_limits,
)
from passport_core.http.flight import Flight
from passport_core.http.urls import checked_url, redacted
from passport_core.keys.jwks import load_jwks
from passport_core.keys.key import Key
from passport_core.token.encoding import json_loads_object
from passport_core.token.values import seconds

__all__ = ["RemoteJWKS", "fetch_jwks"]

_log = logging.getLogger("passport_core.keys")

#: freshness when the key server sends no max-age
DEFAULT_CACHE_TTL = 600.0
#: the shortest freshness a key server can ask for (max-age=0, no-cache): with an ETag
#: a revalidation a minute costs the server a 304; without the floor it could make every
#: lookup a fetch
DEFAULT_MIN_CACHE_TTL = 60.0
#: the longest freshness a key server can ask for: a key withdrawn from the set stops
#: verifying within the hour, whatever max-age a misconfigured server sends
DEFAULT_MAX_CACHE_TTL = 3600.0
#: how long stale keys serve while the key server fails: long enough to ride out an
#: outage of the key server overnight without failing every request of every service,
#: short enough that blocking the key server cannot keep a withdrawn key trusted for
#: more than a day
DEFAULT_MAX_STALE = 86400.0
#: refreshes caused by unknown kids: a rotated key is picked up within this many seconds
DEFAULT_UNKNOWN_KID_INTERVAL = 5.0
#: a kid looked up and missing is not looked up again for this long
DEFAULT_MIN_REFRESH_INTERVAL = 30.0
#: with no usable keys at all, a failed fetch is retried at most this often (seconds)
_EMPTY_RETRY_INTERVAL = 1.0
#: how many kids found missing are remembered (the oldest are forgotten first)
_MAX_MISSING = 1024
#: time a waiter allows on top of the fetch's own bound (parsing, scheduling)
_WAIT_GRACE = 1.0


def _positive(name: str, value: float, *, zero: bool = False) -> float:
    return seconds(name, value, zero=zero)


def _check_options(timeout: float, cache_ttl: float, min_refresh: float, max_bytes: int) -> None:
    check_limits(timeout, max_bytes)
    _positive("cache_ttl", cache_ttl)
    _positive("min_refresh_interval", min_refresh, zero=True)


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


def _is_delta(value: str) -> bool:
    """RFC 9111 §1.2.2 delta-seconds: ASCII digits only (``"²".isdigit()`` is true)."""
    return value.isascii() and value.isdigit()


def _freshness(fetched: Fetched, default: float, low: float, high: float) -> tuple[float, bool]:
    """Seconds the answer is fresh (clamped to ``[low, high]``) and whether it may be kept.

    RFC 9111 §5.2.2: ``max-age`` (``s-maxage`` is for shared caches; we are a private
    one), ``no-cache`` and ``no-store``; §4.2.3: the ``Age`` already spent upstream is
    deducted; §4.2.1: a directive given twice or with a bad value makes the answer stale.
    """
    directives: dict[str, list[str]] = {}
    for part in fetched.cache_control.split(","):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name:
            directives.setdefault(name, []).append(value.strip().strip('"'))
    keep = "no-store" not in directives
    if "no-store" in directives or "no-cache" in directives:
        ttl = 0.0
    elif "max-age" in directives:
        values = directives["max-age"]
        ttl = float(values[0]) if len(values) == 1 and _is_delta(values[0]) else 0.0
    else:
        ttl = default
    age = fetched.age.strip()
    if _is_delta(age):
        ttl -= float(age)  # not int(): Python refuses an int of more than 4300 digits
    return min(max(ttl, low), high), keep


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


@dataclass(frozen=True)
class _Fetch:
    """A finished fetch: new keys, or ``None`` when a 304 confirmed the ones held."""

    url: str
    keys: list[Key] | None
    answer: Fetched


#: (fetch, None) after a fetch, (None, error message) after a failed one
_Outcome = tuple[_Fetch | None, str | None]
#: what a waiter is told when the fetch it waited for was cancelled, not failed
_INTERRUPTED = "the key fetch was interrupted"


def _failed(exc: Exception) -> _Outcome:
    """The outcome of a fetch that raised: our own refusal, or anything else, logged."""
    return (None, exc.message if isinstance(exc, KeysUnavailable) else _unexpected(exc))


def _unexpected(exc: Exception) -> str:
    """A fetch that failed with what no fetch should raise (a bug, here or in a transport).

    Recorded as a failed fetch (rate-limited, stale keys serve, 503), not as an
    interruption: that would answer 500 and let every request fetch again.
    """
    _log.error("the key fetch failed unexpectedly", exc_info=exc)
    return f"the key fetch failed ({type(exc).__name__})"


def _same_or_new(held: Key | None, fetched: Key) -> Key:
    """The key already held when a refresh brings it unchanged.

    Keeping the object lets the verified-token cache tell "the same key" by identity.
    """
    if held is not None and held.alg == fetched.alg and held.to_jwk() == fetched.to_jwk():
        return held
    return fetched


class RemoteJWKS:
    """Verification keys fetched from a JWKS URL, cached, refreshed on unknown ``kid``.

    :param url: the JWKS URL; ``https://``, or ``http://`` to a loopback host.
        Credentials in it are sent as an ``Authorization: Basic`` header, never
        logged.
    :param timeout: seconds for the whole exchange with the key server (connect,
        headers, body), sync and async alike.
    :param cache_ttl: seconds fetched keys are fresh when the server sends no
        ``Cache-Control: max-age``.
    :param min_cache_ttl: the least freshness a server's ``max-age`` (or
        ``no-cache``) can ask for.
    :param max_cache_ttl: the most freshness a server's ``max-age`` can ask for.
    :param max_stale: seconds stale keys keep serving past their freshness while the
        key server fails; after that lookups raise ``KeysUnavailable``.
    :param unknown_kid_interval: at most one refresh per this many seconds caused by
        tokens with an unknown ``kid``: a rotated key is found within it. It is also
        how often a failing key server is asked again while stale keys serve (with
        no usable keys, at most every second).
    :param min_refresh_interval: a ``kid`` looked up and missing after a fetch is not
        looked up again for this long. :meth:`refresh` ignores both intervals.
    :param max_bytes: larger responses are refused, read no further than that.
    :param allow_insecure: allow ``http://`` to any host (never in production).
    :param transport: an ``httpx`` transport for the sync path (proxies, TLS, tests);
        it is used, never closed.
    :param async_transport: the same for the async path.
    :param clock: monotonic seconds, for the cache's timing.
    """

    #: requests one fetch makes at most (OIDCDiscovery: discovery, JWKS, rediscovery)
    _requests_per_fetch = 1

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_cache_ttl: float = DEFAULT_MIN_CACHE_TTL,
        max_cache_ttl: float = DEFAULT_MAX_CACHE_TTL,
        max_stale: float = DEFAULT_MAX_STALE,
        unknown_kid_interval: float = DEFAULT_UNKNOWN_KID_INTERVAL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._parsed_url = checked_url(url, allow_insecure=allow_insecure, what=self._url_name)
        _check_options(timeout, cache_ttl, min_refresh_interval, max_bytes)
        self._url = url
        self._allow_insecure = allow_insecure
        self.cache_ttl = float(cache_ttl)
        self.min_cache_ttl = _positive("min_cache_ttl", min_cache_ttl)
        self.max_cache_ttl = _positive("max_cache_ttl", max_cache_ttl)
        if not self.min_cache_ttl <= self.cache_ttl <= self.max_cache_ttl:
            raise ConfigurationError("cache_ttl must lie between min_cache_ttl and max_cache_ttl")
        self.max_stale = _positive("max_stale", max_stale, zero=True)
        self.unknown_kid_interval = _positive(
            "unknown_kid_interval", unknown_kid_interval, zero=True
        )
        self.min_refresh_interval = float(min_refresh_interval)
        self.timeout = float(timeout)
        self._http = BoundedFetcher(self.timeout, max_bytes, transport, async_transport)
        # Each request of a fetch ends within timeout; a flight older than this has
        # been abandoned and is no longer waited for.
        self._wait_limit = self._requests_per_fetch * self.timeout + _WAIT_GRACE
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Key] | None = None
        self._fresh_until = 0.0
        self._generation = 0
        self._etag: tuple[str, str] | None = None  # (url, etag)
        self._cache_control = ""
        self._last_attempt: float | None = None
        self._last_error: str | None = None
        self._flight: Flight | None = None
        self._missing: OrderedDict[str, float] = OrderedDict()
        #: the last fetch was for a kid missing from fresh keys (what rate-limits the next)
        self._chased_kid = False

    _url_name = "the JWKS URL"

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys in the cache now (possibly stale); empty before the first fetch."""
        with self._lock:
            return tuple(self._keys.values()) if self._keys is not None else ()

    @property
    def url(self) -> str:
        """The key server's URL; fixed at construction, where it was checked (https, unless
        ``allow_insecure``), so no later assignment can bypass that check."""
        return self._url

    @property
    def allow_insecure(self) -> bool:
        """Whether ``http://`` was allowed; fixed at construction with :attr:`url`."""
        return self._allow_insecure

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redacted(self._parsed_url)!r}, kids={self._kids()!r})"

    def _kids(self) -> list[str]:
        return [key.kid for key in self.keys]

    # -- the public lookups ---------------------------------------------------

    def get_key(self, kid: str) -> Key | None:
        """The key for ``kid``, fetching when needed; ``None`` when the issuer has none.

        Blocks while a fetch runs (at most about ``timeout``); async code should use
        :meth:`aget_key`. Raises :class:`~passport_core.KeysUnavailable` when the
        question cannot be answered: no usable keys, or an unknown ``kid`` while
        the key server fails.
        """
        for _ in range(2):
            plan = self._plan(kid)
            if plan.lead is not None:
                self._lead(plan.lead)
            elif plan.wait is None:
                return plan.key
            elif self._wait(plan.wait) == _INTERRUPTED:
                continue  # its leader was cancelled: one more plan may lead a fetch
            break
        return self._answer(kid)

    async def aget_key(self, kid: str) -> Key | None:
        """Like :meth:`get_key`, without blocking the event loop."""
        for _ in range(2):
            plan = self._plan(kid)
            if plan.lead is not None:
                await self._alead(plan.lead)
            elif plan.wait is None:
                return plan.key
            elif await self._await(plan.wait) == _INTERRUPTED:
                continue
            break
        return self._answer(kid)

    def key_generation(self) -> int:
        """Changes with every fetched key set; ``-1`` once the keys are due for a refresh."""
        # Plain reads, no lock: a read racing a fetch only sends the caller to get_key.
        if self._keys is None or self._clock() >= self._fresh_until:
            return -1
        return self._generation

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
            fresh = keys is not None and now < self._fresh_until
            if kid is not None and fresh:
                assert keys is not None  # noqa: S101 - narrowing for mypy
                key = keys.get(kid)
                if key is not None or self._recently_missing(kid, now):
                    return _Plan(key=key)
            flight = self._flight
            if flight is not None and time.monotonic() - flight.started < self._wait_limit:
                if kid is not None and keys is not None and kid in keys and self._usable(now):
                    # Stale but usable: only the lookup that leads the refresh waits for it.
                    return _Plan(key=keys[kid])
                return _Plan(wait=flight)
            if kid is not None and self._last_attempt is not None:
                since = now - self._last_attempt
                if self._last_error is not None:
                    interval = self.unknown_kid_interval
                    if not self._usable(now):
                        interval = min(interval, _EMPTY_RETRY_INTERVAL)
                    if since < interval:
                        # Asked the failing server a moment ago: answer from what we hold.
                        return _Plan(key=self._answer_locked(kid, now))
                elif fresh and since < self.unknown_kid_interval and self._chased_kid:
                    # Fresh keys, fetched a moment ago for another unknown kid, without
                    # this never-looked-up one. It may be a key published since, so not a
                    # 401: a 503 whose retry, after the interval, fetches. Waiting here
                    # instead would hold a worker per token for up to the interval, which
                    # a flood of random kids would turn into exhaustion; this costs
                    # nothing and still fetches at most once per interval. (After a
                    # scheduled fetch, the first unknown kid fetches at once: a 401 then
                    # means the issuer really has no such key.)
                    raise KeysUnavailable(
                        "a key id not among the keys fetched a moment ago; they are "
                        "fetched again shortly",
                        retry_after=max(1, math.ceil(self.unknown_kid_interval - since)),
                    )
            flight = Flight(self._last_attempt)
            self._flight = flight
            self._last_attempt = now
            self._chased_kid = kid is not None and fresh
            return _Plan(lead=flight)

    def _usable(self, now: float) -> bool:
        """Keys are held and not past ``max_stale`` (RFC 5861 §4, bounded)."""
        return self._keys is not None and now < self._fresh_until + self.max_stale

    def _recently_missing(self, kid: str, now: float) -> bool:
        missing_at = self._missing.get(kid)
        return missing_at is not None and now - missing_at < self.min_refresh_interval

    def _answer_locked(self, kid: str, now: float) -> Key | None:
        if not self._usable(now):
            if self._keys is not None:
                raise KeysUnavailable(
                    "the cached keys are too old to trust and the key server fails"
                    + (f" ({self._last_error})" if self._last_error else "")
                )
            raise KeysUnavailable(self._last_error)
        assert self._keys is not None  # noqa: S101 - _usable says so
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._last_error is not None and not self._recently_missing(kid, now):
            # A kid we do not hold while the key server fails may be a rotation we cannot
            # see: the service could not check, so this is a 503, not a 401.
            raise KeysUnavailable(f"unknown key id and the key server fails ({self._last_error})")
        if self._last_error is None:
            self._remember_missing(kid, now)
        return None

    def _remember_missing(self, kid: str, now: float) -> None:
        self._missing[kid] = now
        self._missing.move_to_end(kid)
        while len(self._missing) > _MAX_MISSING:
            self._missing.popitem(last=False)

    def _answer(self, kid: str) -> Key | None:
        """After a fetch, good or bad: whatever the cache can answer (bounded stale-if-error)."""
        now = self._clock()
        with self._lock:
            return self._answer_locked(kid, now)

    def _land(self, flight: Flight, outcome: _Outcome | None) -> str | None:
        """Record a fetch's outcome (``None``: interrupted) and release its waiters."""
        fetch, error = outcome if outcome is not None else (None, _INTERRUPTED)
        now = self._clock()
        with self._lock:
            if fetch is not None:
                answer = fetch.answer
                if fetch.keys is not None:
                    held = self._keys or {}
                    self._keys = {
                        key.kid: _same_or_new(held.get(key.kid), key) for key in fetch.keys
                    }
                    self._generation += 1
                    for kid in held.keys() - self._keys.keys():
                        # Withdrawn: known to be gone, so a 401 at once, not a 503 to retry.
                        self._remember_missing(kid, now)
                    self._cache_control = answer.cache_control
                elif answer.cache_control:
                    # RFC 9111 §4.3.4: a 304's headers update the stored ones.
                    self._cache_control = answer.cache_control
                fresh_for, keep = _freshness(
                    Fetched(answer.status, b"", self._cache_control, answer.age),
                    self.cache_ttl,
                    self.min_cache_ttl,
                    self.max_cache_ttl,
                )
                self._fresh_until = now + fresh_for
                etag = answer.etag if answer.etag is not None and keep else None
                if etag is not None:
                    self._etag = (fetch.url, etag)
                elif fetch.keys is not None or not keep:
                    self._etag = None
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
        if fetch is not None and fetch.keys is not None:
            _log.info("fetched %d verification keys via %s", len(fetch.keys), where)
        elif fetch is not None:
            _log.debug("keys via %s unchanged (HTTP 304)", where)
        elif cached:
            _log.warning("keys via %s unavailable (%s); %d cached", where, error, cached)
        else:
            _log.warning("keys via %s unavailable (%s); none cached", where, error)
        flight.future.set_result(error)
        return error

    def _lead(self, flight: Flight) -> str | None:
        outcome: _Outcome | None = None
        try:
            try:
                outcome = (self._fetch(), None)
            except Exception as exc:  # noqa: BLE001 - a failed fetch, not an interrupted one
                outcome = _failed(exc)
        finally:
            error = self._land(flight, outcome)
        return error

    async def _alead(self, flight: Flight) -> str | None:
        outcome: _Outcome | None = None
        try:
            try:
                outcome = (await self._afetch(), None)
            except Exception as exc:  # noqa: BLE001 - a failed fetch, not an interrupted one
                outcome = _failed(exc)
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

    def _etag_for(self, url: str) -> str | None:
        with self._lock:
            held = self._etag
            if held is None or held[0] != url or self._keys is None:
                return None
            return held[1]

    def _fetch_jwks(self, url: str) -> _Fetch:
        answer = self._http.fetch(url, _JWKS_ACCEPT, etag=self._etag_for(url))
        keys = _parse_jwks(answer.body) if answer.status == 200 else None
        return _Fetch(url, keys, answer)

    async def _afetch_jwks(self, url: str) -> _Fetch:
        answer = await self._http.afetch(url, _JWKS_ACCEPT, etag=self._etag_for(url))
        keys = None
        if answer.status == 200:
            # Importing keys costs (RSA most): parse in a worker thread so the event loop
            # keeps serving other requests meanwhile.
            keys = await asyncio.to_thread(_parse_jwks, answer.body)
        return _Fetch(url, keys, answer)

    def _fetch(self) -> _Fetch:
        return self._fetch_jwks(self.url)

    async def _afetch(self) -> _Fetch:
        return await self._afetch_jwks(self.url)
