"""Real servers under ``wrk``: what the adapters cost per request, as req/s and ratios.

For each framework setup (FastAPI under uvicorn h11, and httptools + uvloop; Flask and
Django under gunicorn, sync, one worker) three real server processes run on 127.0.0.1:
the framework alone, the adapter installed, and the adapter with the verifier's cache off.
``wrk`` (one thread per core) then measures, interleaved over ``--repeats`` rounds:

* (a) the same three routes in the app without the adapter, declared in the same order
  but open: each ratio is taken to the same route without auth, since routing costs
  differ by a route's place (Django and FastAPI match their URL lists in order);
* (b) ``/protected``, warm: the same valid passport on every request;
* (c) ``/protected``, cold: a Lua script cycles through many distinct passports, the cache off;
* (d) ``/hello`` in the app where the adapter is installed (the route never asks for one);
* (e) ``/group/protected``, warm: protected by group instead of per route (FastAPI's
  ``PassportRoute`` route class, which verifies before FastAPI's dependency solver runs;
  Flask's ``protect`` on a blueprint; Django's ``protect_urls``).

Every request carries a passport of the same size, as in a service mesh where each hop
forwards one, so the requests differ only in what the adapter does with it.

Every response must be a 200: wrk's Lua hooks count the others, and one of them (or a
socket error) fails the run. Keys are a local JWKS file (no network). Every server is
stopped by its PID, also on error. Run with ``python -m benchmarks servers``.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Results
from passport_core import KeyRing, Minter, PassportConfig

ISSUER = "https://edge.bench"
AUDIENCE = "orders"
HEADER = "X-Passport"
ROOT = Path(__file__).resolve().parent.parent

#: what each setup runs; ``{port}`` and ``{module}`` are filled in
_UVICORN = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}"]
_UVICORN += ["--no-access-log", "--log-level", "warning", "--lifespan", "on"]
_GUNICORN = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers", "1"]
_GUNICORN += ["--worker-class", "sync", "--log-level", "warning"]


@dataclass(frozen=True)
class Setup:
    """One framework under one server."""

    name: str
    command: tuple[str, ...]


SETUPS = {
    setup.name: setup
    for setup in (
        Setup(
            "fastapi-h11",
            (*_UVICORN, "--http", "h11", "--loop", "asyncio", "benchmarks.apps.fastapi_app:app"),
        ),
        Setup(
            "fastapi-httptools",
            (
                *_UVICORN,
                "--http",
                "httptools",
                "--loop",
                "uvloop",
                "benchmarks.apps.fastapi_app:app",
            ),
        ),
        Setup("flask-gunicorn", (*_GUNICORN, "benchmarks.apps.flask_app:app")),
        Setup("django-gunicorn", (*_GUNICORN, "benchmarks.apps.django_app:application")),
    )
}


@dataclass(frozen=True)
class Route:
    """One measured column: which server variant, which path, which passports."""

    key: str
    title: str
    variant: str
    path: str
    tokens: str | None  # "warm": one passport; "cold": the whole set; None: no passport
    #: the route its ratio is taken to: the same path in the app without the adapter, so
    #: that routing (a URL list is matched in order) costs both alike; ``None``: a baseline
    baseline: str | None = None


ROUTES = (
    Route("a", "(a) no auth", "bare", "/protected", "warm"),
    Route("b", "(b) passport, warm", "passport", "/protected", "warm", baseline="a"),
    Route("c", "(c) passport, cold", "cold", "/protected", "cold", baseline="a"),
    Route("a-open", "(a) no auth, /hello", "bare", "/hello", "warm"),
    Route("d", "(d) not asked, adapter on", "passport", "/hello", "warm", baseline="a-open"),
    Route("a-group", "(a) no auth, /group/protected", "bare", "/group/protected", "warm"),
    Route(
        "e", "(e) passport, warm, by group", "passport", "/group/protected", "warm",
        baseline="a-group",
    ),
)  # fmt: skip


def _base(key: str) -> str:
    """The key of the route ``key``'s ratio is taken to (a baseline is its own)."""
    return next(route.baseline or route.key for route in ROUTES if route.key == key)


