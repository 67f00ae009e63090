"""``python -m benchmarks [--quick] [--json PATH] [--plot PATH] [NAME [options]]``

Without NAME, every benchmark in turn (``--quick``: small counts, under two
minutes); with NAME, that one, and the options after it are its own
(``python -m benchmarks verify --help``). ``--json PATH`` writes every figure
with the machine and every library's version; ``--plot PATH.png`` draws µs per
verify and per mint, by algorithm and library (needs matplotlib);
``--markdown PATH`` puts the tables into PATH between its "results" markers
(``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import (
    adapters,
    dpop,
    edge,
    first,
    memory,
    mint,
    revocation,
    servers,
    storm,
    verify,
)
from benchmarks.report import Results, plot, splice

Benchmark = Callable[..., None]

#: the edge benchmark predates --quick: these are its small counts
_EDGE_QUICK = ["--rounds", "3", "--number", "2000", "--delay-ms", "5", "--enrichers", "1", "4"]


def _edge(argv: Sequence[str], *, results: Results, quick: bool) -> None:
    edge.main(list(argv) or (_EDGE_QUICK if quick else []))


def benchmarks() -> dict[str, Benchmark]:
    """Every benchmark by name, in the order a full run takes them."""
    found: dict[str, Benchmark] = {
        "verify": verify.main,
        "mint": mint.main,
        "dpop": dpop.main,
        "revocation": revocation.main,
        "storm": storm.main,
        "memory": memory.main,
        "first": first.main,
        "edge": _edge,
        "adapters": adapters.main,
        "servers": servers.main,
    }
    return found


def _options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--plot", metavar="PATH")
    parser.add_argument("--markdown", metavar="PATH")
    return parser


class _Tee(io.StringIO):
    """Keeps what a benchmark prints and prints it still."""

    def __init__(self, out: io.TextIOBase | Any) -> None:
        super().__init__()
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(text)
        return super().write(text)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    registry = benchmarks()
    named = next((i for i, arg in enumerate(args) if arg in registry), None)
    head, name, rest = (args, None, []) if named is None else (
        args[:named], args[named], args[named + 1 :]
    )  # fmt: skip
    if any(arg in {"-h", "--help"} for arg in head):
        print(__doc__)
        print("benchmarks:", ", ".join(registry))
        return
    options, unknown = _options().parse_known_args(head)
    if unknown:
        raise SystemExit(f"unknown benchmark {unknown[0]!r}: choose from {', '.join(registry)}")
    # --quick/--json/--plot may also follow NAME; everything else there is the benchmark's own
    extra, rest = _options().parse_known_args(rest)
    quick = options.quick or extra.quick
    json_path, plot_path = options.json or extra.json, options.plot or extra.plot
    markdown_path = options.markdown or extra.markdown
    results = Results()
    chosen: dict[str, Any] = registry if name is None else {name: registry[name]}
    sections = []
    for index, run in enumerate(chosen.values()):
        if index:
            print()
        tee = _Tee(sys.stdout)
        with contextlib.redirect_stdout(tee):
            run(rest, results=results, quick=quick)
        sections.append(tee.getvalue())
    if markdown_path:
        splice(markdown_path, sections)
        print(f"tables written to {markdown_path}")
    if json_path:
        results.write_json(json_path)
        print(f"figures written to {json_path}")
    if plot_path:
        if plot(results, plot_path):
            print(f"plot written to {plot_path}")
        else:
            print("no plot: matplotlib is not installed, or no verify/mint figures")


if __name__ == "__main__":
    main()
