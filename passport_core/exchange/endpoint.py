"""The token endpoint: an ASGI app answering RFC 8693 token exchange requests.

``POST`` (any path but the JWKS's) with an ``application/x-www-form-urlencoded``
body answers JSON: the RFC 8693 §2.2.1 response, or an RFC 6749 §5.2 error
``{"error", "error_description"}`` with 400 (401 for ``invalid_client``, with a
``WWW-Authenticate`` challenge when the client tried the Authorization header),
405 for another method, 415 for another content type, 413 for a body over the
cap, 503 when keys cannot be had. Never a 500 for anything a client sends.

``GET`` :data:`~passport_core.JWKS_PATH` serves the token service's public keys,
so services can trust the passports it issues.

With ``client_cert`` (a :class:`~passport_core.exchange.mtls.ClientCertHeader`), the
certificate a TLS-terminating proxy forwards authenticates mutual-TLS clients (RFC 8705
§2); without it that header is never read, whoever sends it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from passport_core.errors import ExchangeError, InvalidClient, InvalidRequest, PassportError
from passport_core.exchange.mtls import ClientCertHeader, ClientCertificate
from passport_core.exchange.request import MAX_FORM_BYTES, parse_form
from passport_core.exchange.service import TokenService
from passport_core.keys.jwks import JWKS_CONTENT_TYPE, JWKS_PATH

__all__ = ["TokenExchangeEndpoint"]

logger = logging.getLogger("passport_core.exchange")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
# RFC 6749 §5.1: token responses are never cached
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


async def _answer(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, body: dict[str, Any], **extra: str) -> None:
    headers = {"content-type": _JSON, **_NO_STORE, **extra}
    await _answer(send, status, headers, json.dumps(body).encode())


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


class TokenExchangeEndpoint:
    """ASGI app around a :class:`TokenService`.

    ::

        app = TokenExchangeEndpoint(service)    # uvicorn module:app
        fastapi_app.mount("/sts", app)          # or inside an existing app

    :param realm: the ``realm`` of the ``WWW-Authenticate`` challenge (RFC 6749 §5.2).
    :param client_cert: where the proxy in front forwards the client's TLS certificate;
        ``None`` (the default): mutual TLS is off and no such header is trusted.
    """

    def __init__(
        self,
        service: TokenService,
        *,
        realm: str = "token-service",
        client_cert: ClientCertHeader | None = None,
    ) -> None:
        self.service = service
        self.realm = realm
        self.client_cert = client_cert

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        method = scope.get("method", "GET")
        if path == JWKS_PATH:
            if method in ("GET", "HEAD"):
                ring = self.service.minter.key_ring
                body = json.dumps(ring.public_jwks()).encode()
                headers = {"content-type": JWKS_CONTENT_TYPE, "cache-control": ring.cache_control}
                await _answer(send, 200, headers, b"" if method == "HEAD" else body)
            else:
                await _answer(send, 405, {"allow": "GET, HEAD", "content-type": "text/plain"}, b"")
            return
        if method != "POST":
            # RFC 9110 §15.5.6: a 405 names the methods the resource has
            await _json(send, 405, self._error(InvalidRequest("use POST")), allow="POST")
            return
        headers = self._headers(scope)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != _FORM:
            error = InvalidRequest(f"the body must be {_FORM} (RFC 8693 §2.1)")
            await _json(send, 415, self._error(error))
            return
        try:
            body = await _read_body(receive, MAX_FORM_BYTES)
        except _TooLarge:
            await _json(send, 413, self._error(InvalidRequest("the request body is too large")))
            return
        uses_header = "authorization" in headers
        try:
            if uses_header:
                # Only private_key_jwt is supported: a Basic secret is refused, not ignored.
                raise InvalidClient("authenticate with a client assertion, not Authorization")
            certificate = self._certificate(scope)
            result = await self.service.aexchange(parse_form(body), certificate=certificate)
        except ExchangeError as error:
            extra: dict[str, str] = {}
            if isinstance(error, InvalidClient) and uses_header:
                extra["www-authenticate"] = f'Basic realm="{self.realm}"'
            logger.info("token exchange refused: %s", error.code)
            await _json(send, error.status, self._error(error), **extra)
            return
        except PassportError as error:
            # keys unavailable (503); anything else core raises is still no 500 for the client
            status = error.status if error.status == 503 else 400
            extra = {"retry-after": "5"} if status == 503 else {}
            code = "temporarily_unavailable" if status == 503 else "invalid_request"
            logger.warning("token exchange failed: %s", error.code)
            body_json = {"error": code, "error_description": error.message}
            await _json(send, status, body_json, **extra)
            return
        await _json(send, 200, result.body())

    def _certificate(self, scope: Scope) -> ClientCertificate | None:
        # Only a configured header is read: anyone reaching the app directly could send it.
        if self.client_cert is None:
            return None
        return self.client_cert.read(scope.get("headers", ()))

    @staticmethod
    def _error(error: PassportError) -> dict[str, str]:
        return {"error": error.code, "error_description": error.message}

    @staticmethod
    def _headers(scope: Scope) -> dict[str, str]:
        table: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            table.setdefault(raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
        return table

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