#: the Lua hooks every run uses: count every answer that is not a 200, report in one line
_COUNTING = """
local threads = {}
non200 = 0
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non200") end
  local e = summary.errors
  io.write(string.format(
    "BENCH-RESULT %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration, bad,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""

#: cycles through the passports of the file given after ``--``, each thread from its own start
_CYCLING = """
local tokens = {}
local at = 0
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  at = math.random(#tokens)
end
function request()
  at = at % #tokens + 1
  return wrk.format(nil, nil, {["%s"] = tokens[at]})
end
"""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run reported."""

    requests: int
    seconds: float
    non200: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class BenchmarkFailed(RuntimeError):
    """A server did not start, or a response was not a 200."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str, token: str | None, timeout: float = 2.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={HEADER: token} if token else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server we started, by its PID: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass(frozen=True)
class Started:
    """A server process we started: where it listens, and its PID (to stop it by)."""

    port: int
    pid: int


@contextmanager
def running(setup: Setup, env: dict[str, str], log: Path, startup: float) -> Iterator[Started]:
    """Run one server process for the block; it answers before the block starts and is
    stopped by its PID when the block ends, also on error."""
    port = _free_port()
    command = [part.format(port=port) for part in setup.command]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                raise BenchmarkFailed(
                    f"{setup.name} exited with {process.returncode}: {_tail(log)}"
                )
            try:
                _get(port, "/hello", None, timeout=0.5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchmarkFailed(
                        f"{setup.name} did not answer within {startup:.0f} s: {_tail(log)}"
                    ) from None
                time.sleep(0.05)
        yield Started(port, process.pid)
    finally:
        _stop(process)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants (gunicorn's worker), from
    ``/proc``; 0 where there is no ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:].strip() or "(no output)"


def _wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    script: Path,
    args: Sequence[str],
    threads: int | None = None,
) -> WrkResult:
    threads = threads or max(1, os.cpu_count() or 1)
    command = ["wrk", "-t", str(threads), "-c", str(max(connections, threads))]
    command += ["-d", f"{max(1, round(duration))}s", "--timeout", "5s", "-s", str(script)]
    command += [url, "--", *args]
    done = subprocess.run(  # noqa: S603 - wrk, found on PATH by the caller
        command, capture_output=True, text=True, timeout=duration + 30, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            requests, micros, bad, *errors = (int(part) for part in line.split()[1:])
            status_errors = errors[3]
            socket_errors = sum(errors) - status_errors
            return WrkResult(requests, micros / 1e6, bad, socket_errors)
    raise BenchmarkFailed(f"wrk gave no result ({done.returncode}): {done.stderr.strip()}")


@dataclass
class Workspace:
    """The keys, passports and wrk scripts of one run, in a temporary directory."""

    directory: Path
    jwks_file: Path
    warm_token: str
    cold_tokens: Path
    plain_script: Path
    warm_script: Path
    cold_script: Path

    @classmethod
    def create(cls, directory: Path, cold_count: int) -> Workspace:
        ring = KeyRing.generate("EdDSA")
        jwks_file = directory / "jwks.json"
        jwks_file.write_text(json.dumps(ring.public_jwks()))
        minter = Minter(ring, issuer=ISSUER)

        def mint(index: int) -> str:
            # about the size of the issue's 1.1 KB, 15-claim passport
            return minter.mint(
                f"user-{index:06d}",
                audience=AUDIENCE,
                ttl=1800,
                roles=["admin", "staff"],
                scopes=["orders:read", "orders:write"],
                profile={"name": "Ada", "email": "ada@example.test", "locale": "en"},
                tenant="acme",
            )

        cold_tokens = directory / "passports.txt"
        cold_tokens.write_text("".join(mint(index) + "\n" for index in range(cold_count)))
        warm_token = mint(cold_count)
        warm_script = directory / "warm.lua"
        # A static request (no Lua per request): the same passport, minted for this run.
        warm_script.write_text(f'wrk.headers["{HEADER}"] = "{warm_token}"\n' + _COUNTING)
        plain_script = directory / "plain.lua"
        plain_script.write_text(_COUNTING)
        cold_script = directory / "cold.lua"
        cold_script.write_text(_COUNTING + _CYCLING.replace("%s", HEADER))
        return cls(
            directory, jwks_file, warm_token, cold_tokens, plain_script, warm_script, cold_script
        )

    def environment(self, variant: str) -> dict[str, str]:
        env = dict(os.environ)
        # The worktree's packages, ahead of whatever is installed.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.update(
            BENCH_MODE="bare" if variant == "bare" else "passport",
            BENCH_ISSUER=ISSUER,
            BENCH_AUDIENCE=AUDIENCE,
            BENCH_JWKS_FILE=str(self.jwks_file),
        )
        env.pop("BENCH_CACHE_SIZE", None)
        if variant == "cold" and _has_verify_cache():
            env["BENCH_CACHE_SIZE"] = "0"
        return env

    def wrk_for(self, route: Route) -> tuple[Path, list[str], str | None]:
        """The script, its arguments and a sample passport (for the pre-flight request)."""
        if route.tokens == "cold":
            first = self.cold_tokens.read_text().split("\n", 1)[0]
            return self.cold_script, [str(self.cold_tokens)], first
        if route.tokens == "warm":
            return self.warm_script, [], self.warm_token
        return self.plain_script, [], None


def _has_verify_cache() -> bool:
    return "cache_size" in {field.name for field in dataclasses.fields(PassportConfig)}


@dataclass(frozen=True)
class Measured:
    """One setup's figures: the median req/s per route, and per route the ratio to its
    baseline (a) of each round (the runs of a round are the closest in time, so the
    machine's load moves them together): the median of those ratios and their spread."""

    rates: dict[str, float]
    ratios: dict[str, list[float]]
    #: the server's CPU µs per request (its process and children, from /proc), median
    cpu_us: dict[str, float]
    #: per round, its baseline's CPU per request over this route's: the req/s ratio on a core of its
    #: own, which the load of other processes moves far less than req/s
    cpu_ratios: dict[str, list[float]]

    def ratio(self, key: str) -> float:
        return statistics.median(self.ratios[key])

    def cpu_ratio(self, key: str) -> float:
        return statistics.median(self.cpu_ratios[key])


def _measure_setup(
    setup: Setup, work: Workspace, *, duration: float, connections: int, repeats: int
) -> Measured:
    """Req/s per route key for one setup, its three servers running side by side."""
    samples: dict[str, list[float]] = {route.key: [] for route in ROUTES}
    cpu: dict[str, list[float]] = {route.key: [] for route in ROUTES}
    with ExitStack() as stack:
        servers = {
            variant: stack.enter_context(
                running(
                    setup,
                    work.environment(variant),
                    work.directory / f"{setup.name}-{variant}.log",
                    startup=30.0,
                )
            )
            for variant in ("bare", "passport", "cold")
        }
        ports = {variant: server.port for variant, server in servers.items()}
        for route in ROUTES:
            _script, _args, sample = work.wrk_for(route)
            status, body = _get(ports[route.variant], route.path, sample)
            if status != 200:
                raise BenchmarkFailed(
                    f"{setup.name} {route.path} answered {status}: {body[:300]!r}"
                )
        for _ in range(repeats):
            for route in ROUTES:
                script, args, _sample = work.wrk_for(route)
                url = f"http://127.0.0.1:{ports[route.variant]}{route.path}"
                before = _cpu_seconds(servers[route.variant].pid)
                result = _wrk(
                    url, duration=duration, connections=connections, script=script, args=args
                )
                used = _cpu_seconds(servers[route.variant].pid) - before
                if result.non200 or result.socket_errors:
                    raise BenchmarkFailed(
                        f"{setup.name} {route.title}: {result.non200} of {result.requests} "
                        f"responses were not 200, {result.socket_errors} socket errors"
                    )
                samples[route.key].append(result.rate)
                cpu[route.key].append(used / result.requests * 1e6)
    rates = {key: statistics.median(values) for key, values in samples.items()}
    ratios = {
        key: [rate / base for rate, base in zip(values, samples[_base(key)], strict=True)]
        for key, values in samples.items()
    }
    cpu_ratios = {
        key: [
            base / used if used else 0.0 for used, base in zip(values, cpu[_base(key)], strict=True)
        ]
        for key, values in cpu.items()
    }
    return Measured(rates, ratios, {k: statistics.median(v) for k, v in cpu.items()}, cpu_ratios)


def render(results: dict[str, Measured]) -> str:
    """The one table: req/s per route (median of the rounds) and the ratio to the same
    route without auth (a): the median of each round's ratio, with the lowest and highest
    when there are several."""
    header = "| setup | " + " | ".join(route.title for route in ROUTES) + " |"
    lines = [header, "| --- |" + " ---: |" * len(ROUTES)]
    for name, measured in results.items():
        rates = measured.rates
        cells = []
        for route in ROUTES:
            if route.baseline is None:
                cells.append(f"{rates[route.key]:,.0f}")
                continue
            ratios = measured.ratios[route.key]
            spread = f", {min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
            cells.append(f"{rates[route.key]:,.0f} ({measured.ratio(route.key):.2f}{spread})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_cpu(results: dict[str, Measured]) -> str:
    """The server's CPU µs per request per route, and its baseline's over it (median,
    lowest-highest)."""
    header = "| setup | " + " | ".join(route.title for route in ROUTES) + " |"
    lines = [header, "| --- |" + " ---: |" * len(ROUTES)]
    for name, measured in results.items():
        cells = []
        for route in ROUTES:
            if route.baseline is None:
                cells.append(f"{measured.cpu_us[route.key]:.0f} µs")
                continue
            ratios = measured.cpu_ratios[route.key]
            spread = f", {min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
            cells.append(
                f"{measured.cpu_us[route.key]:.0f} µs ({measured.cpu_ratio(route.key):.2f}{spread})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _record(results: Results, measured_by_setup: dict[str, Measured]) -> None:
    for name, measured in measured_by_setup.items():
        for route in ROUTES:
            ratios = measured.ratios[route.key]
            results.add(
                "servers",
                setup=name,
                route=route.key,
                title=route.title,
                requests_per_s=round(measured.rates[route.key], 1),
                baseline=_base(route.key),
                ratio_to_baseline=round(measured.ratio(route.key), 4),
                ratio_min=round(min(ratios), 4),
                ratio_max=round(max(ratios), 4),
                cpu_us_per_request=round(measured.cpu_us[route.key], 2),
                cpu_ratio_to_baseline=round(measured.cpu_ratio(route.key), 4),
            )


def _callgrind(pid: int, *command: str) -> None:
    control = ["callgrind_control", *command, str(pid)]
    subprocess.run(  # noqa: S603 - callgrind_control, found on PATH by the caller
        control, capture_output=True, timeout=60, check=True
    )


def _forked(setup: Setup) -> bool:
    """Whether the server serves from a forked worker (gunicorn), not its own process."""
    return "gunicorn" in setup.command


def _dump_total(dump: Path) -> int:
    return sum(
        int(line.split()[1]) for line in dump.read_text().splitlines() if line.startswith("totals:")
    )


# A sync gunicorn worker's poll for a connection (a failed accept, a select, a heartbeat)
# is some thousands of instructions; a request through any Python web framework is over
# 100k. A dump above this holds one request.
_REQUEST_DUMP = 50_000


#: how far the request dumps of a run may be from wrk's count: the request before the run's
#: first accept (the warm-up's last), the one in flight when wrk stops, one per connection
_DUMP_SLACK = 4


def _per_request_in_worker(dumps: Iterable[Path], sent: int) -> float | None:
    """Instructions per request from a forked worker's dumps, one made at every accept.

    A sync worker serves one request per connection, so each dump that holds a request holds
    exactly one: the mean over them is the figure (the polls between requests, which grow
    with idle time, not with requests, are left out). wrk's own count is not the divisor, since
    the request in flight when wrk stops is dumped (at the next accept) after wrk returns,
    and the worker may not have accepted the one wrk had queued: with the dozen requests a
    second under valgrind, one off is several per cent.
    """
    totals = [_dump_total(dump) for dump in dumps]
    requests = [total for total in totals if total > _REQUEST_DUMP]
    if abs(len(requests) - sent) > _DUMP_SLACK:
        # A poll taken for a request, or a request for a poll: the figure would be wrong.
        raise BenchmarkFailed(
            f"{len(requests)} request dumps for the {sent} requests wrk made: the worker "
            "did not dump once per request"
        )
    return sum(requests) / len(requests) if requests else None


def _measure_instructions(setup: Setup, work: Workspace, *, duration: float) -> dict[str, float]:
    """Instructions per request of the real server (under callgrind) per route key.

    Each server variant runs under ``valgrind --tool=callgrind``; each route is warmed up,
    then counted alone (``wrk`` for ``duration`` seconds on one connection pair), so the
    figure is the server's own work per request, whatever else the machine runs.

    uvicorn serves in its own process: instrumentation is off while it starts, and
    ``callgrind_control`` zeroes the counters before a route and dumps them after.
    gunicorn serves in a forked worker, where valgrind's gdbserver (which
    ``callgrind_control`` needs) is not set up; there callgrind dumps its counters each time
    the worker calls ``accept`` (``--dump-before=sock_accept``, the C function under
    ``socket.accept``): a sync worker serves one request per connection, so the figure is the
    mean over the dumps that hold a request (:func:`_per_request_in_worker`): what handling a
    request costs, without gunicorn's polls between requests, which (a) and (b) would pay
    alike. Each route's counted run follows a warm-up run of the same
    route: the first dump of a run holds the request before it, which is then the same
    route's.
    """
    found: dict[str, float] = {}
    variants = sorted({route.variant for route in ROUTES})
    forked = _forked(setup)
    for variant in variants:
        out = work.directory / f"callgrind.{setup.name}.{variant}"
        if forked:
            options: tuple[str, ...] = ("--trace-children=yes", "--dump-before=sock_accept")
        else:
            options = ("--instr-atstart=no",)
        traced = Setup(
            setup.name,
            (
                "valgrind",
                "--tool=callgrind",
                *options,
                f"--callgrind-out-file={out}.%p",
                *setup.command,
            ),
        )
        log = work.directory / f"{setup.name}-{variant}-callgrind.log"
        with running(traced, work.environment(variant), log, startup=180.0) as server:
            mine = [route for route in ROUTES if route.variant == variant]
            for route in mine:  # warm up: caches filled, code paths taken once
                script, args, _sample = work.wrk_for(route)
                url = f"http://127.0.0.1:{server.port}{route.path}"
                _wrk(url, duration=2, connections=2, script=script, args=args, threads=1)
            if not forked:
                _callgrind(server.pid, "--instr=on")
            for route in mine:
                script, args, _sample = work.wrk_for(route)
                url = f"http://127.0.0.1:{server.port}{route.path}"
                if forked:
                    _wrk(url, duration=1, connections=2, script=script, args=args, threads=1)
                    before = set(out.parent.glob(f"{out.name}.*"))
                else:
                    _callgrind(server.pid, "--zero")
                    before = set(out.parent.glob(f"{out.name}.{server.pid}.*"))
                result = _wrk(
                    url, duration=duration, connections=2, script=script, args=args, threads=1
                )
                if result.non200 or result.socket_errors or not result.requests:
                    raise BenchmarkFailed(f"{setup.name} {route.title} under callgrind failed")
                if forked:
                    dumps = set(out.parent.glob(f"{out.name}.*")) - before
                else:
                    _callgrind(server.pid, "--dump")
                    dumps = set(out.parent.glob(f"{out.name}.{server.pid}.*")) - before
                    if len(dumps) != 1:
                        raise BenchmarkFailed(
                            f"callgrind gave no dump for {setup.name} {route.key}"
                        )
                per_request = (
                    _per_request_in_worker(dumps, result.requests)
                    if forked
                    else sum(map(_dump_total, dumps)) / result.requests
                )
                if per_request is None:
                    raise BenchmarkFailed(
                        f"callgrind gave no dump of a request for {setup.name} {route.key}"
                    )
                found[route.key] = per_request
                for dump in dumps:
                    dump.unlink()  # a forked server dumps once per request
    return found


def render_instructions(results: dict[str, dict[str, float]]) -> str:
    """Instructions per request per route, and its baseline's over each (the req/s ratio
    they imply)."""
    header = "| setup | " + " | ".join(route.title for route in ROUTES) + " |"
    lines = [header, "| --- |" + " ---: |" * len(ROUTES)]
    for name, counts in results.items():
        cells = [
            f"{counts[route.key] / 1000:,.0f}k"
            if route.baseline is None
            else f"{counts[route.key] / 1000:,.0f}k "
            f"({counts[route.baseline] / counts[route.key]:.3f})"
            for route in ROUTES
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the servers benchmark; ``argv`` as on the command line (default: ``sys.argv``).

    ``results`` collects the figures for ``python -m benchmarks --json``; ``quick``
    shortens every run to one second.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks servers", description=__doc__)
    parser.add_argument(
        "--duration", type=float, default=1.0 if quick else 5.0, help="seconds per wrk run"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--repeats", type=int, default=1 if quick else 3, help="rounds; the median is shown"
    )
    parser.add_argument("--frameworks", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--passports", type=int, default=1000, help="distinct passports, cold")
    parser.add_argument(
        "--instructions",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also count each server's instructions per request under callgrind "
        "(valgrind), SECONDS of wrk per route: a figure the machine's load does not move",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("the servers benchmark needs wrk (Debian: apt-get install wrk)")
    if args.instructions and not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    rates: dict[str, Measured] = {}
    counted: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="passport-bench-") as directory:
        work = Workspace.create(Path(directory), args.passports)
        for name in args.frameworks:
            rates[name] = _measure_setup(
                SETUPS[name],
                work,
                duration=args.duration,
                connections=args.connections,
                repeats=args.repeats,
            )
        if args.instructions:
            for name in args.frameworks:
                counted[name] = _measure_instructions(
                    SETUPS[name], work, duration=args.instructions
                )
    print(
        f"real servers under wrk: req/s (ratio to the same route without auth, (a)), "
        f"{args.duration:g} s per run, "
        f"{args.connections} connections, median of {args.repeats} rounds "
        "(ratio: the median of each round's ratio to its (a), then the lowest-highest)"
    )
    print(render(rates))
    print()
    print(
        "server CPU per request (the server process and its children, /proc): "
        "µs (ratio: the same route's without auth (a) over this one's, the req/s ratio on a core "
        "of its own)"
    )
    print(render_cpu(rates))
    if counted:
        print()
        print(
            f"instructions per request of the real server (callgrind, {args.instructions:g} s "
            "of wrk per route; ratio: the same route's without auth (a) over this one's, the req/s "
            "ratio they imply)"
        )
        print(render_instructions(counted))
    if results is not None:
        results.configure(
            "servers",
            duration_s=args.duration,
            connections=args.connections,
            repeats=args.repeats,
            wrk_threads=os.cpu_count(),
        )
        _record(results, rates)
        for name, counts in counted.items():
            for route in ROUTES:
                results.add(
                    "servers-instructions",
                    setup=name,
                    route=route.key,
                    title=route.title,
                    instructions_per_request=round(counts[route.key]),
                    baseline=_base(route.key),
                    ratio_to_baseline=round(counts[_base(route.key)] / counts[route.key], 4),
                )
