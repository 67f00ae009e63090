"""The token endpoint as an ASGI app: RFC 8693 token exchange over HTTP.

What it answers is :mod:`~passport_core.exchange.answers`'s, as the WSGI app's
(:mod:`~passport_core.exchange.wsgi`) is: this module only moves bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from passport_core.errors import PassportError
from passport_core.exchange.answers import Answer, TokenEndpoint, TokenRequest, request_url

__all__ = ["TokenExchangeEndpoint"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def _send(send: Send, answer: Answer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _TooLarge  # nobody to answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _request(scope: Scope) -> TokenRequest:
    headers = tuple(
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in scope.get("headers", ())
    )
    path = scope.get("path", "/")
    root = scope.get("root_path", "")
    inner = path[len(root) :] or "/" if root and path.startswith(root) else path
    host = next((value for name, value in headers if name == "host"), None)
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw = scope.get("raw_path")
    url = request_url(
        scope.get("scheme", "http"),
        host,
        path,
        raw.decode("latin-1") if isinstance(raw, bytes) else None,
    )
    return TokenRequest(scope.get("method", "GET"), inner, headers, url)


class TokenExchangeEndpoint(TokenEndpoint):
    """ASGI app around a :class:`~passport_core.TokenService`.

    ::

        app = TokenExchangeEndpoint(service)    # uvicorn module:app
        fastapi_app.mount("/sts", app)          # or inside an existing app

    The options are :class:`~passport_core.exchange.answers.TokenEndpoint`'s
    (``realm``, ``url``, ``ring_file``, ``client_cert``).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = _request(scope)
        early = self.before_body(request)
        if early is not None:
            await _send(send, early)
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _TooLarge:
            await _send(send, self.too_large())
            return
        try:
            asked = self.exchange_arguments(request, body)
            result = await self.aexchange(asked)
        except PassportError as error:
            await _send(send, self.refused(request, error))
            return
        await _send(send, self.issued(result))

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
