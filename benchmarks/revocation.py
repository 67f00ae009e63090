"""Revocation benchmark: what a shared revocation list costs, and how fast it spreads.

Three tables, against a redis-server of its own on 127.0.0.1 (a free port):
the hot path (a warm and a cold verify with ``RedisRevocations`` against the same
verify without revocations, and ``check()`` alone); the propagation delay from
one writer to N subscribing stores (p50 / p99 over every revocation, until the
last subscriber holds it); and how many revocations per second one Redis takes
from one writer with N subscribers, until the last subscriber holds the last
one. The subscribers are threads of this process (one GIL); other processes
only lower the delay. ``python -m benchmarks revocation --help``.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from benchmarks.report import Results, interleaved_medians, micros, ratio, table
from passport_core import KeyRing, Minter, RedisRevocations, Revocation, Verifier

ISSUER = "https://edge.example"
BASE = "verify, no revocations"


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway redis-server on a free loopback port (None when it is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        command += ["--appendonly", "no", "--dir", directory]
        process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()  # the one we started
            process.wait(timeout=10)


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("a subscriber did not catch up within 10 s")
        time.sleep(0.0001)


def hot_path(url: str, *, rounds: int, number: int, results: Results) -> None:
    ring = KeyRing.generate("EdDSA")
    token = Minter(ring, issuer=ISSUER).mint("alice", audience="orders")
    store = RedisRevocations.from_url(url, prefix="bench:hot:")
    store.start()
    _wait(lambda: store.healthy)
    try:
        # a list that is not empty: every lookup reaches the dicts
        for index in range(1000):
            store.revoke(Revocation.passport(ISSUER, f"other-{index}", expires=time.time() + 600))
        plain = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience="orders")
        checked = Verifier(
            keys=ring.public_jwks(), issuer=ISSUER, audience="orders", revocations=store
        )
        plain_cold = Verifier(
            keys=ring.public_jwks(), issuer=ISSUER, audience="orders", cache_size=0
        )
        checked_cold = Verifier(
            keys=ring.public_jwks(),
            issuer=ISSUER,
            audience="orders",
            revocations=store,
            cache_size=0,
        )
        claims = dict(plain.verify(token).claims)
        funcs: dict[str, Callable[[], object]] = {
            BASE: lambda: plain.verify(token),
            "verify + RedisRevocations": lambda: checked.verify(token),
            "cold verify, no revocations": lambda: plain_cold.verify(token),
            "cold verify + RedisRevocations": lambda: checked_cold.verify(token),
            "check() alone": lambda: store.check(claims),
        }
        medians = interleaved_medians(funcs, rounds=rounds, number=number)
    finally:
        store.close()
    base = medians[BASE]
    cold = medians["cold verify, no revocations"]
    lines = []
    for name, seconds in medians.items():
        against = cold if name.startswith("cold") else base
        lines.append([name, micros(seconds, 2), ratio(seconds, against)])
        results.add("revocation", contender=name, us=seconds * 1e6, x_base=seconds / against)
    title = f"revocation hot path (EdDSA, 1000 entries), median of {rounds} rounds x {number}"
    print(table(title, ["path", "µs", "x same verify without revocations"], lines))


def _subscribers(url: str, prefix: str, count: int) -> list[RedisRevocations]:
    stores = [RedisRevocations.from_url(url, prefix=prefix) for _ in range(count)]
    for store in stores:
        store.start()
    for store in stores:
        _wait(lambda store=store: store.healthy)  # type: ignore[misc]
    return stores


def propagation(url: str, *, subscribers: int, revocations: int, results: Results) -> list[str]:
    prefix = f"bench:spread:{time.time_ns()}:"
    writer = RedisRevocations.from_url(url, prefix=prefix)
    readers = _subscribers(url, prefix, subscribers)
    delays: list[float] = []
    try:
        for index in range(revocations):
            claims = {"iss": ISSUER, "jti": f"spread-{index}"}
            entry = Revocation.passport(ISSUER, f"spread-{index}", expires=time.time() + 600)
            start = time.perf_counter()
            writer.revoke(entry)
            _wait(lambda claims=claims: all(r.list.revoked(claims) for r in readers))  # type: ignore[misc]
            delays.append(time.perf_counter() - start)
        # throughput: back to back, until the last subscriber holds the last one
        last = {"iss": ISSUER, "jti": f"burst-{revocations * 5 - 1}"}
        start = time.perf_counter()
        for index in range(revocations * 5):
            writer.revoke(Revocation.passport(ISSUER, f"burst-{index}", expires=time.time() + 600))
        _wait(lambda: all(r.list.revoked(last) for r in readers))
        elapsed = time.perf_counter() - start
    finally:
        writer.close()
        for reader in readers:
            reader.close()
    quantiles = statistics.quantiles(delays, n=100, method="inclusive")
    p50, p99 = statistics.median(delays), quantiles[98]
    per_second = revocations * 5 / elapsed
    results.add(
        "revocation",
        contender=f"propagation to {subscribers}",
        p50_ms=p50 * 1e3,
        p99_ms=p99 * 1e3,
        per_second=per_second,
    )
    return [
        str(subscribers),
        str(revocations),
        f"{p50 * 1e3:.2f}",
        f"{p99 * 1e3:.2f}",
        f"{per_second:,.0f}",
    ]


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the revocation benchmark; ``argv`` as on the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks revocation", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5 if quick else 11)
    parser.add_argument("--number", type=int, default=200 if quick else 2000)
    parser.add_argument("--revocations", type=int, default=50 if quick else 200)
    parser.add_argument(
        "--subscribers", type=int, nargs="+", default=[1, 4] if quick else [1, 4, 16]
    )
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    results.configure(
        "revocation", rounds=args.rounds, number=args.number, revocations=args.revocations
    )
    with redis_server() as url:
        if url is None:
            print("revocation benchmark skipped: redis-server is not installed")
            return
        hot_path(url, rounds=args.rounds, number=args.number, results=results)
        rows = [
            propagation(url, subscribers=count, revocations=args.revocations, results=results)
            for count in args.subscribers
        ]
    title = "revocation propagation, one writer to N subscribers (threads of one process)"
    header = ["N", "revocations", "p50 ms", "p99 ms", "revocations/s absorbed"]
    print(table(title, header, rows))
