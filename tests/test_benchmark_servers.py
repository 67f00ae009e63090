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
