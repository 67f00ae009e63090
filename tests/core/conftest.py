"""Core fixtures: keys, a minter and a verifier on a fixed clock, and a hand forger."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadSignature,
    ForbiddenHeader,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidType,
    IssuedInFuture,
    Key,
    KeyRing,
    LifetimeTooLong,
    MalformedToken,
    Minter,
    MissingClaim,
    MissingToken,
    Passport,
    PassportError,
    TokenExpired,
    TokenNotYetValid,
    TokenTooLarge,
    UnknownKey,
    UnsupportedCritical,
    Verifier,
    generate_key,
)
from passport_core.token.encoding import b64url_encode

ISSUER = "https://edge.test"
AUDIENCE = "orders"
NOW = 1_800_000_000.0

Forge = Callable[..., str]


@pytest.fixture
def now() -> float:
    return NOW


@pytest.fixture
def clock() -> Callable[[], float]:
    return lambda: NOW


@pytest.fixture(scope="session")
def ed_key() -> Key:
    return generate_key("EdDSA", kid="ed-1")


@pytest.fixture
def ring(ed_key: Key) -> KeyRing:
    return KeyRing(ed_key)


@pytest.fixture
def minter(ring: KeyRing, clock: Callable[[], float]) -> Minter:
    return Minter(ring, issuer=ISSUER, clock=clock)


@pytest.fixture
def verifier(ring: KeyRing, clock: Callable[[], float]) -> Verifier:
    return Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=clock)


def good_claims(**overrides: Any) -> dict[str, Any]:
    """Claims that verify at NOW; override or drop (value ``...``) any of them."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 300,
        "jti": "jti-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def good_header(key: Key, **overrides: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": key.alg, "typ": "passport+jwt", "kid": key.kid}
    header.update(overrides)
    return {k: v for k, v in header.items() if v is not ...}


def _segment(part: dict[str, Any] | bytes | str) -> str:
    if isinstance(part, str):
        return part  # already encoded, used verbatim
    raw = part if isinstance(part, bytes) else json.dumps(part).encode()
    return b64url_encode(raw)


def forge_token(
    header: dict[str, Any] | bytes | str,
    payload: dict[str, Any] | bytes | str,
    key: Key | None = None,
    signature: bytes | str | None = None,
) -> str:
    """Build a compact JWS by hand, without the library's minter.

    ``header``/``payload`` may be dicts (JSON-encoded), raw bytes (encoded as
    given) or strings (used verbatim as the segment). With ``key`` the token is
    signed; ``signature`` overrides the signature (bytes, or a verbatim string).
    """
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    if isinstance(signature, str):
        sig = signature
    elif signature is not None:
        sig = b64url_encode(signature)
    elif key is not None:
        sig = b64url_encode(key.sign(signing_input.encode("ascii")))
    else:
        sig = ""
    return f"{signing_input}.{sig}"


@pytest.fixture
def forge() -> Forge:
    return forge_token


# --- added for the key, minting, policy and passport tests ---------------------------------------

KeyOfAlg = Callable[[str], Key]
PassportFor = Callable[..., Passport]


@pytest.fixture(scope="session")
def key_of_alg() -> KeyOfAlg:
    """One generated private key per algorithm (default kid), cached: RSA keys are slow to make."""
    cache: dict[str, Key] = {}

    def get(alg: str) -> Key:
        if alg not in cache:
            cache[alg] = generate_key(alg)
        return cache[alg]

    return get


@pytest.fixture
def passport_for(minter: Minter, verifier: Verifier) -> PassportFor:
    """Mint a real passport for ``subject`` (keyword args go to ``mint``) and verify it."""

    def make(subject: str = "user-1", **mint_kwargs: Any) -> Passport:
        mint_kwargs.setdefault("audience", AUDIENCE)
        return verifier.verify(minter.mint(subject, **mint_kwargs))

    return make


# --- added for the verification, hostile-token, property and Wycheproof tests --------------------

