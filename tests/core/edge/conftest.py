"""Edge fixtures: a ring and minter on a manual clock, an API-key table, an Edge factory,
and one way to mint from sync or async code (tests parametrized over both paths)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Edge,
    EdgeRequest,
    KeyRing,
    Minted,
    Minter,
    Verifier,
    api_key_digest,
)
from tests.core.conftest import ISSUER, ManualClock

#: API keys the table knows, by the subject they stand for
ALICE_KEY = "ak_alice_0123456789abcdef"
BOB_KEY = "ak_bob_fedcba9876543210"

MakeEdge = Callable[..., Edge]
Mint = Callable[..., Minted]


class KeyTable:
    """An in-memory API-key store keyed by digest, counting lookups (what a cache hit skips)."""

    def __init__(self) -> None:
        self.keys: dict[str, APIKey] = {}
        self.lookups = 0

    def add(self, key: str, subject: str, **options: Any) -> APIKey:
        entry = APIKey(api_key_digest(key), subject, **options)
        self.keys[entry.digest] = entry
        return entry

    def __call__(self, digest: str) -> APIKey | None:
        self.lookups += 1
        return self.keys.get(digest)


@pytest.fixture
def edge_clock() -> ManualClock:
    """Edge, minter, verifier and cache share this clock, in real epoch seconds."""
    clock = ManualClock()
    clock.now = 1_800_000_000.0
    return clock


@pytest.fixture
def edge_minter(ring: KeyRing, edge_clock: ManualClock) -> Minter:
    return Minter(ring, issuer=ISSUER, clock=edge_clock)


@pytest.fixture
def edge_verifier(ring: KeyRing, edge_clock: ManualClock) -> Callable[[str], Verifier]:
    """A verifier for one audience, on the edge's clock."""

    def make(audience: str) -> Verifier:
        return Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=audience, clock=edge_clock)

    return make


@pytest.fixture
def key_table() -> KeyTable:
    table = KeyTable()
    table.add(ALICE_KEY, "alice")
    table.add(BOB_KEY, "bob")
    return table


@pytest.fixture
def make_edge(edge_minter: Minter, key_table: KeyTable, edge_clock: ManualClock) -> MakeEdge:
    """An Edge with an API-key authenticator on ``key_table``; any option may be overridden."""

    def make(**options: Any) -> Edge:
        options.setdefault(
            "authenticators", [APIKeyAuthenticator(key_table, clock=edge_clock, timeout=1.0)]
        )
        options.setdefault("audiences", ["orders", "billing"])
        options.setdefault("clock", edge_clock)
        return Edge(options.pop("minter", edge_minter), **options)

    return make


def request(headers: Mapping[str, str] | list[tuple[str, str]] | None = None) -> EdgeRequest:
    return EdgeRequest.from_headers(headers or {})


def with_key(key: str = ALICE_KEY) -> EdgeRequest:
    return request({"X-API-Key": key})


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mint(mode: str) -> Callable[..., Minted]:
    """``mint(edge, request, audience=None)`` through ``Edge.mint`` or ``Edge.amint``."""

    def run(edge: Edge, edge_request: EdgeRequest, audience: str | None = None) -> Minted:
        if mode == "sync":
            return edge.mint(edge_request, audience)
        return asyncio.run(edge.amint(edge_request, audience))

    return run
