"""Real processes on 127.0.0.1: the demo chain (edge → FastAPI → Flask → Django) and nginx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from passport_core import KeyRing, generate_key
from passport_core.demo import start_chain
from passport_core.demo.edge import DemoEdge
from tests.conftest import require_component
from tests.e2e.nginx import nginx_binary, run_nginx


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
