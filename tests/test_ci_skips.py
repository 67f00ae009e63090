"""Under CI=true a skipped test fails the run and is named; locally it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = """
import pytest

def test_needs_a_component():
    pytest.skip("the frobnicator is not installed")

@pytest.mark.skipif(True, reason="marked away")
def test_marked():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False

def test_plain():
    pass
"""


def run_sample(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = {**os.environ, "CI": ci, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    # our root conftest as a plugin, in a directory of its own, with no config file
    plugin = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-c", os.devnull]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *plugin,
            "--rootdir",
            str(tmp_path),
            "-q",
            "-rA",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_skip_fails_the_run_in_ci_and_is_named(tmp_path: Path) -> None:
    result = run_sample(tmp_path, "true")

    assert result.returncode == 1, result.stdout
    assert "FAILED test_sample.py::test_needs_a_component" in result.stdout
    assert "ERROR test_sample.py::test_marked" in result.stdout  # a mark skips during setup
    why = "skipped under CI=true, where every test must run: "
    assert why + "the frobnicator is not installed" in result.stdout
    assert why + "marked away" in result.stdout
    assert "XFAIL" in result.stdout  # an expected failure is not a skip
    assert "1 passed" in result.stdout


@pytest.mark.parametrize("ci", ["", "false"])
def test_a_skip_is_a_skip_outside_ci(tmp_path: Path, ci: str) -> None:
    result = run_sample(tmp_path, ci)

    assert result.returncode == 0, result.stdout
    assert "2 skipped" in result.stdout
