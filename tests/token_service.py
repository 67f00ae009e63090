"""A token service on 127.0.0.1 for exchange tests, with a server-side request counter.

``TokenServiceHarness`` wraps the real ``TokenExchangeEndpoint``: it counts the
exchange requests that reach it and can hold each one (``delay``) so that
concurrent callers overlap. Its clients and targets are plain dicts a test may
change; the ``TokenService`` is built from them for each request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from passport_core import (
    ClientRegistry,
    ExchangeRules,
    Key,
    KeyRing,
    Minter,
    ProofVerifier,
    ServiceClient,
    TokenExchangeEndpoint,
    TokenService,
    Verifier,
    generate_key,
    public_jwks,
)
from tests.servers import asgi_server

EDGE = "https://edge.test"
STS = "https://sts.test"


@dataclass
class TokenServiceHarness:
    """The edge that mints first passports, the token service, and the clients it knows."""

    edge_ring: KeyRing = field(default_factory=KeyRing.generate)
    sts_ring: KeyRing = field(default_factory=KeyRing.generate)
    #: client id -> its private key (the service's ``private_key_jwt`` key)
    clients: dict[str, Key] = field(default_factory=dict)
    #: audience -> the client ids allowed to ask for it
    targets: dict[str, set[str]] = field(default_factory=dict)
    ttl: float = 300.0
    delay: float = 0.0
    exchanges: int = 0
    #: one for every request, so a replayed DPoP proof is seen as such
    proofs: ProofVerifier = field(default_factory=ProofVerifier)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, client_id: str) -> Key:
        key = self.clients.get(client_id)
        if key is None:
            key = self.clients[client_id] = generate_key("EdDSA", kid=f"{client_id}-1")
        return key

    def edge_passport(self, subject: str, audience: str, scopes: tuple[str, ...] = ()) -> str:
        return Minter(self.edge_ring, issuer=EDGE).mint(subject, audience=audience, scopes=scopes)

    def verifier(self, audience: str) -> Verifier:
        """What a service of ``audience`` trusts: the edge and the token service."""
        return Verifier(
            issuers={EDGE: self.edge_ring.public_jwks(), STS: self.sts_ring.public_jwks()},
            audience=audience,
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        with self._lock:
            self.exchanges += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        await TokenExchangeEndpoint(_service(self, scope))(scope, receive, send)


def _service(harness: TokenServiceHarness, scope: dict[str, Any]) -> TokenService:
    """The sts branch's TokenService as the harness is set up now (tests change it)."""
    host, port = scope["server"]
    endpoint = f"http://{host}:{port}{scope['path']}"
    clients = [
        ServiceClient(
            client_id,
            public_jwks([key]),
            targets={aud for aud, allowed in harness.targets.items() if client_id in allowed},
        )
        for client_id, key in harness.clients.items()
    ]
    return TokenService(
        Minter(harness.sts_ring, issuer=STS, default_ttl=harness.ttl),
        ClientRegistry(clients, token_service=[STS, endpoint]),
        ExchangeRules(sorted(harness.targets) or ["-"]),
        trusted={EDGE: harness.edge_ring.public_jwks()},
        proofs=harness.proofs,
    )


@contextmanager
def token_service(harness: TokenServiceHarness) -> Iterator[str]:
    """Serve ``harness`` with uvicorn on 127.0.0.1; yields the token endpoint URL."""
    with asgi_server(harness) as url:
        yield f"{url}/token"
