"""The CLI drives a running edge through its ring file: every ``passport ring`` step shows at once.

The edge re-reads the ring file when it changes; a RemoteJWKS verifier fetching
the edge's JWKS over HTTP verifies every passport the edge mints while an
operator prepares, promotes, retires and prunes with the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from passport_core import (
    DEFAULT_HEADER,
    JWKS_PATH,
    KeyRing,
    Minter,
    PassportError,
    RemoteJWKS,
    Verifier,
)
from passport_core.demo import ISSUER, USERS
from passport_core.demo.edge import DemoEdge
from tests.servers import serve

REPO = Path(__file__).resolve().parents[2]
ALICE = {"Authorization": "Bearer alice-key"}
PUBLISH_DELAY = 1.0
#: the longest passport; with leeway 0, how long a key stays published after it stops signing
LIFETIME = 6.0


def passport_cli(*args: str | Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "passport_core", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[tuple[DemoEdge, Path]]:
    path = tmp_path / "ring.json"
    passport_cli(
        "ring", "init", "--out", path, "--kid", "k1", "--publish-delay", str(PUBLISH_DELAY),
        "--max-token-lifetime", str(LIFETIME), "--leeway", "0",
    )  # fmt: skip
    ring = KeyRing.load(path)
    minter = Minter(ring, issuer=ISSUER, default_ttl=LIFETIME, max_ttl=LIFETIME)
    # The upstream echoes the request headers: the passport the edge minted.
    with (
        serve() as upstream,
        DemoEdge(
            minter, users=USERS, audience=("orders",), upstream=upstream.url, ring_file=path
        ) as running,
    ):
        yield running, path


def published(edge: DemoEdge) -> list[str]:
    response = httpx.get(f"{edge.url}{JWKS_PATH}", timeout=10)
    assert response.headers["cache-control"] == "public, max-age=1"
    return [key["kid"] for key in response.json()["keys"]]


def test_ring_steps_on_the_file_rotate_a_running_edge_without_a_wrong_401(
    edge: tuple[DemoEdge, Path],
) -> None:
    running, path = edge
    source = RemoteJWKS(
        f"{running.url}{JWKS_PATH}",
        cache_ttl=PUBLISH_DELAY,
        min_cache_ttl=PUBLISH_DELAY,
        min_refresh_interval=PUBLISH_DELAY,
        unknown_kid_interval=PUBLISH_DELAY,
    )
    verifier = Verifier(keys=source, issuer=ISSUER, audience="orders")
    kids: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(timeout=10) as client:
            for _ in range(5000):
                if stop.is_set():
                    return
                echoed = client.get(f"{running.url}/api/orders", headers=ALICE).json()
                try:
                    kids.append(verifier.verify(echoed[DEFAULT_HEADER.lower()]).kid)
                except PassportError as exc:
                    failures.append(exc.code)
                time.sleep(0.01)

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    try:
        assert published(running) == ["k1"]
        time.sleep(0.5)
        passport_cli("ring", "prepare", path, "--kid", "k2")
        assert published(running) == ["k1", "k2"]
        time.sleep(PUBLISH_DELAY + 0.1)
        passport_cli("ring", "promote", path)
        assert published(running) == ["k2", "k1"]
        time.sleep(0.5)
        passport_cli("ring", "prepare", path, "--kid", "k3")
        time.sleep(PUBLISH_DELAY + 0.1)
        passport_cli("ring", "promote", path)
        # k1 is still published unless a slow machine took LIFETIME since the first promote
        assert published(running) in (["k3", "k2", "k1"], ["k3", "k2"])
        time.sleep(0.5)
        # k1 retires LIFETIME (max_token_lifetime + leeway 0) after the first promotion
        deadline = time.monotonic() + LIFETIME + 10
        while "k1" in published(running) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "pruned k1" in passport_cli("ring", "prune", path)
        passport_cli("ring", "retire", path, "k2", "--force")
        assert published(running) == ["k3"]
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert failures == []
    assert {"k1", "k2", "k3"} <= set(kids)
    status = json.loads(passport_cli("ring", "status", path, "--json"))
    assert [(key["kid"], key["state"]) for key in status["keys"]] == [("k3", "active")]
