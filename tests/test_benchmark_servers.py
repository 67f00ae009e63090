"""The servers benchmark runs each framework under wrk and prints its table (no speed asserted)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from benchmarks import servers
from benchmarks.__main__ import main
from tests.conftest import require_component

pytestmark = pytest.mark.network


@pytest.mark.parametrize("setup", list(servers.SETUPS))
def test_the_servers_benchmark_prints_its_table(
    setup: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_component(shutil.which("wrk") is not None, "wrk (Debian package wrk)")
    figures = tmp_path / "bench.json"
    main(
        [
            *("servers", "--duration", "1", "--connections", "4", "--passports", "50"),
            *("--frameworks", setup, "--json", str(figures)),
        ]
    )
    out = capsys.readouterr().out
    assert "real servers under wrk" in out
    for route in servers.ROUTES:
        assert route.title in out
    assert f"| {setup} |" in out
    figures_of_run = json.loads(figures.read_text())["benchmarks"]["servers"]
    assert {figure["route"] for figure in figures_of_run} == {route.key for route in servers.ROUTES}
    assert all(figure["setup"] == setup for figure in figures_of_run)
    assert all(figure["requests_per_s"] > 0 for figure in figures_of_run)


def test_wrk_counts_every_answer_that_is_not_200_and_the_server_stops_on_error(
    tmp_path: Path,
) -> None:
    require_component(shutil.which("wrk") is not None, "wrk (Debian package wrk)")
    work = servers.Workspace.create(tmp_path, 3)
    fastapi = servers.SETUPS["fastapi-h11"]
    server_log = tmp_path / "server.log"
    with (  # noqa: PT012 - the error must leave the server's block
        pytest.raises(servers.BenchmarkFailed, match="checked"),
        servers.running(fastapi, work.environment("passport"), server_log, startup=30) as server,
    ):
        started = server
        # No passport sent: every answer is a 401, which the run must count.
        result = servers._wrk(
            f"http://127.0.0.1:{server.port}/protected",
            duration=1,
            connections=2,
            script=work.plain_script,
            args=[],
        )
        assert result.requests > 0
        assert result.non200 == result.requests
        raise servers.BenchmarkFailed("checked")
    with pytest.raises(ProcessLookupError):
        os.kill(started.pid, 0)  # stopped (and reaped) when the block raised


# Every server starts under valgrind, some 50 times slower than natively: minutes, not seconds.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("setup", ["fastapi-h11", "flask-gunicorn"])
def test_instructions_are_counted_per_route_in_the_server_and_in_a_forked_worker(
    setup: str, tmp_path: Path
) -> None:
    """uvicorn is counted through callgrind_control; gunicorn's forked worker, which has no
    gdbserver for it, through a dump at every accept. Either way each route gets a count
    per request, and a protected route costs more than the same route without auth."""
    require_component(shutil.which("wrk") is not None, "wrk (Debian package wrk)")
    require_component(
        shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None,
        "valgrind (Debian package valgrind)",
    )
    work = servers.Workspace.create(tmp_path, 20)
    counts = servers._measure_instructions(servers.SETUPS[setup], work, duration=1)
    assert set(counts) == {route.key for route in servers.ROUTES}
    # A request through a Python web framework is at least some 100k instructions.
    assert all(count > 100_000 for count in counts.values())
    # (b) verifies what (a), the same route without auth, never looks at; (c) checks an
    # Ed25519 signature on every request, which a warm (b) does not.
    assert counts["b"] > counts["a"]
    assert counts["c"] > counts["b"] * 1.2


def test_a_forked_worker_s_figure_is_the_mean_of_its_request_dumps(tmp_path: Path) -> None:
    """One callgrind dump per accept: the polls between requests are left out, and a count of
    request dumps far from wrk's is refused, never turned into a figure."""

    def dumps(*totals: int) -> list[Path]:
        made = []
        for index, total in enumerate(totals):
            dump = tmp_path / f"callgrind.{len(list(tmp_path.iterdir()))}.{index}"
            dump.write_text(f"events: Ir\nsummary: {total}\ntotals: {total}\n")
            made.append(dump)
        return made

    found = servers._per_request_in_worker(dumps(900_000, 3_000, 1_000_000, 2_500), 2)
    assert found == 950_000
    with pytest.raises(servers.BenchmarkFailed, match="2 request dumps for the 20"):
        servers._per_request_in_worker(dumps(900_000, 1_000_000), 20)
