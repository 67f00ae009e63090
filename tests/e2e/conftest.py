"""Real processes on 127.0.0.1: the demo chain (edge → FastAPI → Flask → Django), nginx, an
OpenID provider."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from passport_core import Key, KeyRing, generate_key
from passport_core.demo import start_chain
from passport_core.demo.edge import DemoEdge
from tests.conftest import require_component
from tests.e2e.nginx import nginx_binary, run_nginx
from tests.e2e.openid_provider import NODE_DIR, OpenIDProvider


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing(generate_key("EdDSA"))


@pytest.fixture(scope="module")
def chain(ring: KeyRing) -> Iterator[tuple[DemoEdge, dict[str, str]]]:
    with start_chain(ring) as running:
        yield running


#: starts nginx with a whole ``nginx.conf`` listening on ``127.0.0.1:<port>``; returns its URL
StartNginx = Callable[[str, int], str]


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartNginx]:
    """A real nginx per call, each from its own temporary prefix; all stopped by PID after."""
    require_component(nginx_binary() is not None, "nginx")
    with ExitStack() as running:

        def start(config: str, port: int) -> str:
            prefix = tmp_path_factory.mktemp("nginx")
            return running.enter_context(run_nginx(config, prefix, port))

        yield start


# --- a real OpenID provider (tests/e2e/node/provider.mjs), for test_oidc_provider.py ---


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
