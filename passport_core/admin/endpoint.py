"""The revocation admin endpoint served over ASGI and WSGI; it only moves bytes.

::

    fastapi_app.mount("/admin/revocations", RevocationEndpoint(admin))
    flask_app.wsgi_app = DispatcherMiddleware(
        flask_app.wsgi_app, {"/admin/revocations": RevocationWSGI(admin)}
    )
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from passport_core.admin.revocations import RevocationAdmin
from passport_core.inbound.transport import (
    Receive,
    Scope,
    Send,
    asgi_headers,
    read_asgi_body,
    read_wsgi_body,
    send_asgi,
    wsgi_headers,
    wsgi_status,
)

__all__ = ["RevocationEndpoint", "RevocationWSGI"]


class RevocationEndpoint:
    """ASGI app around a :class:`RevocationAdmin` (store writes without blocking the loop)."""

    def __init__(self, admin: RevocationAdmin) -> None:
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope.get("method", "GET")
        headers = asgi_headers(scope)
        body = await read_asgi_body(receive, self.admin.max_body) if method == "POST" else b""
        await send_asgi(send, await self.admin.aanswer(method, headers, body))


class RevocationWSGI:
    """WSGI app around a :class:`RevocationAdmin`, for Flask and Django deployments."""

    def __init__(self, admin: RevocationAdmin) -> None:
        self.admin = admin

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        body: bytes | None = b""
        if method == "POST":
            body = read_wsgi_body(
                environ["wsgi.input"],
                environ.get("CONTENT_LENGTH"),
                self.admin.max_body,
                terminated=bool(environ.get("wsgi.input_terminated")),
            )
        answer = self.admin.answer(method, wsgi_headers(environ), body)
        headers = [*answer.headers.items(), ("content-length", str(len(answer.body)))]
        start_response(wsgi_status(answer.status), headers)
        return [answer.body]
