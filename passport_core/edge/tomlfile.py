"""Reading a TOML settings file (``edge.toml``, ``sts.toml``): one error type for every failure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from passport_core.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

__all__ = ["read_toml"]


def read_toml(file: Path) -> dict[str, Any]:
    """The parsed ``file``; unreadable or invalid TOML is a :class:`ConfigurationError`."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{file} is not valid TOML: {exc}") from exc
    return data
