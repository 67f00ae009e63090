"""Fixtures of the edge tests: an identity provider's keys and tokens on a real loopback server,
an edge that knows two API keys, a real upstream that records what it got; and for the edge's
own tests a ring and minter on a manual clock, an API-key table, an Edge factory, and one way
to mint from sync or async code (tests parametrized over both paths)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Audience,
    Authenticator,
    CommonData,
    Edge,
    EdgeRequest,
    Identity,
    Key,
    KeyRing,
    Minted,
    Minter,
    Verifier,
    api_key_digest,
    generate_key,
)
from tests.core.conftest import ISSUER, JWKSServer, ManualClock, Reply, forge_token
from tests.core.edge.idp import IdP
from tests.core.edge.upstream import Received, RecordingHandler, Upstream
from tests.servers import AnswerRoute, RouteServer, in_thread

EDGE_ISSUER = "https://edge.test"
KEYS = {
    "alice-key": APIKey(
        api_key_digest("alice-key"),
        "alice",
        CommonData(roles=frozenset({"admin"}), tenant="acme"),
    ),
    "bob-key": APIKey(api_key_digest("bob-key"), "bob", CommonData(roles=frozenset({"staff"}))),
    # a second credential of alice's (another device): what a drop by subject reaches too
    "alice-laptop-key": APIKey(api_key_digest("alice-laptop-key"), "alice"),
}
_BY_DIGEST = {key.digest: key for key in KEYS.values()}


def lookup(digest: str) -> APIKey | None:
    return _BY_DIGEST.get(digest)


__all__ = ["EDGE_ISSUER", "KEYS", "Received", "Upstream", "lookup"]


def issue(key: Key, claims: dict[str, Any], **header: Any) -> str:
    """A token signed by ``key``: ``header`` overrides alg/kid/typ (``...`` drops one)."""
    fields: dict[str, Any] = {"alg": key.alg, "kid": key.kid, "typ": "at+jwt", **header}
    return forge_token({k: v for k, v in fields.items() if v is not ...}, claims, key)


def times(lifetime: int = 300) -> dict[str, int]:
    now = int(time.time())
    return {"iat": now, "exp": now + lifetime}


def drop(claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if v is not ...}


@pytest.fixture(scope="session")
def idp_key() -> Key:
    return generate_key("ES256", kid="idp-1")


@pytest.fixture(scope="session")
def idp_rsa_key() -> Key:
    return generate_key("RS256", kid="idp-rsa")


@pytest.fixture
def provider(jwks_server: JWKSServer, idp_key: Key, idp_rsa_key: Key) -> JWKSServer:
    """An OpenID provider's discovery document and JWKS, served on 127.0.0.1."""
    jwks_server.set_jwks({"keys": [idp_key.public().to_jwk(), idp_rsa_key.public().to_jwk()]})
    document = {"issuer": jwks_server.base_url, "jwks_uri": jwks_server.url("/jwks.json")}
    jwks_server.set("/.well-known/openid-configuration", Reply.json(document))
    return jwks_server


Run = Callable[[Authenticator, str], Identity]


@pytest.fixture(params=["sync", "async"])
def authenticate(request: pytest.FixtureRequest) -> Run:
    """Authenticate a credential on the sync or the async path."""

    def run(authenticator: Authenticator, credential: str) -> Identity:
        edge_request = EdgeRequest.from_headers({})
        if request.param == "sync":
            return authenticator.authenticate(credential, edge_request)
        return asyncio.run(authenticator.aauthenticate(credential, edge_request))

    return run


@pytest.fixture(scope="session")
def edge_ring() -> KeyRing:
    return KeyRing(generate_key("EdDSA", kid="edge-1"))


EdgeFor = Callable[[Authenticator], Edge]


@pytest.fixture
def edge_for(edge_ring: KeyRing) -> EdgeFor:
    def make(authenticator: Authenticator) -> Edge:
        return Edge(
            Minter(edge_ring, issuer=EDGE_ISSUER),
            authenticators=[authenticator],
            audiences=["orders"],
        )

    return make


@pytest.fixture
def passport_verifier(edge_ring: KeyRing) -> Verifier:
    return Verifier(keys=edge_ring.public_jwks(), issuer=EDGE_ISSUER, audience="orders")


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real HTTP/1.1 server on 127.0.0.1 recording every request it receives."""
    recorder = Upstream("")
    handler = type("Handler", (RecordingHandler,), {"upstream": recorder})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with in_thread(server) as url:
        recorder.url = url
        yield recorder


@pytest.fixture
def edge(edge_ring: KeyRing) -> Edge:
    """Real time: the passports cross real servers and a Verifier checks them."""
    return Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[APIKeyAuthenticator(lookup)],
        audiences=[Audience("orders"), Audience("billing", fields={"tenant"})],
    )


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


@pytest.fixture(scope="session")
def client_key() -> Key:
    return generate_key("ES256", kid="edge-client")


@pytest.fixture
def idp(start_route_server: Callable[[AnswerRoute], RouteServer], client_key: Key) -> IdP:
    server = start_route_server()
    found = IdP(server, client_key)
    server.route = found.route
    return found
