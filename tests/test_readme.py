"""The README's promises: its two commands come first, and its examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_starts_with_the_two_commands() -> None:
    assert README.index("```") == README.index("```bash\n"), "the commands come first"
    commands = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert commands == [
        'python -m pip install -e ".[all]" && passport demo',
        'python -m pip install -e ".[all,dev]" && python -m pytest',
    ]


@pytest.mark.parametrize(
    "block", [b for b in PYTHON_BLOCKS if not b.startswith("# Django")], ids=lambda b: b[:20]
)
def test_python_examples_run(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})  # noqa: S102
