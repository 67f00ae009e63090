"""ARCHITECTURE.md is the map: the tree and every import must agree with it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import passport_core

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "passport_core"
ADAPTERS = ("passport_fastapi", "passport_flask", "passport_django")
FRAMEWORKS = ("fastapi", "starlette", "flask", "werkzeug", "django", "rest_framework")
_ROW = re.compile(
    r"^\| `(?P<part>[a-z_]+)` \| (?P<kind>module|package) \| .* \| (?P<deps>[^|]*) \|$"
)


def _map() -> dict[str, tuple[str, frozenset[str]]]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## passport_core", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, frozenset[str]]] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if match is None:
            continue
        deps = match["deps"].strip()
        allowed = (
            frozenset()
            if deps == "nothing"
            else frozenset(d.strip().strip("`") for d in deps.split(","))
        )
        rows[match["part"]] = (match["kind"], allowed)
    return rows


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "passport_core":
                # ``from passport_core import claims`` names a part; other names are the API.
                for alias in node.names:
                    part = alias.name if (CORE / f"{alias.name}.py").exists() else "__init__"
                    yield f"passport_core.{part}"
            else:
                yield node.module


def _part(path: Path) -> str:
    first = path.relative_to(CORE).parts[0]
    return first.removesuffix(".py")


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_every_part_of_the_tree_is_on_the_map_and_back() -> None:
    mapped = _map()
    tree = {
        path.name.removesuffix(".py"): ("package" if path.is_dir() else "module")
        for path in CORE.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists())
        or (path.suffix == ".py" and path.name not in ("__init__.py", "__main__.py"))
    }
    assert {name: kind for name, (kind, _) in mapped.items()} == tree


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_only_what_the_map_allows(path: Path) -> None:
    if path.parent == CORE and path.name in ("__init__.py", "__main__.py"):
        return  # the package root re-exports the public API of every part
    part = _part(path)
    _, allowed = _map()[part]
    for module in _imports(path):
        assert module.split(".")[0] not in FRAMEWORKS, f"{path.name} imports {module}"
        if module.startswith("passport_core."):
            target = module.split(".")[1]
            assert target == part or target in allowed, f"{part} may not import {target}"


@pytest.mark.parametrize(
    "path",
    sorted(p for name in ADAPTERS for p in (ROOT / name).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_adapters_use_only_the_public_api(path: Path) -> None:
    public = {f"passport_core.{name}" for name in passport_core.__all__}
    public |= {"passport_core", "passport_core.__init__"}
    for module in _imports(path):
        if not module.startswith("passport_core"):
            continue
        if path.name == "demo.py" and module.startswith("passport_core.demo"):
            continue  # the demo's hop helpers, for the demo services only
        assert module in public, f"{path.name} imports {module}"
