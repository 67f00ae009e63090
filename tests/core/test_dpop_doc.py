"""docs/dpop.md cannot rot: its Python runs, its defaults are the code's."""

from __future__ import annotations

import re
from pathlib import Path

from passport_core import PassportConfig, ProofVerifier

DOC = (Path(__file__).resolve().parents[2] / "docs" / "dpop.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_the_example_runs() -> None:
    assert PYTHON
    for block in PYTHON:
        exec(compile(block, "docs/dpop.md", "exec"), {})  # noqa: S102 - the doc's own example


def test_the_documented_defaults_are_the_code_defaults() -> None:
    config = PassportConfig()
    assert f'| `binding` | `"{config.binding}"` |' in DOC
    assert f"| `proof_max_age` | `{config.proof_max_age:g}` |" in DOC
    checker = ProofVerifier()
    assert f"default {checker.max_age:g} s old, {checker.leeway:g} s ahead" in DOC