#: every authentication error with its stable code, spelled out here so a renamed code fails a test
AUTH_CODES: dict[type[AuthenticationError], str] = {
    MissingToken: "missing_token",
    MalformedToken: "malformed_token",
    TokenTooLarge: "token_too_large",
    ForbiddenHeader: "forbidden_header",
    UnsupportedCritical: "unsupported_crit",
    InvalidType: "invalid_typ",
    AlgorithmNotAllowed: "algorithm_not_allowed",
    UnknownKey: "unknown_kid",
    BadSignature: "bad_signature",
    InvalidClaim: "invalid_claim",
    MissingClaim: "missing_claim",
    InvalidIssuer: "invalid_issuer",
    InvalidAudience: "invalid_audience",
    TokenExpired: "token_expired",
    TokenNotYetValid: "token_not_yet_valid",
    IssuedInFuture: "issued_in_future",
    LifetimeTooLong: "lifetime_too_long",
}


def check_rejection(
    exc: BaseException, error: type[AuthenticationError], token: object = None
) -> None:
    """``exc`` is exactly ``error`` (not a sibling or subclass), with its code and a 401."""
    assert type(exc) is error, f"got {type(exc).__name__}: {exc}"
    assert isinstance(exc, AuthenticationError)
    assert exc.code == AUTH_CODES[error]
    assert exc.status == 401
    if isinstance(token, str):
        # Tokens never appear in error messages: neither whole nor their signature segment.
        signature = token.rsplit(".", 1)[-1]
        for secret in (token, signature):
            assert len(secret) < 16 or secret not in exc.message


def assert_rejected(
    verifier: Verifier, token: object, error: type[AuthenticationError]
) -> AuthenticationError:
    """``verifier.verify(token)`` raises exactly ``error``, with its code and a 401."""
    with pytest.raises(PassportError) as info:
        verifier.verify(token)  # type: ignore[arg-type]  # hostile callers pass anything
    check_rejection(info.value, error, token)
    assert isinstance(info.value, AuthenticationError)
    return info.value


def verifier_for(key: Key, **options: Any) -> Verifier:
    """A verifier at NOW trusting ``key``: its public half, or the secret itself for HMAC."""
    options.setdefault("issuer", ISSUER)
    options.setdefault("audience", AUDIENCE)
    options.setdefault("clock", lambda: NOW)
    return Verifier(keys=key if key.is_symmetric else key.public(), **options)


@pytest.fixture(scope="session")
def session_verifier(ed_key: Key) -> Verifier:
    """The ``verifier`` fixture's twin for hypothesis tests (function fixtures do not mix)."""
    return Verifier(keys=[ed_key.public()], issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)


# --- added for the remote key source tests (test_remote_keys.py) ------------------------------
# This section was appended; its imports sit here rather than at the top of the file.

import collections  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


