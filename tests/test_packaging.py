"""What the distribution promises: one version, honest extras, the files an sdist carries."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import passport_core
from passport_core.cli import main
from passport_core.demo import DEMO_REQUIREMENTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def extra(name: str) -> list[str]:
    requirements: list[str] = PROJECT["project"]["optional-dependencies"][name]
    return requirements


def test_the_version_is_defined_once_and_everyone_agrees() -> None:
    assert "version" not in PROJECT["project"]
    assert PROJECT["project"]["dynamic"] == ["version"]
    assert PROJECT["tool"]["hatch"]["version"]["path"] == "passport_core/__init__.py"
    shown = subprocess.run(
        [sys.executable, "-m", "passport_core", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()

    assert shown == ["passport", passport_core.__version__]
    assert importlib.metadata.version("service-passport") == passport_core.__version__


def test_the_fastapi_extra_brings_no_server() -> None:
    assert not [r for r in extra("fastapi") if r.startswith("uvicorn")]


def test_the_demo_extra_brings_what_the_demo_imports() -> None:
    demo = " ".join(extra("demo"))
    frameworks = {"fastapi", "flask", "django"}

    assert {name for name in frameworks if name in demo} == frameworks
    assert any(r.startswith("uvicorn") for r in extra("demo"))
    assert set(DEMO_REQUIREMENTS) == {*frameworks, "uvicorn"}
    assert "demo" in extra("all")[0]


def test_demo_without_its_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if uvicorn were not installed

    assert main(["demo"]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "passport demo needs uvicorn" in captured.err
    assert "service-passport[demo]" in captured.err


def test_the_sdist_carries_the_license_and_the_docs() -> None:
    include = PROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]

    assert {"LICENSE", "CHANGELOG.md", "ARCHITECTURE.md", "docs", "README.md"} <= set(include)
    assert PROJECT["project"]["license"] == "Apache-2.0"
    assert PROJECT["project"]["license-files"] == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text


def test_the_changelog_keeps_a_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")

    assert changelog.startswith("# Changelog\n")
    assert "## [Unreleased]" in changelog
    assert f"## [{passport_core.__version__}] - " in changelog


def test_joserfc_stays_below_2_and_still_has_what_key_uses() -> None:
    """Keys are imported, exported and thumbprinted through joserfc's JWK classes.

    The dependency is bounded to joserfc 1.x and this test, run at both ends of the range (CI's
    lowest and newest runs), checks the members Key relies on; signing and verifying call
    ``cryptography`` directly (passport_core/keys/primitives.py).
    """
    from passport_core.keys.key import ALGORITHMS, generate_key  # noqa: PLC0415

    assert "joserfc>=1.6.4,<2" in PROJECT["project"]["dependencies"]
    assert int(importlib.metadata.version("joserfc").split(".")[0]) == 1
    for alg in ALGORITHMS:
        jwk = generate_key(alg).jwk
        assert jwk.get_op_key("verify") is not None
        assert jwk.get_op_key("sign") is not None
        assert jwk.thumbprint()
        assert jwk.as_dict(private=False)["kty"] == jwk.key_type
