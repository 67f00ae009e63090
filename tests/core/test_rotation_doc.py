"""docs/rotation.md cannot rot: its commands parse, its Python compiles and names real API."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import passport_core
from passport_core.cli import build_parser

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rotation.md").read_text(encoding="utf-8")
COMMANDS = [
    line.split("#")[0].strip() for line in re.findall(r"^\$ (passport .+)$", DOC, flags=re.M)
] + re.findall(r"`(passport ring [^`]+)`", DOC)
PYTHON = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_documented_command_parses(command: str) -> None:
    words = shlex.split(command.replace("KID", "k1").replace("OLD_KID", "k1"))[1:]
    args = build_parser().parse_args(words)
    assert callable(args.handler)


def test_the_procedure_is_documented_with_every_step() -> None:
    steps = {command.split()[2] for command in COMMANDS if command.startswith("passport ring")}
    assert steps >= {"init", "prepare", "promote", "retire", "prune", "status"}


def test_the_python_example_compiles_and_names_real_api() -> None:
    assert PYTHON
    for block in PYTHON:
        compile(block, "docs/rotation.md", "exec")
    ring = passport_core.KeyRing.generate()
    for name in re.findall(r"ring\.(\w+)", "".join(PYTHON)):
        assert hasattr(ring, name), name
    for name in re.findall(r"from passport_core import (.+)", "".join(PYTHON))[0].split(", "):
        assert hasattr(passport_core, name.strip()), name


def test_the_promised_defaults_are_the_code_defaults() -> None:
    assert f"default **{passport_core.DEFAULT_PUBLISH_DELAY:g} s**" in DOC
    retire = passport_core.DEFAULT_MAX_TOKEN_LIFETIME + passport_core.DEFAULT_RETIRE_LEEWAY
    assert f"**{retire:g} s**" in DOC
    assert f"max-age={passport_core.JWKS_MAX_AGE}" in DOC
