"""``python -m benchmarks adapters`` runs and prints its table (tiny counts; never speed).

It runs in its own process: the benchmark configures Django's process-wide settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_adapters_benchmark_prints_its_table(tmp_path: Path) -> None:
    out_json = tmp_path / "adapters.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "benchmarks", "--json", str(out_json), "adapters"]
    done = subprocess.run(
        [*command, "--rounds", "1", "--number", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "per-request cost in-process" in out
    for framework in ("flask", "django", "fastapi"):
        for row in ("bare (no adapter)", "adapter, open route", "required, warm", "optional"):
            assert any(framework in line and row in line for line in out.splitlines()), (
                framework,
                row,
            )
    written = json.loads(out_json.read_text(encoding="utf-8"))
    figures = written["benchmarks"]["adapters"]
    assert {figure["framework"] for figure in figures} == {"flask", "django", "fastapi"}
    assert all(figure["us"] > 0 for figure in figures)
    # Every adapter leaves a request to reference counting: no cycle beyond what the
    # framework's own bare app leaves (Django's request once held its passport state,
    # which held the request).
    bare = {
        figure["framework"]: figure["cyclic_garbage_per_request"]
        for figure in figures
        if figure["row"].startswith("bare")
    }
    added = {
        (figure["framework"], figure["row"]): figure["cyclic_garbage_per_request"]
        - bare[figure["framework"]]
        for figure in figures
    }
    # Below one object in ten requests: a stray cycle is not an adapter's per-request one.
    assert all(extra < 0.1 for extra in added.values()), added
