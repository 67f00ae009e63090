"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from passport_core import get_passport

# Autouse: every test's log records, at DEBUG, are searched for tokens and private keys.
from tests.secrets_hygiene import _no_secret_in_the_logs, _watch_every_log_record  # noqa: F401
from tests.servers import RunningServer, serve

#: third-party test vectors, copied into the repository (tests/vectors/README.md)
VECTORS = Path(__file__).resolve().parent / "vectors"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Under CI=true a skipped test is a failed one, named with its skip reason.

    Locally a test that needs an outside component (node, a server binary) may skip with a
    reason; in CI everything must run, so a skip is turned into a failure here, whatever
    raised it (``pytest.skip``, a ``skip``/``skipif`` mark, ``importorskip``).
    An expected failure (``xfail``) is not a skip and is left alone.
    """
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {_reason(report)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """The same for a whole module skipped while it is collected."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if IN_CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {_reason(report)}"


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def require_component(available: bool, what: str) -> None:
    """Skip locally when a real component is missing; fail in CI, where it must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture
def allowed() -> Iterator[RunningServer]:
    """An echo server on 127.0.0.1 that tests put on an outbound allow-list."""
    with serve() as server:
        yield server


@pytest.fixture
def other() -> Iterator[RunningServer]:
    """A second echo server, kept off the allow-list."""
    with serve() as server:
        yield server


@pytest.fixture
def no_passport_leaks() -> Iterator[None]:
    """The test starts and must end without a current passport (folders make it autouse)."""
    assert get_passport() is None
    yield
    assert get_passport() is None


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server on 127.0.0.1 (a free port, no persistence), for the session."""
    import shutil  # noqa: PLC0415 - only this fixture needs them
    import socket  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import time  # noqa: PLC0415

    server = shutil.which("redis-server")
    require_component(server is not None, "redis-server")
    assert server is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    process = subprocess.Popen(
        [*command, "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
