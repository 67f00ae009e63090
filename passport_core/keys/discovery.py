"""Keys of an OpenID Connect / RFC 8414 issuer, found through its discovery document."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from passport_core.errors import ConfigurationError, KeysUnavailable, MalformedToken
from passport_core.http.fetcher import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT
from passport_core.http.urls import checked_url
from passport_core.keys.remote import (
    DEFAULT_CACHE_TTL,
    DEFAULT_MAX_CACHE_TTL,
    DEFAULT_MAX_STALE,
    DEFAULT_MIN_CACHE_TTL,
    DEFAULT_MIN_REFRESH_INTERVAL,
    DEFAULT_UNKNOWN_KID_INTERVAL,
    RemoteJWKS,
    _Fetch,
)
from passport_core.token.encoding import json_loads_object

__all__ = ["OIDCDiscovery"]

_DISCOVERY_PATH = "/.well-known/openid-configuration"


class OIDCDiscovery(RemoteJWKS):
    """Keys of an OpenID Connect / RFC 8414 issuer, found through its discovery document.

    ``{issuer}/.well-known/openid-configuration`` names the ``jwks_uri``; the
    document must name exactly the configured issuer (RFC 8414 §3.3, OpenID
    Connect Discovery §4.3), so one issuer cannot pass its keys off as another's.
    The ``jwks_uri`` is rediscovered every ``cache_ttl``, and at once when a fetch
    from it fails: an issuer that moved its keys and fixed its discovery document
    is followed on the next attempt, not ``cache_ttl`` later. That rediscovery
    happens inside the one fetch in flight, at most once per fetch. Options as for
    :class:`RemoteJWKS`; ``timeout`` applies to each request (a fetch makes at
    most three: discovery, JWKS, and a rediscovery after a failed JWKS fetch).
    """

    _url_name = "the issuer"
    _requests_per_fetch = 3

    def __init__(
        self,
        issuer: str,
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
        parsed = checked_url(issuer, allow_insecure=allow_insecure, what="the issuer")
        if parsed.query or parsed.fragment:
            raise ConfigurationError("an issuer URL has no query or fragment (RFC 8414 §2)")
        self._issuer = issuer
        # OpenID Connect Discovery §4: a trailing '/' is removed before appending.
        self.discovery_url = issuer.rstrip("/") + _DISCOVERY_PATH
        super().__init__(
            self.discovery_url,
            timeout=timeout,
            cache_ttl=cache_ttl,
            min_cache_ttl=min_cache_ttl,
            max_cache_ttl=max_cache_ttl,
            max_stale=max_stale,
            unknown_kid_interval=unknown_kid_interval,
            min_refresh_interval=min_refresh_interval,
            max_bytes=max_bytes,
            allow_insecure=allow_insecure,
            transport=transport,
            async_transport=async_transport,
            clock=clock,
        )
        self._jwks_uri: str | None = None
        self._discovered_at = 0.0

    @property
    def issuer(self) -> str:
        """The issuer whose discovery document is read; fixed at construction."""
        return self._issuer

    @property
    def jwks_uri(self) -> str | None:
        """The JWKS URL the discovery document named; ``None`` before discovery."""
        return self._jwks_uri

    def _discovered(self, body: bytes) -> str:
        try:
            document = json_loads_object(body, "discovery document")
        except MalformedToken as exc:
            raise KeysUnavailable(exc.message) from exc
        if document.get("issuer") != self.issuer:
            raise KeysUnavailable(
                "the discovery document names another issuer than the one configured"
            )
        uri = document.get("jwks_uri")
        if not isinstance(uri, str):
            raise KeysUnavailable("the discovery document has no string 'jwks_uri'")
        parsed = checked_url(
            uri,
            allow_insecure=self.allow_insecure,
            what="the discovery document's jwks_uri",
            error=KeysUnavailable,
        )
        if self._parsed_url.scheme == "https" and parsed.scheme != "https":
            raise KeysUnavailable("the discovery document's jwks_uri downgrades https to http")
        self._jwks_uri = uri
        self._discovered_at = self._clock()
        return uri

    def _stale_uri(self) -> str | None:
        uri = self._jwks_uri
        if uri is None or self._clock() - self._discovered_at >= self.cache_ttl:
            return None
        return uri

    def _discover(self) -> str:
        return self._discovered(self._http.get(self.discovery_url, "application/json"))

    async def _adiscover(self) -> str:
        return self._discovered(await self._http.aget(self.discovery_url, "application/json"))

    def _fetch(self) -> _Fetch:
        uri = self._stale_uri()
        if uri is None:
            return self._fetch_jwks(self._discover())
        try:
            return self._fetch_jwks(uri)
        except KeysUnavailable as failed:
            # The pinned jwks_uri fails: ask the discovery document again, once.
            try:
                moved = self._discover()
            except KeysUnavailable:
                raise failed from None
            if moved == uri:
                raise
            return self._fetch_jwks(moved)

    async def _afetch(self) -> _Fetch:
        uri = self._stale_uri()
        if uri is None:
            return await self._afetch_jwks(await self._adiscover())
        try:
            return await self._afetch_jwks(uri)
        except KeysUnavailable as failed:
            try:
                moved = await self._adiscover()
            except KeysUnavailable:
                raise failed from None
            if moved == uri:
                raise
            return await self._afetch_jwks(moved)
