"""A real chain on 127.0.0.1: edge → FastAPI → Flask → Django, each its own process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from passport_core import KeyRing, generate_key
from passport_core.demo import start_chain
from passport_core.demo.edge import DemoEdge


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing(generate_key("EdDSA"))


@pytest.fixture(scope="module")
def chain(ring: KeyRing) -> Iterator[tuple[DemoEdge, dict[str, str]]]:
    with start_chain(ring) as running:
        yield running