@dataclass
class Reply:
    """What the JWKS test server answers on one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (bounded: the handler thread then ends by itself)
    delay: float = 0.0
    #: send a Content-Length header (False: the body ends when the connection closes)
    length: bool = True
    #: the body is sent this many times over (a large response without a large buffer)
    repeat: int = 1
    #: seconds between single bytes of the body (a server that drips its answer)
    drip: float = 0.0
    #: sent as ETag; a request with a matching If-None-Match gets a bodiless 304
    etag: str | None = None

    @classmethod
    def json(cls, document: Any, **options: Any) -> Reply:
        headers = {"Content-Type": "application/json", **options.pop("headers", {})}
        return cls(body=json.dumps(document).encode(), headers=headers, **options)


class _JWKSHandler(BaseHTTPRequestHandler):
    server: _JWKSHTTPServer

    def do_GET(self) -> None:
        reply = self.server.owner.record(self.path, dict(self.headers.items()))
        time.sleep(reply.delay)
        try:
            if reply.etag is not None and self.headers.get("If-None-Match") == reply.etag:
                self.send_response(304)
                self.send_header("ETag", reply.etag)
                for name, value in reply.headers.items():
                    if name.lower() == "cache-control":
                        self.send_header(name, value)
                self.end_headers()
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.etag is not None:
                self.send_header("ETag", reply.etag)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body) * reply.repeat))
            self.end_headers()
            if reply.drip:
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip)
            else:
                for _ in range(reply.repeat):
                    self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap): what the tests expect

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class _JWKSHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: JWKSServer) -> None:
        super().__init__(("127.0.0.1", 0), _JWKSHandler)
        self.owner = owner


class JWKSServer:
    """A real HTTP server on 127.0.0.1 (ephemeral port) with settable replies and a hit count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[str, Reply] = {}
        self._hits: collections.Counter[str] = collections.Counter()
        #: (path, request headers with lower-cased names) of every request, in order
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._httpd = _JWKSHTTPServer(self)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        self._stopped = False

    def url(self, path: str = "/jwks.json") -> str:
        return self.base_url + path

    def set(self, path: str, reply: Reply) -> None:
        with self._lock:
            self._replies[path] = reply

    def set_jwks(self, jwks: Any, path: str = "/jwks.json", **options: Any) -> str:
        """Serve ``jwks`` (a dict, or anything with ``public_jwks()``) at ``path``; its URL."""
        document = jwks.public_jwks() if hasattr(jwks, "public_jwks") else jwks
        self.set(path, Reply.json(document, **options))
        return self.url(path)

    def record(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        with self._lock:
            self._hits[path] += 1
            self.requests.append((path, {k.lower(): v for k, v in (headers or {}).items()}))
            return self._replies.get(path, Reply(status=404, body=b"not found"))

    def hits(self, path: str | None = None) -> int:
        """Requests received on ``path``, or on any path."""
        with self._lock:
            return self._hits[path] if path is not None else sum(self._hits.values())

    def stop(self) -> None:
        """Close the port: later connections are refused."""
        if not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)


@pytest.fixture
def start_jwks_server() -> Iterator[Callable[[], JWKSServer]]:
    """Start as many JWKS servers as a test needs (each its own origin); all stop after it."""
    servers: list[JWKSServer] = []

    def start() -> JWKSServer:
        servers.append(JWKSServer())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def jwks_server(start_jwks_server: Callable[[], JWKSServer]) -> JWKSServer:
    return start_jwks_server()


class ManualClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


# --- a raw socket server that drips its headers, for the whole-exchange deadline tests ---


class DripServer:
    """A raw TCP server on 127.0.0.1 that answers each request one header byte at a time.

    It sends at most ``max_seconds`` worth of bytes, so a client that never gives up
    still ends; every connection thread stops when the server is stopped.
    """

    def __init__(self, interval: float = 0.05, max_seconds: float = 8.0) -> None:
        self._interval = interval
        self._max_seconds = max_seconds
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/jwks.json"
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _drip(self, conn: socket.socket) -> None:
        header = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"a" * 4096
        ends = time.monotonic() + self._max_seconds
        with conn:
            try:
                conn.settimeout(1.0)
                conn.recv(65536)
                for byte in header:
                    if self._stop.is_set() or time.monotonic() > ends:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(self._interval)
            except OSError:
                return  # the client gave up: what the tests expect

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._accepter.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def drip_server() -> Iterator[DripServer]:
    server = DripServer()
    yield server
    server.stop()


def rotate_now(ring: KeyRing, new: Key | None = None) -> Key:
    """An immediate rotation (prepare, then a forced promote): for tests of what follows it.

    Real deployments wait ``publish_delay`` in between; ``tests/core/test_rotation.py``
    tests the staged procedure itself.
    """
    ring.prepare(new)
    return ring.promote(force=True)


# --- added for the POST fetcher, introspection and HTTP enricher tests -------------------------

from tests.servers import Answer, AnswerRoute, RouteServer  # noqa: E402


@pytest.fixture
def start_route_server() -> Iterator[Callable[[AnswerRoute], RouteServer]]:
    """Start loopback servers answering through a route (GET and POST); all stop after the test."""
    servers: list[RouteServer] = []

    def start(route: AnswerRoute = lambda request: Answer(404)) -> RouteServer:
        servers.append(RouteServer(route))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
