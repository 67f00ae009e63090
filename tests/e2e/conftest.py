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


# --- a real OpenID provider (tests/e2e/node/provider.mjs), for test_oidc_provider.py ---

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from passport_core import Key  # noqa: E402
from tests.conftest import require_component  # noqa: E402
from tests.e2e.openid_provider import NODE_DIR, OpenIDProvider  # noqa: E402


@pytest.fixture(scope="session")
def provider_key() -> Key:
    return generate_key("ES256", kid="provider-1")


@pytest.fixture
def openid_provider(provider_key: Key, tmp_path: Path) -> Iterator[OpenIDProvider]:
    """oidc-provider on 127.0.0.1, signing with ``provider_key``; stopped by its PID."""
    # Tests never install anything: `.ci/run` (or you) runs `npm ci --prefix tests/e2e/node`.
    require_component(shutil.which("node") is not None, "node (Node.js)")
    require_component(
        (NODE_DIR / "node_modules" / "oidc-provider").is_dir(),
        "the npm package oidc-provider in tests/e2e/node/node_modules "
        "(run: npm ci --prefix tests/e2e/node)",
    )
    provider = OpenIDProvider([provider_key], tmp_path)
    try:
        yield provider
    finally:
        provider.stop()
