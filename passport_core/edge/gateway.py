"""The edge as a gateway: an ASGI reverse proxy that mints a passport for every request it forwards.

::

    app = EdgeGateway(
        edge,
        routes={
            "/orders/": Upstream("http://127.0.0.1:8001", audience="orders"),
            "/api/": Upstream("http://127.0.0.1:8002", audience="billing", strip_prefix=True),
        },
    )
    # nginx/Envoy/Traefik auth hooks: a second app, on a listener only the gateway reaches
    mint = EdgeGateway(edge, routes={}, mint_endpoint=True)

The longest matching prefix of the normalised path
(:mod:`passport_core.edge.paths`; a path with dot segments or an encoded ``/``
is a 400) picks the upstream and the downstream audience, and that same path
is what the upstream gets.
The client's credential is authenticated before the upstream is contacted
(a 401/403/503 problem answer otherwise); the request goes upstream with the
minted passport and without anything a client could forge
(:mod:`passport_core.edge.forwarding`), its body streamed both ways. An
upstream that does not answer within its ``timeout`` gets the client a 504,
one that cannot be reached a 502. A ``Passport-Action`` the upstream answers
with is honoured and removed; the passport never reaches the client.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx

from passport_core.edge.actions import PASSPORT_ACTION_HEADER
from passport_core.edge.edge import Edge, Minted
from passport_core.edge.endpoint import MintEndpoint, Receive, Scope, Send
from passport_core.edge.forwarding import forwarded_headers, header_key, response_headers
from passport_core.edge.paths import UnsafePath, normalised_path
from passport_core.edge.request import EdgeRequest
from passport_core.edge.ring_file import RingFile
from passport_core.errors import ConfigurationError, PassportError
from passport_core.inbound.problem import PROBLEM_CONTENT_TYPE, problem_response
from passport_core.keys.jwks import JWKS_CONTENT_TYPE, JWKS_PATH

__all__ = ["DEFAULT_UPSTREAM_TIMEOUT", "EdgeGateway", "Upstream"]

logger = logging.getLogger("passport_core.edge")
_ACTION = header_key(PASSPORT_ACTION_HEADER)

#: seconds an upstream may take to answer (and between two chunks of its body)
DEFAULT_UPSTREAM_TIMEOUT = 30.0


@dataclass(frozen=True)
class Upstream:
    """A service behind the gateway.

    :param url: its base URL (``http://host:port`` or with a base path).
    :param audience: the downstream audience its passports are minted for
        (default: the edge's first).
    :param strip_prefix: forward ``/orders/42`` of route ``/orders/`` as ``/42``.
    :param timeout: seconds until it must have answered, and between chunks.
    """

    url: str
    audience: str | None = None
    strip_prefix: bool = False
    timeout: float = DEFAULT_UPSTREAM_TIMEOUT

    def __post_init__(self) -> None:
        try:
            parsed = httpx.URL(self.url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ConfigurationError(f"upstream URL {self.url!r} is not a URL") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError(f"upstream URL {self.url!r} must be http(s)://host[:port]")
        if parsed.query or parsed.fragment:
            raise ConfigurationError(f"upstream URL {self.url!r} must have no query or fragment")
        if isinstance(self.timeout, bool) or not 0 < self.timeout <= 3600:
            raise ConfigurationError("an upstream's timeout must be between 0 and 3600 seconds")


@dataclass(frozen=True)
class _Route:
    prefix: str  # without its trailing slash; "" for the root
    upstream: Upstream
    # Parsed once, when the gateway is built: every forwarded request uses them.
    url: httpx.URL = field(init=False)
    base: str = field(init=False)
    timeout: httpx.Timeout = field(init=False)

    def __post_init__(self) -> None:
        url = httpx.URL(self.upstream.url)
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "base", url.raw_path.decode("ascii").split("?", 1)[0])
        object.__setattr__(self, "timeout", httpx.Timeout(self.upstream.timeout))

    def matches(self, path: str) -> bool:
        # Whole segments only: route /orders takes /orders and /orders/1, never /ordersX.
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    def target(self, path: str) -> str:
        """The upstream path for ``path`` (normalised: no dot segment can leave the base)."""
        rest = path[len(self.prefix) :] if self.upstream.strip_prefix else path
        return self.base.rstrip("/") + ("/" + rest.lstrip("/") if rest else "/")


def _routes(edge: Edge, routes: Mapping[str, Upstream]) -> tuple[_Route, ...]:
    table: dict[str, _Route] = {}
    for prefix, upstream in routes.items():
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise ConfigurationError(f"route prefix {prefix!r} must start with '/'")
        if not isinstance(upstream, Upstream):
            raise ConfigurationError(f"route {prefix!r} needs an Upstream")
        if upstream.audience is not None and upstream.audience not in edge.audiences:
            raise ConfigurationError(
                f"route {prefix!r} names audience {upstream.audience!r}, which the edge does "
                f"not mint for (configured: {', '.join(edge.audiences)})"
            )
        key = prefix.rstrip("/")
        if key in table:
            raise ConfigurationError(f"route prefix {prefix!r} is configured twice")
        table[key] = _Route(key, upstream)
    # Longest prefix first: the most specific route wins.
    return tuple(sorted(table.values(), key=lambda route: len(route.prefix), reverse=True))


def _decoded(scope: Scope) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope.get("headers", ())
    ]


async def _answer(
    send: Send, status: int, headers: list[tuple[str, str]], body: bytes = b""
) -> None:
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    headers = [("content-type", PROBLEM_CONTENT_TYPE), ("cache-control", "no-store")]
    await _answer(send, status, headers, json.dumps(body, separators=(",", ":")).encode())


class EdgeGateway:
    """ASGI app: a reverse proxy in front of services that mints with :class:`Edge`.

    It also serves the minter's JWKS at :data:`~passport_core.JWKS_PATH`, and with
    ``mint_endpoint`` (and no routes) the :class:`~passport_core.MintEndpoint` contract
    at ``auth_path``. The two never share one app: the mint endpoint's answer carries
    the passport, so it must listen where only a gateway reaches it, never next to
    the routes clients call.

    :param routes: path prefix → :class:`Upstream`; the longest matching prefix wins.
    :param ring_file: a :class:`RingFile` checked on every request (rotation by file).
    :param jwks_cache_control: the JWKS's ``Cache-Control`` (default: the ring's).
    :param client: the ``httpx.AsyncClient`` for upstream calls (default: one of
        its own, closed at ASGI lifespan shutdown or by :meth:`aclose`).
    :param forward_credentials: also forward the caller's own credential (the
        headers in :attr:`Edge.credential_headers`), for upstreams that need it.
        Off by default: the passport replaces it, and an external access token
        seen by an internal hop could be replayed from there.
    :param trust_forwarded: keep the ``X-Forwarded-*`` / ``Forwarded`` a client sent
        and append this hop (only behind a proxy of your own that sets them); by
        default they are replaced, since at the outermost hop a client forges them.
    """

    def __init__(
        self,
        edge: Edge,
        routes: Mapping[str, Upstream],
        *,
        mint_endpoint: bool = False,
        auth_path: str = "/auth",
        ring_file: RingFile | None = None,
        jwks_cache_control: str | None = None,
        realm: str = "edge",
        client: httpx.AsyncClient | None = None,
        forward_credentials: bool = False,
        trust_forwarded: bool = False,
    ) -> None:
        if not isinstance(edge, Edge):
            raise ConfigurationError("an EdgeGateway needs an Edge")
        if mint_endpoint and routes:
            # Security review F1: on the clients' listener, GET /auth?audience=x would hand
            # any client a signed passport for any audience, to replay past the edge.
            raise ConfigurationError(
                "an EdgeGateway serves either routes or the mint endpoint, never both: the "
                "mint endpoint answers with a passport, so it must sit where only the "
                "gateway reaches it (a second EdgeGateway(edge, routes={}, mint_endpoint=True) "
                "on its own listener)"
            )
        self.edge = edge
        self._routes = _routes(edge, routes)
        self.endpoint = (
            MintEndpoint(edge, auth_path=auth_path, realm=realm) if mint_endpoint else None
        )
        self.ring_file = ring_file
        self.jwks_cache_control = jwks_cache_control
        self.realm = realm
        self._client = client
        self._own_client = client is None
        self.forward_credentials = forward_credentials
        self.trust_forwarded = trust_forwarded
        self._strip = frozenset(header_key(name) for name in edge.strip_headers)
        # Only towards the upstream: the response side never carried the credential.
        credentials = frozenset() if forward_credentials else edge.credential_headers
        self._strip_upstream = self._strip | {header_key(name) for name in credentials}

    @property
    def routes(self) -> dict[str, Upstream]:
        """The routes, most specific first."""
        return {route.prefix + "/": route.upstream for route in self._routes}

    def replace_routes(self, routes: Mapping[str, Upstream]) -> None:
        """Swap every route at once (in-flight requests keep the route they had)."""
        self._routes = _routes(self.edge, routes)

    def _upstream_client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Redirects go back to the client untouched: following one would carry the
            # passport wherever the upstream points.
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    async def aclose(self) -> None:
        """Close the upstream client this gateway made."""
        client, self._client = self._client, None
        if client is not None and self._own_client:
            await client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not proxied
        if self.ring_file is not None:
            self.ring_file.sync()
        path = scope.get("path", "/")
        if path == JWKS_PATH and scope.get("method") in ("GET", "HEAD"):
            await self._jwks(send)
            return
        if self.endpoint is not None and self.endpoint.serves(path):
            await self.endpoint(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or path.encode("utf-8")
        try:
            # Route on the very path the upstream gets (security review F2).
            normal = normalised_path(raw_path.decode("latin-1"))
        except UnsafePath as refused:
            await _problem(send, 400, "unsafe_path", str(refused))
            return
        route = next((r for r in self._routes if r.matches(normal)), None)
        if route is None:
            await _problem(send, 404, "no_route", "no upstream serves this path")
            return
        await self._proxy(scope, receive, send, route, normal)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _jwks(self, send: Send) -> None:
        ring = self.edge.minter.key_ring
        body = json.dumps(ring.public_jwks()).encode()
        cache_control = self.jwks_cache_control or ring.cache_control
        headers = [("content-type", JWKS_CONTENT_TYPE), ("cache-control", cache_control)]
        await _answer(send, 200, headers, body)

    async def _mint(self, scope: Scope, headers: list[tuple[str, str]], route: _Route) -> Minted:
        table: dict[str, list[str]] = {}
        for name, value in headers:
            table.setdefault(name.lower(), []).append(value)
        client = scope.get("client")
        request = EdgeRequest(
            lambda name: table.get(name.lower(), ()),
            method=scope.get("method", "GET"),
            path=scope.get("path", "/"),
            client=client[0] if client else None,
        )
        return await self.edge.amint(request, route.upstream.audience)

    async def _proxy(
        self, scope: Scope, receive: Receive, send: Send, route: _Route, path: str
    ) -> None:
        headers = _decoded(scope)
        try:
            minted = await self._mint(scope, headers, route)
        except PassportError as error:
            problem = problem_response(error, realm=self.realm)
            pairs = [*problem.headers.items(), ("content-type", problem.content_type)]
            await _answer(send, problem.status, pairs, problem.content)
            return
        client = scope.get("client")
        outgoing = forwarded_headers(
            headers,
            strip=self._strip_upstream,
            client=client[0] if client else None,
            scheme=scope.get("scheme", "http"),
            host=next((v for k, v in headers if k.lower() == "host"), None),
            trust_forwarded=self.trust_forwarded,
        )
        outgoing.append((self.edge.header, minted.token))
        target = route.target(path)
        query = scope.get("query_string", b"")
        url = route.url.copy_with(
            raw_path=target.encode("latin-1") + (b"?" + query if query else b"")
        )
        upstream = route.upstream
        request = self._upstream_client().build_request(
            scope.get("method", "GET"),
            url,
            headers=outgoing,
            content=_body(receive) if _has_body(headers) else None,
            timeout=route.timeout,
        )
        try:
            response = await asyncio.wait_for(
                self._upstream_client().send(request, stream=True), upstream.timeout
            )
        except (asyncio.TimeoutError, httpx.TimeoutException):
            logger.warning("upstream %s did not answer within %gs", upstream.url, upstream.timeout)
            await _problem(
                send, 504, "upstream_timeout", "the upstream service did not answer in time"
            )
            return
        except httpx.HTTPError as exc:
            logger.warning("upstream %s failed: %s", upstream.url, type(exc).__name__)
            await _problem(send, 502, "upstream_unavailable", "the upstream service is unavailable")
            return
        try:
            await self._relay(response, minted, send)
        finally:
            await response.aclose()

    async def _relay(self, response: httpx.Response, minted: Minted, send: Send) -> None:
        pairs = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ]
        for name, value in pairs:
            if header_key(name) == _ACTION:
                self.edge.apply_action(minted, value)
        kept = response_headers(pairs, strip=self._strip)
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in kept]
        await send({"type": "http.response.start", "status": response.status_code, "headers": raw})
        async for chunk in response.aiter_raw():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def __repr__(self) -> str:
        return f"EdgeGateway(routes={list(self.routes)}, mint_endpoint={self.endpoint is not None})"


def _has_body(headers: list[tuple[str, str]]) -> bool:
    # RFC 9112 §6.3: without Content-Length or Transfer-Encoding a request has no body.
    return any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers)


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The client's request body as it arrives, chunk by chunk: never held whole."""
    while True:
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
