"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import RunningServer, serve

#: third-party test vectors, copied into the repository (tests/vectors/README.md)
VECTORS = Path(__file__).resolve().parent / "vectors"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_component(available: bool, what: str) -> None:
    """Skip locally when a real component is missing; fail in CI, where it must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture
def allowed() -> Iterator[RunningServer]:
    """An echo server on 127.0.0.1 that tests put on an outbound allow-list."""
    with serve() as server:
        yield server


@pytest.fixture
def other() -> Iterator[RunningServer]:
    """A second echo server, kept off the allow-list."""
    with serve() as server:
        yield server
