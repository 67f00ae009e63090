"""The one bounded HTTP fetcher: key sets, discovery documents, and later introspection.

Whatever answers is treated as hostile input: responses are capped in size and
read as a stream, each network step times out, redirects are never followed,
compressed bodies are refused (they could expand past the cap), and no
``httpx`` exception escapes: every failure is a ``KeysUnavailable`` whose
message names no key and no token.
"""

from __future__ import annotations

import asyncio
import functools
import math
import ssl
import time
from dataclasses import dataclass

import httpx

from passport_core.errors import ConfigurationError, KeysUnavailable

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "BoundedFetcher", "check_limits"]

DEFAULT_TIMEOUT = 3.0
DEFAULT_MAX_BYTES = 256 * 1024
USER_AGENT = "service-passport"
_HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)


def check_limits(timeout: float, max_bytes: int) -> None:
    """Refuse a timeout or size cap that would switch the bound off."""
    if not (math.isfinite(timeout) and timeout > 0):
        raise ConfigurationError("timeout must be a positive number of seconds")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1024:
        raise ConfigurationError("max_bytes must be an integer of at least 1024")


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: building one costs tens of milliseconds."""
    return httpx.create_ssl_context()


class _BorrowedTransport(httpx.BaseTransport):
    """A caller's transport, used but never closed: it belongs to the caller."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


class _BorrowedAsyncTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`_BorrowedTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


@dataclass(frozen=True)
class BoundedFetcher:
    """Bounded GETs: a timeout per network step, a size cap, no redirects."""

    timeout: float
    max_bytes: int
    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None

    def _headers(self, accept: str) -> dict[str, str]:
        # identity: a compressed body could expand far beyond max_bytes.
        return {"Accept": accept, "Accept-Encoding": "identity", "User-Agent": USER_AGENT}

    def _timed_out(self) -> KeysUnavailable:
        return KeysUnavailable(f"the key server did not answer within {self.timeout:g} s")

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if response.is_redirect:
            # A redirect could point anywhere; the configured URL is the only one trusted.
            raise KeysUnavailable(
                f"the key server answered a redirect (HTTP {status}), not followed"
            )
        if status != 200:
            raise KeysUnavailable(f"the key server answered HTTP {status}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise KeysUnavailable(
                "the key server sent a compressed response although none was asked"
            )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large()

    def _too_large(self) -> KeysUnavailable:
        return KeysUnavailable(f"the key server's response exceeds {self.max_bytes} bytes")

    def _add(self, body: bytearray, chunk: bytes, deadline: float) -> None:
        body += chunk
        if len(body) > self.max_bytes:
            raise self._too_large()
        if time.monotonic() > deadline:
            # A server that drips bytes never trips the per-read timeout.
            raise self._timed_out()

    def get(self, url: str, accept: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        transport = _BorrowedTransport(self.transport) if self.transport is not None else None
        try:
            with (
                httpx.Client(
                    transport=transport, timeout=self.timeout, verify=_ssl_context()
                ) as client,
                client.stream("GET", url, headers=self._headers(accept)) as response,
            ):
                self._check(response)
                body = bytearray()
                for chunk in response.iter_raw():
                    self._add(body, chunk, deadline)
                return bytes(body)
        except httpx.TimeoutException as exc:
            raise self._timed_out() from exc
        except _HTTPX_ERRORS as exc:
            raise KeysUnavailable(
                f"the key server could not be reached ({type(exc).__name__})"
            ) from exc

    async def aget(self, url: str, accept: str) -> bytes:
        try:
            # The whole request, not only each step, is bounded in async code.
            return await asyncio.wait_for(self._aget(url, accept), self.timeout)
        except asyncio.TimeoutError as exc:
            raise self._timed_out() from exc

    async def _aget(self, url: str, accept: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        transport = (
            _BorrowedAsyncTransport(self.async_transport)
            if self.async_transport is not None
            else None
        )
        try:
            async with (
                httpx.AsyncClient(
                    transport=transport, timeout=self.timeout, verify=_ssl_context()
                ) as client,
                client.stream("GET", url, headers=self._headers(accept)) as response,
            ):
                self._check(response)
                body = bytearray()
                async for chunk in response.aiter_raw():
                    self._add(body, chunk, deadline)
                return bytes(body)
        except httpx.TimeoutException as exc:
            raise self._timed_out() from exc
        except _HTTPX_ERRORS as exc:
            raise KeysUnavailable(
                f"the key server could not be reached ({type(exc).__name__})"
            ) from exc
