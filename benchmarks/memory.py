"""Memory benchmark: resident memory after verifying N distinct valid passports.

The verified-token cache is bounded in entries and in bytes; this shows the
bound holds in practice. HS256 keeps minting cheap; tokens are minted in
batches and dropped, so only what the verifier keeps stays resident. Reports
the growth of resident memory (RSS) and the cache's entry count.
``python -m benchmarks memory --help``.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import Results, table
from benchmarks.sample import make_sample
from passport_core import Verifier

_MB = 1024 * 1024
_BATCH = 10_000


def rss_bytes() -> int:
    """This process's resident memory now (psutil, else /proc, else the peak)."""
    try:
        import psutil  # noqa: PLC0415 - optional

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        pass
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def cache_entries(verifier: Verifier) -> int:
    """How many verified tokens ``verifier`` holds."""
    return len(verifier.cache)


def cache_bounds(verifier: Verifier) -> dict[str, Any]:
    """The verifier's cache bounds and the bytes it estimates it holds."""
    cache = verifier.cache
    return {
        "cache_size": cache.max_entries,
        "cache_max_bytes": cache.max_bytes,
        "cache_bytes": cache.held_bytes,
    }


def measure(count: int, alg: str = "HS256") -> dict[str, Any]:
    """Verify ``count`` distinct passports with the default cache bounds; the figures."""
    sample = make_sample(alg)
    verifier = sample.verifier()
    verifier.verify(sample.token)  # imports, keys and first-call costs before the baseline
    # One batch minted and dropped first: the allocator's arenas for a batch of tokens
    # are then part of the baseline, and the growth is what the verifier keeps.
    warm_up = [sample.mint(i) for i in range(min(_BATCH, count))]
    del warm_up
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    done = 0
    token_bytes = 0
    while done < count:
        batch = [sample.mint(done + i) for i in range(min(_BATCH, count - done))]
        for token in batch:
            verifier.verify(token)
        token_bytes += sum(map(len, batch))
        done += len(batch)
        del batch
    seconds = time.perf_counter() - start
    gc.collect()
    after = rss_bytes()
    return {
        "alg": alg,
        "tokens": count,
        "mean_token_bytes": token_bytes / max(1, count),
        "rss_before_mb": before / _MB,
        "rss_after_mb": after / _MB,
        "rss_growth_mb": (after - before) / _MB,
        "cache_entries": cache_entries(verifier),
        "cache_bounds": cache_bounds(verifier),
        "seconds": seconds,
    }


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the memory benchmark; ``argv`` as on the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory", description=__doc__)
    parser.add_argument(
        "--tokens", type=int, default=20_000 if quick else 1_000_000, help="distinct passports"
    )
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    figures = measure(args.tokens)
    results.configure("memory", tokens=args.tokens)
    results.add("memory", **figures)
    bounds = ", ".join(f"{k}={v}" for k, v in figures["cache_bounds"].items()) or "no cache"
    entries = figures["cache_entries"]
    row = [
        f"{figures['tokens']:,}",
        f"{figures['mean_token_bytes']:.0f}",
        f"{figures['rss_before_mb']:.1f}",
        f"{figures['rss_after_mb']:.1f}",
        f"{figures['rss_growth_mb']:+.1f}",
        "n/a" if entries is None else f"{entries:,}",
        bounds,
        f"{figures['seconds']:.1f}",
    ]
    header = ["tokens", "bytes each", "RSS before MB", "after MB", "growth MB", "cache entries",
              "cache bounds", "seconds"]  # fmt: skip
    title = f"memory: verifying distinct {figures['alg']} passports, default cache bounds"
    print(table(title, header, [row]))
