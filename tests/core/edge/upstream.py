"""A real HTTP/1.1 upstream on 127.0.0.1 that records every request it receives."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    """One request as the upstream saw it: every header line kept, in order."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body_length: int
    body_sha256: str

    def values(self, name: str) -> list[str]:
        folded = name.lower().replace("_", "-")
        return [v for k, v in self.headers if k.lower().replace("_", "-") == folded]


@dataclass
class Upstream:
    url: str
    received: list[Received] = field(default_factory=list)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length)


class RecordingHandler(BaseHTTPRequestHandler):
    """``/slow`` sleeps, ``/remint`` and ``/drop`` answer with a passport action, ``/big?n=``
    streams n bytes, ``/leak`` echoes the passport in a response header; all answer JSON of
    what arrived otherwise."""

    upstream: Upstream
    protocol_version = "HTTP/1.1"

    def _any(self) -> None:
        body = _read_body(self)
        seen = Received(
            self.command,
            self.path,
            list(self.headers.items()),
            len(body),
            hashlib.sha256(body).hexdigest(),
        )
        self.upstream.received.append(seen)
        url = urlsplit(self.path)
        headers = {"Content-Type": "application/json"}
        if url.path.endswith("/slow"):
            time.sleep(3)
        if url.path.endswith("/remint"):
            headers["Passport-Action"] = "remint"
        if url.path.endswith("/drop"):
            headers["passport_action"] = "drop"
        if url.path.endswith("/leak"):
            headers["X-Passport"] = seen.values("x-passport")[0]
        if url.path.endswith("/big"):
            size = int(parse_qs(url.query)["n"][0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b"x" * 65536
            left = size
            while left:
                part = block[: min(left, len(block))]
                self.wfile.write(part)
                left -= len(part)
            return
        payload = json.dumps(
            {"path": self.path, "length": seen.body_length, "sha256": seen.body_sha256}
        ).encode()
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""
