"""The demo edge: authenticates a caller, mints a passport, forwards the request.

It is the one place passports are created. Whatever ``X-Passport`` a client
sends is dropped unread: a client-supplied passport is never trusted at the
edge. Standard library server, so it runs with nothing but core installed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from passport_core.errors import ConfigurationError, MissingToken, PassportError
from passport_core.inbound.extraction import DEFAULT_HEADER
from passport_core.inbound.problem import problem_response
from passport_core.keys.jwks import JWKS_CONTENT_TYPE, JWKS_PATH
from passport_core.mint.minter import Minter

__all__ = ["DemoEdge", "DemoUser"]


@dataclass(frozen=True)
class DemoUser:
    """A caller the edge knows by API key, with the common data it puts in passports."""

    subject: str
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    tenant: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)


class DemoEdge:
    """A threaded HTTP edge on 127.0.0.1 in front of the first service.

    It serves its minter's key ring as the JWKS, read on every request so a
    rotation step shows at once, with ``Cache-Control: max-age=cache_max_age``
    (default: the ring's :attr:`~passport_core.KeyRing.cache_control`; never longer
    than its ``publish_delay``, so no cache keeps the JWKS past the wait before a promotion).

    With ``ring_file``, the ring is re-read whenever that file changes (checked on
    every request), so ``passport ring prepare/promote/retire`` on the file show at
    once in the JWKS and in the key that signs.
    """

    def __init__(
        self,
        minter: Minter,
        *,
        users: Mapping[str, DemoUser],
        audience: tuple[str, ...],
        upstream: str,
        cache_max_age: int | None = None,
        ring_file: str | os.PathLike[str] | None = None,
    ) -> None:
        ring = minter.key_ring
        self._cache_max_age = cache_max_age
        if cache_max_age is not None and not 0 <= cache_max_age <= ring.publish_delay:
            # RFC 9111 §5.2.2.1: a cache may serve the JWKS for max-age seconds; a longer
            # max-age than the ring waits would let a cache hide a prepared key at promotion.
            raise ConfigurationError(
                f"cache_max_age {cache_max_age} s must be between 0 and the ring's "
                f"publish_delay {ring.publish_delay:g} s"
            )
        self.minter = minter
        self.ring_file = ring_file
        self._ring_lock = threading.Lock()
        self._ring_stamp: tuple[int, int, int] | None = None
        self._sync_ring()
        self.users = dict(users)
        self.audience = audience
        self.upstream = upstream
        self._client = httpx.Client(timeout=10.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def cache_control(self) -> str:
        """The ``Cache-Control`` the JWKS is served with."""
        if self._cache_max_age is None:
            return self.minter.key_ring.cache_control
        return f"public, max-age={self._cache_max_age}"

    def _sync_ring(self) -> None:
        """Reload the ring file if it changed (saves replace it: a new inode each time)."""
        if self.ring_file is None:
            return
        with self._ring_lock:
            try:
                info = os.stat(self.ring_file)
            except OSError:
                return  # keep serving the ring we have
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp != self._ring_stamp:
                try:
                    self.minter.key_ring.reload(self.ring_file)
                except PassportError:
                    return  # a bad file never replaces a good ring
                self._ring_stamp = stamp

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DemoEdge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._client.close()

    def __enter__(self) -> DemoEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authenticate(self, authorization: str | None) -> DemoUser:
        scheme, _, api_key = (authorization or "").partition(" ")
        user = self.users.get(api_key.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise MissingToken("the edge needs a valid API key: Authorization: Bearer <key>")
        return user

    def _forward(self, path: str, user: DemoUser) -> httpx.Response:
        token = self.minter.mint(
            user.subject,
            audience=self.audience,
            roles=user.roles,
            scopes=user.scopes,
            tenant=user.tenant,
            profile=user.profile,
        )
        return self._client.get(f"{self.upstream}{path}", headers={DEFAULT_HEADER: token})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                edge._sync_ring()
                if self.path == JWKS_PATH:
                    body = json.dumps(edge.minter.key_ring.public_jwks()).encode()
                    headers = {
                        "Content-Type": JWKS_CONTENT_TYPE,
                        "Cache-Control": edge.cache_control,
                    }
                    self._send(200, headers, body)
                    return
                if not self.path.startswith("/api/"):
                    self._send(404, {"Content-Type": "text/plain"}, b"not found\n")
                    return
                # The client's own X-Passport, if any, is ignored: only minted ones travel.
                stripped = self.headers.get(DEFAULT_HEADER) is not None
                try:
                    user = edge._authenticate(self.headers.get("Authorization"))
                except PassportError as error:
                    answer = problem_response(error, realm="demo-edge")
                    self._send(
                        answer.status,
                        {**answer.headers, "Content-Type": answer.content_type},
                        answer.content,
                    )
                    return
                try:
                    upstream = edge._forward(self.path[len("/api") :], user)
                except httpx.HTTPError:
                    self._send(502, {"Content-Type": "text/plain"}, b"upstream unavailable\n")
                    return
                headers = {
                    "Content-Type": upstream.headers.get("content-type", "application/json"),
                    "X-Edge-Stripped-Client-Passport": "yes" if stripped else "no",
                }
                www = upstream.headers.get("www-authenticate")
                if www:
                    headers["WWW-Authenticate"] = www
                self._send(upstream.status_code, headers, upstream.content)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the demo prints its own, token-free account."""

        return Handler
