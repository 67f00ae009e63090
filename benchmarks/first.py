"""First-request benchmark: the first verify in a fresh process, with and without warm-up.

Each sample is a new Python process that builds a verifier from a public JWKS
(as a service does at start-up), optionally calls ``Verifier.warm_up()``, then
times its first verify and its second (a cache hit). The start-up cost moves
into ``warm_up`` so the first user does not pay it.
``python -m benchmarks first --help``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.report import Results, table

ALGORITHMS = ("EdDSA", "ES256", "RS256")
ROOT = Path(__file__).resolve().parent.parent

#: what each fresh process runs: argv = alg, "warm" or "cold"
_PROGRAM = """
import json, sys, time
from benchmarks.sample import make_sample
sample = make_sample(sys.argv[1])
verifier = sample.verifier()
start = time.perf_counter()
if sys.argv[2] == "warm":
    verifier.warm_up()
warm_up = time.perf_counter() - start
start = time.perf_counter()
verifier.verify(sample.token)
first = time.perf_counter() - start
start = time.perf_counter()
verifier.verify(sample.token)
second = time.perf_counter() - start
print(json.dumps({"warm_up": warm_up, "first": first, "second": second}))
"""


def _sample(alg: str, mode: str) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", _PROGRAM, alg, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(alg: str, runs: int) -> dict[str, dict[str, float]]:
    """Median seconds of warm-up, first and second verify, without and with warm-up."""
    out: dict[str, dict[str, float]] = {}
    for mode in ("cold", "warm"):
        samples = [_sample(alg, mode) for _ in range(runs)]
        out[mode] = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    return out


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the first-request benchmark; ``argv`` as on the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks first", description=__doc__)
    parser.add_argument("--runs", type=int, default=3 if quick else 7, help="processes per row")
    parser.add_argument("--algs", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS))
    args = parser.parse_args(argv)
    rows = []
    for alg in args.algs:
        figures = measure(alg, args.runs)
        for mode, label in (("cold", "no warm-up"), ("warm", "warm_up() at start-up")):
            f = figures[mode]
            rows.append(
                [
                    alg,
                    label,
                    f"{f['warm_up'] * 1e3:.2f}",
                    f"{f['first'] * 1e3:.3f}",
                    f"{f['second'] * 1e3:.4f}",
                ]
            )
            if results is not None:
                results.add("first", alg=alg, mode=mode, **{k: v * 1e3 for k, v in f.items()})
    if results is not None:
        results.configure("first", runs=args.runs, unit="ms")
    print(
        table(
            f"first verify in a fresh process, ms, median of {args.runs} processes",
            ["alg", "start-up", "warm_up() ms", "first verify ms", "second (cache hit) ms"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
