"""The mint endpoint: an ASGI app existing gateways ask before they forward a request.

One contract serves the three common auth hooks:

* nginx ``auth_request``: a subrequest to ``/auth``; 2xx lets the request
  through, and ``auth_request_set $passport $upstream_http_x_passport`` copies
  the passport upstream; 401 and 403 are returned to the client, and any other
  status becomes nginx's 500 (``examples/`` shows the ``error_page`` that keeps
  a 503 a 503). Give that location ``proxy_buffer_size 12k``: a passport at
  the size budget makes an 8 KiB answer header, over nginx's default 4k.
* Envoy ``ext_authz`` (HTTP service): the check request arrives with the
  original method at ``path_prefix`` + the original path and query;
  ``allowed_upstream_headers`` copies the passport on 200, and a denial's
  status, headers and body go to the client.
* Traefik ``ForwardAuth``: the original method and URI arrive as
  ``X-Forwarded-Method`` / ``X-Forwarded-Uri``; ``authResponseHeaders`` copies
  the passport on 2xx; anything else is the client's answer.

The downstream audience comes from the ``audience`` query parameter of a
request to the auth path itself (nginx's ``proxy_pass``, Traefik's
``address``: the gateway's configuration) or the ``X-Passport-Audience``
header (nginx's ``proxy_set_header``, Envoy's ``headers_to_add``), else the
edge's default. Under the auth path (Envoy's ``path_prefix``) the query string
is the client's, so it never picks the audience there. The passport is only
ever in a 200 answer's header, which the gateway consumes: a denial carries a
problem-details body and no passport.

The app also serves the minter's JWKS at :data:`~passport_core.JWKS_PATH`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from passport_core.edge.edge import Edge
from passport_core.edge.request import EdgeRequest
from passport_core.errors import PassportError
from passport_core.inbound.problem import problem_response
from passport_core.keys.jwks import JWKS_CONTENT_TYPE, JWKS_PATH

__all__ = ["AUDIENCE_HEADER", "MintEndpoint"]

logger = logging.getLogger("passport_core.edge")

#: the header a gateway's configuration sets to choose the downstream audience
AUDIENCE_HEADER = "X-Passport-Audience"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _headers(scope: Scope) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        table.setdefault(raw_name.decode("latin-1").lower(), []).append(raw_value.decode("latin-1"))
    return table


def edge_request(scope: Scope, original_path: str | None = None) -> EdgeRequest:
    """The :class:`EdgeRequest` of an ASGI HTTP scope: the original request's method and
    path where a gateway forwarded them (``X-Original-*``, ``X-Forwarded-*``, or
    ``original_path``: what Envoy appended to its ``path_prefix``)."""
    table = _headers(scope)

    def get_header(name: str) -> Sequence[str]:
        return table.get(name.lower(), ())

    def first(*names: str) -> str | None:
        for name in names:
            values = table.get(name)
            if values:
                return values[0]
        return None

    method = first("x-original-method", "x-forwarded-method") or scope.get("method", "GET")
    path = first("x-original-uri", "x-forwarded-uri") or original_path or scope.get("path", "/")
    client = scope.get("client")
    return EdgeRequest(
        get_header,
        method=method.upper(),
        path=path,
        client=client[0] if client else None,
    )


async def _answer(
    send: Send, status: int, headers: dict[str, str], body: bytes, *, head: bool = False
) -> None:
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    # RFC 9110 §9.3.2: HEAD answers what GET would, headers and length, without the content
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head else body})


class MintEndpoint:
    """ASGI app: ``/auth`` (and anything under it) mints; ``JWKS_PATH`` serves keys.

    ::

        app = MintEndpoint(edge)            # uvicorn module:app
        fastapi_app.mount("/edge", app)     # or inside an existing app

    :param auth_path: where the gateway sends its auth subrequests.
    :param realm: the ``realm`` of ``WWW-Authenticate`` challenges.
    """

    def __init__(self, edge: Edge, *, auth_path: str = "/auth", realm: str = "edge") -> None:
        self.edge = edge
        self.auth_path = auth_path.rstrip("/") or "/"
        self._under_auth = self.auth_path.rstrip("/") + "/"
        self.realm = realm

    def serves(self, path: str) -> bool:
        """True for the auth path and anything under it (Envoy's ``path_prefix`` + path)."""
        return path == self.auth_path or path.startswith(self._under_auth)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not ours to answer
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        head = scope.get("method") == "HEAD"
        if path == JWKS_PATH:
            if scope.get("method") in ("GET", "HEAD"):
                await self._jwks(send, head=head)
            else:
                # RFC 9110 §15.5.6: a 405 names the methods the resource has
                headers = {"allow": "GET, HEAD", "content-type": "text/plain"}
                await _answer(send, 405, headers, b"method not allowed\n")
        elif path == self.auth_path:
            await self._mint(scope, send, self._audience(scope, query=True), head=head)
        elif path.startswith(self._under_auth):
            # Envoy ext_authz: path_prefix + the original path; the query is the client's
            original = path[len(self._under_auth) - 1 :]
            query = scope.get("query_string", b"").decode("latin-1")
            original += f"?{query}" if query else ""
            audience = self._audience(scope, query=False)
            await self._mint(scope, send, audience, original=original, head=head)
        else:
            await _answer(send, 404, {"content-type": "text/plain"}, b"not found\n", head=head)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _jwks(self, send: Send, *, head: bool) -> None:
        ring = self.edge.minter.key_ring
        body = json.dumps(ring.public_jwks()).encode()
        headers = {"content-type": JWKS_CONTENT_TYPE, "cache-control": ring.cache_control}
        await _answer(send, 200, headers, body, head=head)

    @staticmethod
    def _audience(scope: Scope, *, query: bool) -> str | None:
        chosen: list[str] | None = None
        if query:
            chosen = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("audience")
        chosen = chosen or _headers(scope).get(AUDIENCE_HEADER.lower())
        return chosen[0] if chosen else None

    async def _mint(
        self,
        scope: Scope,
        send: Send,
        audience: str | None,
        *,
        original: str | None = None,
        head: bool,
    ) -> None:
        try:
            minted = await self.edge.amint(edge_request(scope, original), audience)
        except PassportError as error:
            problem = problem_response(error, realm=self.realm)
            headers = {**problem.headers, "content-type": problem.content_type}
            await _answer(send, problem.status, headers, problem.content, head=head)
            return
        headers = {
            self.edge.header: minted.token,
            "cache-control": "no-store",
            "content-type": "text/plain",
        }
        await _answer(send, 200, headers, b"")
