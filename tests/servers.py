"""Real HTTP servers on 127.0.0.1 for tests: bounded, in a thread, stopped by the fixture."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


@dataclass
class RunningServer:
    """A server's base URL and every request it received (path and headers)."""

    url: str
    port: int
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def echo(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    """Answer with the request's headers as JSON (lower-cased names)."""
    body = json.dumps({k.lower(): v for k, v in handler.headers.items()}).encode()
    return 200, {"Content-Type": "application/json"}, body


@contextmanager
def serve(route: Route = echo) -> Iterator[RunningServer]:
    """Run ``route`` for every GET on 127.0.0.1 (ephemeral port) for the ``with`` block."""
    received: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = route(self)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with in_thread(server) as url:
        yield RunningServer(url, int(server.server_address[1]), received)


@contextmanager
def in_thread(server: socketserver.BaseServer) -> Iterator[str]:
    """Run a bound stdlib/werkzeug/wsgiref server in a thread; shut it down after the block."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the server thread did not stop"


@contextmanager
def asgi_server(app: Any, *, lifespan: str = "off", **options: Any) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn on 127.0.0.1 (ephemeral port) in a thread
    (``lifespan="on"`` runs the app's startup and shutdown; ``options`` go to uvicorn)."""
    # loop="asyncio": "auto" would install uvloop's event-loop policy for the whole test
    # process (uvicorn < 0.30 sets it globally), and later tests' asyncio.run would then
    # resolve names through libuv, past the fixtures that map *.test to loopback.
    options.setdefault("loop", "asyncio")
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan=lifespan, ws="none", log_config=None, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not stop"


# -- a server for any method, answering through a route function -------------------------------


@dataclass
class Received:
    """One request a :class:`RouteServer` received: lower-cased header names, raw body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What a route answers: status, headers, body, and how (slowly, hugely) it is sent."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (the handler thread then ends by itself)
    delay: float = 0.0
    #: the body is sent this many times over (a large response without a large buffer)
    repeat: int = 1

    @classmethod
    def json(cls, document: Any, **options: Any) -> Answer:
        headers = {"Content-Type": "application/json", **options.pop("headers", {})}
        return cls(body=json.dumps(document).encode(), headers=headers, **options)


AnswerRoute = Callable[[Received], Answer]


class _RouteHandler(BaseHTTPRequestHandler):
    server: _RouteHTTPServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            self.rfile.read(length) if length else b"",
        )
        with self.server.lock:
            self.server.received.append(request)
        answer = self.server.route(request)
        time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body) * answer.repeat))
            self.end_headers()
            for _ in range(answer.repeat):
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap): what the tests expect

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class _RouteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, route: AnswerRoute) -> None:
        super().__init__(("127.0.0.1", 0), _RouteHandler)
        self.route = route
        self.received: list[Received] = []
        self.lock = threading.Lock()


class RouteServer:
    """A real HTTP server on 127.0.0.1 (GET and POST) answering through a settable route."""

    def __init__(self, route: AnswerRoute) -> None:
        self._httpd = _RouteHTTPServer(route)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def route(self) -> AnswerRoute:
        return self._httpd.route

    @route.setter
    def route(self, route: AnswerRoute) -> None:
        self._httpd.route = route

    @property
    def received(self) -> list[Received]:
        with self._httpd.lock:
            return list(self._httpd.received)

    def hits(self, path_prefix: str = "/") -> int:
        return sum(1 for r in self.received if r.path.startswith(path_prefix))

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the server thread did not stop"


def refused_url(path: str = "/jwks.json") -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
