"""The token endpoint as an ASGI app: RFC 8693 token exchange over HTTP.

What it answers is :mod:`~passport_core.exchange.answers`'s, as the WSGI app's
(:mod:`~passport_core.exchange.wsgi`) is: this module only moves bytes.
"""

from __future__ import annotations

from passport_core.errors import PassportError
from passport_core.exchange.answers import TokenEndpoint, TokenRequest, request_url
from passport_core.inbound.transport import (
    Receive,
    Scope,
    Send,
    asgi_headers,
    read_asgi_body,
    send_asgi,
)

__all__ = ["TokenExchangeEndpoint"]


def _request(scope: Scope) -> TokenRequest:
    headers = asgi_headers(scope)
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
            await send_asgi(send, early)
            return
        body = await read_asgi_body(receive, self.max_body)
        if body is None:
            await send_asgi(send, self.too_large())
            return
        try:
            asked = self.exchange_arguments(request, body)
            result = await self.aexchange(asked)
        except PassportError as error:
            await send_asgi(send, self.refused(request, error))
            return
        await send_asgi(send, self.issued(result))

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
