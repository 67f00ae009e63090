"""docs/revocation.md cannot rot: its Python runs on a real Redis, its defaults are the code's."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from passport_core import RedisRevocations
from passport_core.revocation import redis_store

DOC = (Path(__file__).resolve().parents[3] / "docs" / "revocation.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_the_example_runs(redis_url: str) -> None:
    assert PYTHON
    for block in PYTHON:
        code = block.replace("redis://127.0.0.1:6379/0", redis_url)
        exec(compile(code, "docs/revocation.md", "exec"), {})  # noqa: S102 - the doc's own example


def test_the_documented_defaults_are_the_code_s() -> None:
    options = inspect.signature(RedisRevocations).parameters
    assert options["max_staleness"].default == 5.0
    assert "(5 by default" in DOC
    assert options["fail_open"].default is False
    assert redis_store.DEFAULT_TIMEOUT == 0.5
    assert "0.5 s by default" in DOC
    assert redis_store.BACKOFF == (0.05, 2.0)
    assert "from 0.05 s\n   doubling to 2 s" in DOC
