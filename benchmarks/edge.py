"""Edge benchmark: the cached mint, an uncached mint with concurrent enrichers, and the
minter against the raw signature.

How to read it. The machine is shared and noisy, so every figure comes with a
floor measured in the same run:

* ``cached mint`` is :meth:`Edge.mint` for a credential whose passport is in the
  mint cache: read the credential, hash it, one LRU lookup. Its floor is what
  any cache of that kind pays, a ``dict`` lookup keyed by the SHA-256 of the
  credential; the target is a few microseconds and a small multiple of the floor.
* ``uncached mint`` runs N enrichers that each sleep ``d`` ms, sync (threads) and
  async (the event loop), with the cache off. Enrichers run concurrently, so the
  target is about the slowest enricher plus one signature: the ratio
  ``total / (d + one mint)`` stays near 1 as N grows (1, 4, 16).
* ``mint`` is :meth:`Minter.mint` against the raw signature of the same payload
  with ``cryptography``: what building and encoding the claims adds.

Run with ``nox -s bench`` or ``python -m benchmarks edge``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
from collections.abc import Callable, Sequence

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Edge,
    EdgeRequest,
    FunctionEnricher,
    Identity,
    KeyRing,
    Minter,
    api_key_digest,
)

ISSUER = "https://edge.bench"
API_KEY = "ak_bench_0123456789abcdef0123456789"


def _timeit(func: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def _median(func: Callable[[], object], rounds: int, number: int) -> float:
    func()  # warm up, and prove it works
    return statistics.median(_timeit(func, number) for _ in range(rounds))


def _edge(minter: Minter, enrichers: Sequence[FunctionEnricher] = (), **options: object) -> Edge:
    stored = APIKey(api_key_digest(API_KEY), "user-42")
    keys = {stored.digest: stored}
    return Edge(
        minter,
        authenticators=[APIKeyAuthenticator(keys.get)],
        enrichers=enrichers,
        audiences=["orders"],
        **options,  # type: ignore[arg-type]
    )


def _sleepers(count: int, seconds: float, kind: str) -> list[FunctionEnricher]:
    def make(index: int) -> FunctionEnricher:
        data = {"roles": [f"role-{index}"]}
        if kind == "sync":

            def sync_enrich(identity: Identity) -> dict[str, list[str]]:
                time.sleep(seconds)
                return data

            return FunctionEnricher(sync_enrich, name=f"e{index}")

        async def async_enrich(identity: Identity) -> dict[str, list[str]]:
            await asyncio.sleep(seconds)
            return data

        return FunctionEnricher(async_enrich, name=f"e{index}")

    return [make(i) for i in range(count)]


def _cached(minter: Minter, rounds: int, number: int) -> None:
    edge = _edge(minter)
    request = EdgeRequest.from_headers({"X-API-Key": API_KEY})
    table = {hashlib.sha256(API_KEY.encode()).digest(): "token"}

    def floor() -> object:
        return table.get(hashlib.sha256(API_KEY.encode()).digest())

    def cached() -> object:
        return edge.mint(request)

    edge.mint(request)
    assert edge.mint(request).cached
    base = _median(floor, rounds, number)
    ours = _median(cached, rounds, number)
    print(f"cached mint, median of {rounds} rounds x {number}")
    print(f"  {'dict lookup + sha256 (floor)':<36} {base * 1e6:8.2f} us")
    print(f"  {'Edge.mint, cache hit':<36} {ours * 1e6:8.2f} us   x{ours / base:5.2f} of floor")


def _mint(minter: Minter, rounds: int, number: int) -> float:
    key = minter.key_ring.active
    token = minter.mint("user-42", audience="orders", roles=["staff"], tenant="acme")
    signing_input = token.rsplit(".", 1)[0].encode("ascii")

    def raw() -> object:
        return key.sign(signing_input)

    def ours() -> object:
        return minter.mint("user-42", audience="orders", roles=["staff"], tenant="acme")

    floor = _median(raw, rounds, number)
    mint = _median(ours, rounds, number)
    print(f"mint one passport ({key.alg}), median of {rounds} rounds x {number}")
    print(f"  {'Key.sign (raw signature only)':<36} {floor * 1e6:8.1f} us")
    print(f"  {'Minter.mint':<36} {mint * 1e6:8.1f} us   x{mint / floor:5.2f} of raw")
    return mint


def _uncached(
    minter: Minter, one_mint: float, delay: float, counts: Sequence[int], rounds: int
) -> None:
    request = EdgeRequest.from_headers({"X-API-Key": API_KEY})
    floor = delay + one_mint
    print(
        f"uncached mint, N enrichers sleeping {delay * 1e3:g} ms each, median of {rounds}; "
        f"target x1 = slowest enricher + one mint ({floor * 1e3:.2f} ms)"
    )
    for kind in ("sync", "async"):
        for count in counts:
            edge = _edge(minter, _sleepers(count, delay, kind), use_cache=False)
            if kind == "sync":

                def run(edge: Edge = edge) -> object:
                    return edge.mint(request)

                total = _median(run, rounds, 1)
            else:

                async def arun(edge: Edge = edge) -> float:
                    await edge.amint(request)  # warm up, and prove it works
                    samples = []
                    for _ in range(rounds):
                        start = time.perf_counter()
                        await edge.amint(request)
                        samples.append(time.perf_counter() - start)
                    return statistics.median(samples)

                total = asyncio.run(arun())
            label = f"{kind}, N={count}"
            print(f"  {label:<36} {total * 1e3:8.2f} ms   x{total / floor:5.2f} of target")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the edge benchmark; ``argv`` as on the command line (default: ``sys.argv``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks edge", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000, help="calls per round (fast paths)")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="each enricher's sleep")
    parser.add_argument("--enrichers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--alg", choices=["EdDSA", "ES256"], default="EdDSA")
    args = parser.parse_args(argv)
    minter = Minter(KeyRing.generate(args.alg), issuer=ISSUER)
    _cached(minter, args.rounds, args.number)
    one_mint = _mint(minter, args.rounds, max(1, args.number // 20))
    _uncached(minter, one_mint, args.delay_ms / 1e3, args.enrichers, args.rounds)


if __name__ == "__main__":
    main()
