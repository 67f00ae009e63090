"""``[revocation]`` in edge.toml: the edge checks credentials against the shared Redis store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from passport_core import (
    ConfigurationError,
    EdgeRequest,
    InvalidCredential,
    KeyRing,
    RedisRevocations,
    Revocation,
)
from passport_core.edge.config import EdgeConfig
from tests.core.edge.conftest import lookup

ISSUER = "https://edge.toml.test"


def _config(**revocation: Any) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "ring": "ring.json",
        "mode": "mint",
        "authenticators": [{"kind": "api_key", "lookup": f"{__name__}:lookup"}],
        "audiences": [{"name": "orders"}],
        "revocation": revocation,
    }


def test_a_subject_revoked_in_redis_is_refused_by_the_edge_within_a_second(
    redis_url: str, tmp_path: Path
) -> None:
    config = EdgeConfig.from_mapping(_config(redis_url=redis_url), base=tmp_path)
    edge = config.edge(KeyRing.generate())
    store = edge.revocations
    assert isinstance(store, RedisRevocations)
    writer = RedisRevocations.from_url(redis_url)
    try:
        deadline = time.monotonic() + 5
        while not store.healthy and time.monotonic() < deadline:
            time.sleep(0.01)
        request = EdgeRequest.from_headers({"X-API-Key": "alice-key"})
        edge.mint(request)
        writer.revoke(Revocation.subject(ISSUER, "alice", before=time.time(), lifetime=60))
        deadline = time.monotonic() + 1
        refused = False
        while not refused and time.monotonic() < deadline:
            try:
                edge.mint(request)
            except InvalidCredential:
                refused = True
            time.sleep(0.01)
        assert refused
        edge.mint(EdgeRequest.from_headers({"X-API-Key": "bob-key"}))
    finally:
        writer.close()
        store.close()


def test_the_effective_configuration_hides_the_redis_password(tmp_path: Path) -> None:
    url = f"redis://:s3cret-{uuid.uuid4().hex}@10.0.0.5:6379/0"
    config = EdgeConfig.from_mapping(_config(redis_url=url, fail_open=True), base=tmp_path)
    described = config.describe(KeyRing.generate())
    assert described["revocation"] == {
        "redis_url": "redis://***@10.0.0.5:6379/0",
        "fail_open": True,
    }
    assert "s3cret" not in repr(described)


@pytest.mark.parametrize(
    "revocation",
    [{}, {"redis_url": "http://127.0.0.1:6379"}, {"redis_url": "redis://x", "ttl": 5}],
)
def test_a_bad_revocation_table_is_refused_by_name(tmp_path: Path, revocation: Any) -> None:
    with pytest.raises(ConfigurationError, match="revocation"):
        EdgeConfig.from_mapping(_config(**revocation), base=tmp_path)


__all__ = ["lookup"]  # the api_key hook the config names
