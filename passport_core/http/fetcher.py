"""The one bounded HTTP fetcher: key sets, discovery documents, introspection, enrichers.

Whatever answers is treated as hostile input: the whole exchange (name lookup,
connect, TLS, request, response headers, body) must end within ``timeout``
seconds, responses are capped in size and read as a stream, redirects are
never followed, compressed bodies are refused (they could expand past the
cap), and no ``httpx``/``httpcore`` exception escapes: every failure is the
caller's ``error`` (``KeysUnavailable`` for key sources,
``IdentityProviderUnavailable`` for introspection, ``EnrichmentFailed`` for
enrichers), whose message names no key, no token, no credential and no URL.

Requests go straight to a transport, never through ``httpx.Client``: the
client logs every request URL at INFO (query strings included) and would
follow its own rules for redirects and credentials. Credentials written in a
URL (``https://user:pass@host/``) are sent as an ``Authorization: Basic``
header (RFC 7617) and taken out of the URL, so no layer below ever sees them
in a URL it might log.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import email.utils
import functools
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpcore
import httpx

from passport_core.errors import ConfigurationError, KeysUnavailable, Unavailable
from passport_core.http.urls import is_loopback
from passport_core.token.encoding import json_dumps
from passport_core.token.values import seconds

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "BoundedFetcher",
    "Fetched",
    "RequestBody",
    "check_limits",
]

DEFAULT_TIMEOUT = 3.0
DEFAULT_MAX_BYTES = 256 * 1024
USER_AGENT = "service-passport"
_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException)
_HTTP_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
)
_T = TypeVar("_T")


def check_limits(timeout: float, max_bytes: int) -> None:
    """Refuse a timeout or size cap that would switch the bound off."""
    seconds("timeout", timeout)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1024:
        raise ConfigurationError("max_bytes must be an integer of at least 1024")


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: building one costs tens of milliseconds."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class Fetched:
    """A fetched answer: ``status`` 200 with a body, or 304 when the ``etag`` still holds."""

    status: int
    body: bytes
    #: every Cache-Control header, joined (RFC 9110 §5.3: one list)
    cache_control: str = ""
    #: the Age header, as sent (RFC 9111 §5.1)
    age: str = ""
    etag: str | None = None
    #: the Content-Type header, as sent
    content_type: str = ""


@dataclass(frozen=True)
class RequestBody:
    """What a POST sends: the bytes and their media type."""

    content: bytes
    content_type: str

    @classmethod
    def form(cls, fields: Mapping[str, str]) -> RequestBody:
        """``application/x-www-form-urlencoded`` fields (HTML's form encoding, RFC 6749 App. B)."""
        return cls(urlencode(dict(fields)).encode("ascii"), "application/x-www-form-urlencoded")

    @classmethod
    def json(cls, value: Any) -> RequestBody:
        return cls(json_dumps(value), "application/json")

    def __repr__(self) -> str:
        # A body may hold a token or a client secret: its size only.
        return f"RequestBody({self.content_type!r}, {len(self.content)} bytes)"


def _entity_tag(value: str | None) -> str | None:
    """An ETag worth sending back in ``If-None-Match``; ``None`` for one httpx cannot send.

    RFC 9110 §8.8.3 allows obs-text in an entity-tag, but httpx encodes request
    header values as ASCII and raises ``UnicodeEncodeError`` otherwise: such a tag
    is dropped (the keys are then fetched in full), never echoed.
    """
    if value is None or not value.isascii() or not value.isprintable():
        return None
    return value


# -- the whole-exchange deadline on the sync path ----------------------------------------------
#
# Why a deadline-aware network backend, and not a watchdog thread or a worker thread:
# httpcore gives every socket operation its own timeout, so a server that drips its
# response headers one byte per second never trips a 1 s timeout. Here every socket
# operation gets at most the time left until the deadline, so the exchange ends by the
# deadline in the calling thread itself: no thread left blocked on a socket, no socket
# closed under another thread's feet (which does not reliably wake a blocked recv on
# every platform). Only the name lookup, which no socket timeout covers, runs in a
# helper thread that the caller stops waiting for at the deadline.


#: a server asking for longer than this is told no: the caller's retry is its own decision
_MAX_RETRY_AFTER = 3600


def _retry_after(value: str | None) -> int | None:
    """The seconds of a ``Retry-After`` value (delay-seconds or an HTTP-date), capped."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true, int("²") fails
        seconds = int(value) if len(value) <= 12 else _MAX_RETRY_AFTER
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None  # RFC 9110 §5.6.7: an HTTP-date is GMT; anything else is not one
        seconds = math.ceil(when.timestamp() - time.time())
    return min(max(seconds, 1), _MAX_RETRY_AFTER)


def _left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(self._deadline, timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _in_thread(call: Callable[[], _T], wait: float, name: str) -> _T:
    """Run ``call`` in a daemon thread; stop waiting for it after ``wait`` seconds."""
    future: concurrent.futures.Future[_T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future.result(timeout=wait)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def _resolve(self, host: str, port: int) -> list[str]:
        if _is_ip(host) or is_loopback(host):
            return [host]
        left = _left(self._deadline, None, httpcore.ConnectTimeout)
        try:
            infos = _in_thread(
                lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                left,
                "passport-resolve",
            )
        except concurrent.futures.TimeoutError as exc:
            raise httpcore.ConnectTimeout("name lookup timed out") from exc
        except (OSError, UnicodeError) as exc:
            # UnicodeError: the idna codec refuses an empty or over-long label.
            raise httpcore.ConnectError("name lookup failed") from exc
        # In the resolver's order (RFC 6724), each once.
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        # TLS still checks the certificate against the requested name: httpcore passes the
        # request's host as server_hostname to start_tls, not this address.
        failure: httpcore.ConnectError | None = None
        for address in self._resolve(host, port):
            # Like socket.create_connection: the next address when one refuses, while the
            # deadline allows (a timeout ends the exchange).
            left = _left(self._deadline, timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(address, port, left, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure or httpcore.ConnectError("the name has no address")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - no unix sockets are configured
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - retries are off
        time.sleep(seconds)


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes], pool: httpcore.ConnectionPool) -> None:
        self._inner = inner
        self._pool = pool

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._pool.close()


def _deadline_exchange(
    request: httpx.Request, deadline: float, context: ssl.SSLContext | None = None
) -> httpx.Response:
    """One request on a fresh connection whose every socket step ends by ``deadline``."""
    pool = httpcore.ConnectionPool(
        ssl_context=context or _ssl_context(),
        max_connections=1,
        retries=0,
        network_backend=_DeadlineBackend(deadline),
    )
    core_request = httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        ),
        headers=request.headers.raw,
        content=request.content,
        extensions=request.extensions,
    )
    try:
        response = pool.handle_request(core_request)
    except BaseException:
        pool.close()
        raise
    return httpx.Response(
        status_code=response.status,
        headers=response.headers,
        stream=_CoreStream(response.stream, pool),  # type: ignore[arg-type]  # an iterable
        extensions=response.extensions,
    )


@dataclass(frozen=True)
class BoundedFetcher:
    """Bounded requests: one deadline over the whole exchange, a size cap, no redirects.

    ``error`` is what every failure raises and ``what`` names the server in its
    message (``"the key server"``): a key source's failure is a
    ``KeysUnavailable``, an introspection endpoint's an
    ``IdentityProviderUnavailable``, an enricher's an ``EnrichmentFailed``.

    With a caller's ``transport`` (proxies, custom TLS) the deadline cannot reach
    its sockets: the exchange then runs in a helper thread that the caller stops
    waiting for at the deadline; that thread ends by itself when the transport's
    own per-step timeouts (the same ``timeout``) fire.

    ``ssl_context`` replaces the default verifying TLS context: other trust roots, or a
    client certificate for mutual TLS (RFC 8705); a ``transport`` brings its own.
    """

    timeout: float
    max_bytes: int
    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None
    error: type[Unavailable] = KeysUnavailable
    what: str = "the key server"
    ssl_context: ssl.SSLContext | None = None

    def _request(
        self,
        method: str,
        url: str,
        accept: str,
        etag: str | None,
        headers: Mapping[str, str] | None,
        body: RequestBody | None,
    ) -> httpx.Request:
        parsed = httpx.URL(url)
        # identity: a compressed body could expand far beyond max_bytes.
        sent = {"Accept": accept, "Accept-Encoding": "identity", "User-Agent": USER_AGENT}
        if parsed.userinfo:
            # RFC 7617 Basic credentials in a header, out of the URL: transports and their
            # loggers see a URL without them.
            pair = f"{parsed.username}:{parsed.password}".encode()
            sent["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            parsed = parsed.copy_with(username=None, password=None)
        if etag is not None:
            # RFC 9110 §13.1.2: revalidate; a 304 keeps what we hold.
            sent["If-None-Match"] = etag
        for name, value in (headers or {}).items():
            if name.lower() != "accept-encoding":  # identity stays: the size cap depends on it
                sent[name] = value
        content = None
        if body is not None:
            sent["Content-Type"] = body.content_type
            content = body.content
        timeouts = dict.fromkeys(("connect", "read", "write", "pool"), self.timeout)
        return httpx.Request(
            method, parsed, headers=sent, content=content, extensions={"timeout": timeouts}
        )

    def _timed_out(self) -> Unavailable:
        return self.error(f"{self.what} did not answer within {self.timeout:g} s")

    def _unreachable(self, exc: Exception) -> Unavailable:
        return self.error(f"{self.what} could not be reached ({type(exc).__name__})")

    def _check(self, response: httpx.Response, etag: str | None, ok: Collection[int]) -> None:
        status = response.status_code
        if status == 304 and etag is not None:
            return
        if response.is_redirect:
            # A redirect could point anywhere; the configured URL is the only one trusted.
            raise self.error(f"{self.what} answered a redirect (HTTP {status}), not followed")
        if status not in ok:
            # RFC 9110 §10.2.3: a 503 or 429 may say when to come back; passed on to the caller.
            asked = response.headers.get("retry-after") if status in (429, 503) else None
            wait = _retry_after(asked)
            raise self.error(f"{self.what} answered HTTP {status}", retry_after=wait)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise self.error(f"{self.what} sent a compressed response although none was asked")
        length = response.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large()

    def _too_large(self) -> Unavailable:
        return self.error(f"{self.what}'s response exceeds {self.max_bytes} bytes")

    def _add(self, body: bytearray, chunk: bytes, deadline: float) -> None:
        body += chunk
        if len(body) > self.max_bytes:
            raise self._too_large()
        if time.monotonic() > deadline:
            # A server that drips bytes never trips a per-read timeout.
            raise self._timed_out()

    @staticmethod
    def _fetched(response: httpx.Response, body: bytes) -> Fetched:
        headers = response.headers
        return Fetched(
            status=response.status_code,
            body=body,
            cache_control=", ".join(headers.get_list("cache-control")),
            age=headers.get("age", ""),
            etag=_entity_tag(headers.get("etag")),
            content_type=headers.get("content-type", ""),
        )

    def fetch(
        self,
        url: str,
        accept: str,
        *,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET ``url``; with ``etag``, a 304 answer is a :class:`Fetched` with status 304."""
        return self.request("GET", url, accept, etag=etag, headers=headers)

    def post(
        self,
        url: str,
        accept: str,
        body: RequestBody,
        *,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200,),
    ) -> Fetched:
        """POST ``body`` to ``url``; a status in ``ok`` is an answer, any other the ``error``."""
        return self.request("POST", url, accept, body=body, headers=headers, ok=ok)

    def request(
        self,
        method: str,
        url: str,
        accept: str,
        *,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        ok: Collection[int] = (200,),
    ) -> Fetched:
        """One bounded exchange; ``headers`` may carry client credentials (never logged)."""
        deadline = time.monotonic() + self.timeout
        try:
            request = self._request(method, url, accept, etag, headers, body)
            if self.transport is None:
                exchanged = _deadline_exchange(request, deadline, self.ssl_context)
                return self._read(exchanged, etag, ok, deadline)
            transport = self.transport
            return _in_thread(
                lambda: self._read(transport.handle_request(request), etag, ok, deadline),
                self.timeout,
                "passport-fetch",
            )
        except (concurrent.futures.TimeoutError, *_TIMEOUTS) as exc:
            raise self._timed_out() from exc
        except _HTTP_ERRORS as exc:
            raise self._unreachable(exc) from exc

    def _read(
        self, response: httpx.Response, etag: str | None, ok: Collection[int], deadline: float
    ) -> Fetched:
        try:
            self._check(response, etag, ok)
            body = bytearray()
            if response.status_code != 304:
                for chunk in response.iter_raw():
                    self._add(body, chunk, deadline)
            return self._fetched(response, bytes(body))
        finally:
            response.close()

    def get(self, url: str, accept: str) -> bytes:
        return self.fetch(url, accept).body

    async def afetch(
        self,
        url: str,
        accept: str,
        *,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """Like :meth:`fetch`, without blocking the event loop."""
        return await self.arequest("GET", url, accept, etag=etag, headers=headers)

    async def apost(
        self,
        url: str,
        accept: str,
        body: RequestBody,
        *,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200,),
    ) -> Fetched:
        """Like :meth:`post`, without blocking the event loop."""
        return await self.arequest("POST", url, accept, body=body, headers=headers, ok=ok)

    async def arequest(
        self,
        method: str,
        url: str,
        accept: str,
        *,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        ok: Collection[int] = (200,),
    ) -> Fetched:
        """Like :meth:`request`, without blocking the event loop."""
        exchange = self._aexchange(method, url, accept, etag, headers, body, ok)
        try:
            # The whole exchange, not only each step, is bounded.
            return await asyncio.wait_for(exchange, self.timeout)
        except asyncio.TimeoutError as exc:
            raise self._timed_out() from exc

    async def aget(self, url: str, accept: str) -> bytes:
        return (await self.afetch(url, accept)).body

    async def _aexchange(
        self,
        method: str,
        url: str,
        accept: str,
        etag: str | None,
        headers: Mapping[str, str] | None,
        body: RequestBody | None,
        ok: Collection[int],
    ) -> Fetched:
        deadline = time.monotonic() + self.timeout
        own = self.async_transport is None
        transport = self.async_transport or httpx.AsyncHTTPTransport(
            verify=self.ssl_context or _ssl_context(), retries=0
        )
        try:
            request = self._request(method, url, accept, etag, headers, body)
            response = await transport.handle_async_request(request)
            try:
                self._check(response, etag, ok)
                received = bytearray()
                if response.status_code != 304:
                    async for chunk in response.aiter_raw():
                        self._add(received, chunk, deadline)
                return self._fetched(response, bytes(received))
            finally:
                await response.aclose()
        except _TIMEOUTS as exc:
            raise self._timed_out() from exc
        except _HTTP_ERRORS as exc:
            raise self._unreachable(exc) from exc
        finally:
            if own:
                await transport.aclose()
