"""Moving one request's bytes in and one answer's out, over ASGI or WSGI.

The endpoints core serves itself (the token endpoint, the revocation admin)
decide their answers without I/O; these helpers are the only code that talks
to the server, so every endpoint reads bodies within a cap the same way and
never blocks on a body a client did not send (PEP 3333).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NO_STORE",
    "Answer",
    "asgi_headers",
    "read_asgi_body",
    "read_wsgi_body",
    "send_asgi",
    "wsgi_headers",
    "wsgi_status",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON = "application/json"
#: answers about credentials are never cached (RFC 6749 §5.1, RFC 9111 §5.2.2.5)
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Answer:
    """A response: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes = b""

    @classmethod
    def json(cls, status: int, document: Mapping[str, Any], **extra: str) -> Answer:
        headers = {"content-type": _JSON, **NO_STORE, **extra}
        return cls(status, headers, json.dumps(document).encode())


def asgi_headers(scope: Scope) -> tuple[tuple[str, str], ...]:
    """The request's headers, names lower-cased, values as sent (Latin-1, RFC 9110 §5.5)."""
    return tuple(
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in scope.get("headers", ())
    )


async def read_asgi_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` when it exceeds ``limit`` or the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_asgi(send: Send, answer: Answer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def wsgi_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request's headers from a WSGI environ, names lower-cased with ``-``."""
    headers = [
        (name[5:].replace("_", "-").lower(), value)
        for name, value in environ.items()
        if name.startswith("HTTP_") and isinstance(value, str)
    ]
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers.append((name.replace("_", "-").lower(), environ[name]))
    return headers


def read_wsgi_body(stream: Any, length: str | None, cap: int, *, terminated: bool) -> bytes | None:
    """At most ``cap`` bytes of a request body; ``None`` when it is longer.

    Without a ``Content-Length``, the stream is read only when it ends by itself
    (``terminated``): PEP 3333 forbids reading past the declared length, and a plain
    WSGI server's socket would block there until the client gives up.
    """
    declared = int(length) if length and length.isascii() and length.isdigit() else None
    if declared is not None and declared > cap:
        return None
    if declared is None and not terminated:
        return b""
    body: bytes = stream.read(cap + 1 if declared is None else declared)
    return None if len(body) > cap else body


def wsgi_status(status: int) -> str:
    """The WSGI status line for ``status`` (PEP 3333: code and reason phrase)."""
    return f"{status} {_REASONS.get(status, 'Error')}"
