"""What every benchmark shares: interleaved median timing, tables, the JSON file, the plot.

The machine is shared and noisy, so a figure means something only beside its
references measured in the same run: contenders are timed round by round (each
round times every contender once, in a rotating order), and each figure is the
median of its rounds.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: distributions whose versions the JSON file records (those installed)
DISTRIBUTIONS = (
    "service-passport",
    "cryptography",
    "joserfc",
    "orjson",
    "pynacl",
    "pyjwt",
    "authlib",
    "python-jose",
    "jwcrypto",
    "oxyjwt",
    "ryjwt",
    "psutil",
    "matplotlib",
)


def time_once(func: Callable[[], object], number: int) -> float:
    """Seconds per call of ``func``, over ``number`` calls."""
    clock = time.perf_counter
    start = clock()
    for _ in range(number):
        func()
    return (clock() - start) / number


def interleaved_medians(
    funcs: Mapping[str, Callable[[], object]], *, rounds: int, number: int
) -> dict[str, float]:
    """Median seconds per call of each function, timed round by round, interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    order = list(funcs)
    for _ in range(max(1, rounds)):
        for name in order:
            samples[name].append(time_once(funcs[name], max(1, number)))
        order = order[1:] + order[:1]  # nobody always runs right after a warm-up
    return {name: statistics.median(values) for name, values in samples.items()}


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return ""
    return f"{value / base:.2f}"


def micros(seconds: float | None, digits: int = 1) -> str:
    return "" if seconds is None else f"{seconds * 1e6:.{digits}f}"


def table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (what ``docs/benchmarks.md`` embeds), its title above it."""
    body = [list(row) for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *body, strict=False)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            f"{cell:<{width}}" if index == 0 else f"{cell:>{width}}"
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(
        "-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)
    )
    return "\n".join([f"**{title}**", "", line(header), rule + " |", *map(line, body), ""])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, str]:
    """The installed version of every library the benchmarks may use."""
    found: dict[str, str] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    if "service-passport" not in found:  # run from a checkout, not installed
        import passport_core  # noqa: PLC0415

        found = {"service-passport": f"{passport_core.__version__} (checkout)", **found}
    return found


def machine() -> dict[str, Any]:
    """The machine and interpreter every figure was measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
    }


class Results:
    """Every figure of a run, by benchmark, for ``--json`` and ``--plot``."""

    def __init__(self) -> None:
        self.benchmarks: dict[str, list[dict[str, Any]]] = {}
        self.settings: dict[str, dict[str, Any]] = {}

    def add(self, benchmark: str, **figure: Any) -> None:
        self.benchmarks.setdefault(benchmark, []).append(figure)

    def configure(self, benchmark: str, **settings: Any) -> None:
        self.settings[benchmark] = settings

    def document(self) -> dict[str, Any]:
        return {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            "versions": versions(),
            "settings": self.settings,
            "benchmarks": self.benchmarks,
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.document(), indent=2) + "\n")


def _in_row_order(figures: Sequence[dict[str, Any]]) -> list[str]:
    """Contenders in their table order: the longest table's, then any it lacks."""
    by_alg: dict[str, list[str]] = {}
    for figure in figures:
        by_alg.setdefault(figure["alg"], []).append(figure["contender"])
    rows = sorted(by_alg.values(), key=len, reverse=True)
    return list(dict.fromkeys(name for names in rows for name in names))


def plot(results: Results, path: str | os.PathLike[str]) -> bool:
    """Draw µs per verify (and per mint) by algorithm and library; False without matplotlib."""
    with warnings.catch_warnings():
        # Older matplotlib releases call pyparsing names newer pyparsing deprecates: their
        # noise, not ours, and it would turn into errors under pytest's warning filter.
        warnings.simplefilter("ignore", DeprecationWarning)
        return _draw(results, path)


