"""docs/transaction-tokens.md, docs/delegation.md and docs/encryption.md cannot rot: their
Python runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("name", ["transaction-tokens.md", "delegation.md", "encryption.md"])
def test_every_python_block_runs(name: str) -> None:
    blocks = _blocks(name)
    assert blocks
    for block in blocks:
        exec(compile(block, f"docs/{name}", "exec"), {})  # noqa: S102 - the docs' own code


def test_the_doc_names_the_draft_revision() -> None:
    text = (DOCS / "transaction-tokens.md").read_text(encoding="utf-8")
    assert "draft-ietf-oauth-transaction-tokens-10" in text
