"""JWKS storm: many concurrent verifications of tokens signed by a key published a moment ago.

A real JWKS endpoint on 127.0.0.1 (a threaded HTTP server here, counting its
requests) serves the issuer's public keys; a Verifier reads them through
``RemoteJWKS``. After the first fetch the issuer publishes a new key and signs
with it; then N verifications start at once, on threads and on one event loop
(``averify``). Every one of them finds an unknown ``kid``: the target is exactly
one JWKS fetch for the whole storm, and every token accepted.
``python -m benchmarks storm --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.report import Results, table
from benchmarks.sample import AUDIENCE, ISSUER, mint
from passport_core import Key, Minter, RemoteJWKS, Verifier, generate_key

#: seconds the whole storm may take before it is reported as stuck
_DEADLINE = 60.0


class JWKSServer:
    """A JWKS document on 127.0.0.1 that counts how often it is fetched."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.fetches = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.fetches += 1
                    body = json.dumps({"keys": [k.to_jwk() for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the benchmark prints its own table

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    def publish(self, key: Key) -> None:
        with self._lock:
            self.keys.append(key.public())

    @contextmanager
    def running(self) -> Iterator[JWKSServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)


def _tokens(key: Key, count: int) -> list[str]:
    minter = Minter(key, issuer=ISSUER)
    return [mint(minter, index) for index in range(count)]


def _threads(verifier: Verifier, tokens: Sequence[str]) -> tuple[int, float]:
    """Verify every token on its own thread, all released at once: (accepted, seconds)."""
    barrier = threading.Barrier(len(tokens) + 1)
    accepted: list[bool] = []

    def one(token: str) -> None:
        try:
            barrier.wait(timeout=_DEADLINE)
            verifier.verify(token)
        except Exception:  # noqa: BLE001 - a refusal is counted, not raised
            return
        accepted.append(True)  # list.append is atomic

    workers = [threading.Thread(target=one, args=(t,), daemon=True) for t in tokens]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=_DEADLINE)
    start = time.perf_counter()
    deadline = time.monotonic() + _DEADLINE
    for worker in workers:
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
    return len(accepted), time.perf_counter() - start


def _event_loop(verifier: Verifier, tokens: Sequence[str]) -> tuple[int, float]:
    """Verify every token as one task on one event loop: (accepted, seconds)."""

    async def storm() -> tuple[int, float]:
        start = time.perf_counter()
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(verifier.averify(t) for t in tokens), return_exceptions=True),
            timeout=_DEADLINE,
        )
        seconds = time.perf_counter() - start
        return sum(not isinstance(o, BaseException) for o in outcomes), seconds

    return asyncio.run(storm())


def storm(mode: str, count: int, alg: str) -> dict[str, Any]:
    """One storm on a fresh key server and verifier; its figures."""
    server = JWKSServer()
    first = generate_key(alg)
    server.publish(first)
    with server.running():
        verifier = Verifier(
            keys=RemoteJWKS(server.url, timeout=5.0), issuer=ISSUER, audience=AUDIENCE
        )
        verifier.verify(_tokens(first, 1)[0])  # the first fetch: the verifier is serving
        initial = server.fetches
        new = generate_key(alg)
        server.publish(new)  # a rotation: the issuer signs with a key published just now
        tokens = _tokens(new, count)
        run = _threads if mode == "threads" else _event_loop
        accepted, seconds = run(verifier, tokens)
        return {
            "mode": mode,
            "alg": alg,
            "verifications": count,
            "accepted": accepted,
            "initial_fetches": initial,
            "storm_fetches": server.fetches - initial,
            "wall_ms": seconds * 1e3,
        }


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the JWKS storm; ``argv`` as on the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks storm", description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="concurrent verifications")
    parser.add_argument("--alg", choices=["EdDSA", "ES256", "RS256"], default="EdDSA")
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    results.configure("storm", count=args.count, alg=args.alg)
    lines = []
    for mode in ("threads", "asyncio"):
        figures = storm(mode, args.count, args.alg)
        results.add("storm", **figures)
        lines.append(
            [
                f"{mode} ({'averify' if mode == 'asyncio' else 'verify'})",
                str(figures["verifications"]),
                str(figures["accepted"]),
                str(figures["storm_fetches"]),
                f"{figures['wall_ms']:.0f}",
            ]
        )
    title = f"JWKS storm: {args.count} concurrent verifications, new kid ({args.alg})"
    header = ["mode", "verifications", "accepted", "JWKS fetches (target 1)", "wall ms"]
    print(table(title, header, lines))