def _draw(results: Results, path: str | os.PathLike[str]) -> bool:
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional

        mpl.use("Agg")  # no display: write the file only
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    panels = [
        (name, results.benchmarks[name])
        for name in ("verify", "mint")
        if any(f.get("us") for f in results.benchmarks.get(name, []))
    ]
    servers = results.benchmarks.get("servers", [])
    if not panels and not servers:
        return False
    count = len(panels) + (1 if servers else 0)
    fig, axes = plt.subplots(count, 1, figsize=(12, 5.5 * count), squeeze=False)
    if servers:
        _draw_servers(axes[-1, 0], servers, plt.get_cmap("tab10"))
    for ax, (name, figures) in zip(axes[:, 0], panels, strict=False):
        algs = list(dict.fromkeys(f["alg"] for f in figures))
        by_cell = {(f["alg"], f["contender"]): f["us"] for f in figures if f.get("us")}
        contenders = [c for c in _in_row_order(figures) if any(k[1] == c for k in by_cell)]
        width = 0.8 / len(contenders)
        cmap = plt.get_cmap("tab20")
        for index, contender in enumerate(contenders):
            xs = [a + (index - (len(contenders) - 1) / 2) * width for a in range(len(algs))]
            heights = [by_cell.get((alg, contender), 0.0) for alg in algs]
            ours = contender.startswith("service-passport")
            ax.bar(
                xs,
                heights,
                width,
                label=contender,
                color=cmap(index % 20),
                edgecolor="black" if ours else None,
                linewidth=1.2 if ours else 0,
            )
        ax.set_yscale("log")
        ax.set_xticks(range(len(algs)), algs)
        ax.set_ylabel(f"µs per {name} (log scale)")
        ax.set_title(f"{name}: µs per call, median of rounds, one run (lower is better)")
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize="small", ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    info = machine()
    fig.suptitle(
        f"service-passport benchmarks: {info['cpu']}, {info['cores']} cores, {info['python']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _draw_servers(ax: Any, figures: Sequence[dict[str, Any]], cmap: Any) -> None:
    """req/s per framework setup and route (wrk against a real server), grouped bars."""
    setups = list(dict.fromkeys(f["setup"] for f in figures))
    routes = list(dict.fromkeys(f["title"] for f in figures))
    rate = {(f["setup"], f["title"]): f["requests_per_s"] for f in figures}
    width = 0.8 / len(routes)
    for index, route in enumerate(routes):
        xs = [i + (index - (len(routes) - 1) / 2) * width for i in range(len(setups))]
        ax.bar(
            xs,
            [rate.get((s, route), 0.0) for s in setups],
            width,
            label=route,
            color=cmap(index % 10),
        )
    ax.set_xticks(range(len(setups)), setups)
    ax.set_ylabel("requests per second")
    ax.set_title("real servers under wrk: req/s per route, median of repeats (higher is better)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


#: the generated part of docs/benchmarks.md lies between these lines
RESULTS_START = "<!-- results: generated by python -m benchmarks --markdown; do not edit -->"
RESULTS_END = "<!-- results: end -->"


def as_markdown(section: str) -> str:
    """A benchmark's printed output for Markdown: its tables as they are, other text fenced."""
    if "\n| " in f"\n{section}":
        return section.strip() + "\n"
    return f"```text\n{section.strip()}\n```\n"


def machine_markdown() -> str:
    """The machine and every library's version, as a Markdown list."""
    info = machine()
    libs = ", ".join(f"{name} {version}" for name, version in versions().items())
    return (
        f"- measured {time.strftime('%Y-%m-%d', time.gmtime())} on {info['cpu']}, "
        f"{info['cores']} cores, {info['system']}\n"
        f"- {info['python']}\n- {libs}\n"
    )


def splice(path: str | os.PathLike[str], sections: Sequence[str]) -> None:
    """Replace the generated part of ``path`` (between the markers) with ``sections``."""
    target = Path(path)
    text = target.read_text() if target.exists() else f"{RESULTS_START}\n{RESULTS_END}\n"
    before, marker, rest = text.partition(RESULTS_START)
    if not marker or RESULTS_END not in rest:
        raise SystemExit(f"{path} has no {RESULTS_START!r} ... {RESULTS_END!r} markers")
    after = rest.split(RESULTS_END, 1)[1]
    body = "\n".join([machine_markdown(), *map(as_markdown, sections)])
    target.write_text(f"{before}{RESULTS_START}\n\n{body}\n{RESULTS_END}{after}")
