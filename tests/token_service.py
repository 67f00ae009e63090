"""A token service on 127.0.0.1 for exchange tests, with a server-side request counter.

``TokenServiceHarness`` wraps the token service's ASGI app: it counts the
exchange requests that reach it and can hold each one (``delay``) so that
concurrent callers overlap. STAND-IN: until the ``sts`` branch's
``TokenExchangeEndpoint`` is merged, ``_stand_in_app`` answers RFC 8693
§2.2 itself (verify the subject, mint for the audience with ``act``).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from passport_core import (
    AuthenticationError,
    Key,
    KeyRing,
    Minter,
    Verifier,
    generate_key,
    public_jwks,
)
from tests.servers import asgi_server

EDGE = "https://edge.test"
STS = "https://sts.test"
GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"


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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, client_id: str) -> Key:
        key = self.clients.get(client_id)
        if key is None:
            key = self.clients[client_id] = generate_key("EdDSA", kid=f"{client_id}-1")
        return key

    def edge_passport(self, subject: str, audience: str) -> str:
        return Minter(self.edge_ring, issuer=EDGE).mint(subject, audience=audience)

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
        await _stand_in_app(self, scope, receive, send)


async def _answer(send: Any, status: int, document: dict[str, Any]) -> None:
    body = json.dumps(document).encode()
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _client_authenticated(
    harness: TokenServiceHarness, scope: dict[str, Any], client_id: str, assertion: str
) -> bool:
    """RFC 7523 §3: the assertion is signed by the client's key, iss = sub = client, aud = us."""
    key = harness.clients.get(client_id)
    if key is None:
        return False
    host, port = scope["server"]
    endpoint = f"http://{host}:{port}{scope['path']}"
    verifier = Verifier(keys=public_jwks([key]), issuer=client_id, audience=endpoint, typ="JWT")
    try:
        return verifier.verify(assertion).subject == client_id
    except AuthenticationError:
        return False


async def _stand_in_app(
    harness: TokenServiceHarness, scope: dict[str, Any], receive: Any, send: Any
) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    client_id = form.get("client_id", "")
    if not _client_authenticated(harness, scope, client_id, form.get("client_assertion", "")):
        await _answer(send, 401, {"error": "invalid_client"})
        return
    if form.get("grant_type") != GRANT or form.get("subject_token_type") != JWT:
        await _answer(send, 400, {"error": "invalid_request"})
        return
    audience = form.get("audience", "")
    if client_id not in harness.targets.get(audience, set()):
        await _answer(send, 400, {"error": "invalid_target"})
        return
    try:
        # The subject passport must be addressed to the client that exchanges it.
        subject = harness.verifier(client_id).verify(form.get("subject_token", ""))
    except AuthenticationError:
        await _answer(send, 400, {"error": "invalid_grant"})
        return
    act: dict[str, Any] = {"sub": client_id}
    previous = subject.claims.get("act")
    if previous:
        act["act"] = dict(previous)
    token = Minter(harness.sts_ring, issuer=STS).mint(
        subject.subject, audience=audience, ttl=harness.ttl, actor=act
    )
    await _answer(
        send,
        200,
        {
            "access_token": token,
            "issued_token_type": JWT,
            "token_type": "N_A",
            "expires_in": int(harness.ttl),
        },
    )


@contextmanager
def token_service(harness: TokenServiceHarness) -> Iterator[str]:
    """Serve ``harness`` with uvicorn on 127.0.0.1; yields the token endpoint URL."""
    with asgi_server(harness) as url:
        yield f"{url}/token"
