"""``python -m benchmarks [verify|edge] [options]``: both benchmarks, or the one named.

Options after a benchmark's name are its own (``python -m benchmarks edge --help``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from benchmarks import edge, verify
from benchmarks import servers as servers_benchmark

BENCHMARKS: dict[str, Callable[[Sequence[str] | None], None]] = {
    "verify": verify.main,
    "edge": edge.main,
    "servers": servers_benchmark.main,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in BENCHMARKS:
        BENCHMARKS[args[0]](args[1:])
        return
    if args and args[0] in {"-h", "--help"}:
        print(__doc__)
        return
    if args:
        raise SystemExit(f"unknown benchmark {args[0]!r}: choose from {', '.join(BENCHMARKS)}")
    for index, run in enumerate(BENCHMARKS.values()):
        if index:
            print()
        run([])


if __name__ == "__main__":
    main()
