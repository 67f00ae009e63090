"""The edge: API keys in, passports out, asked by nginx's ``auth_request`` before every request.

Run: ``python edge.py`` (listens on 127.0.0.1:8001, or ``$PORT``).
"""

from __future__ import annotations

import os

import uvicorn

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Audience,
    Edge,
    Identity,
    KeyRing,
    MintEndpoint,
    Minter,
    api_key_digest,
    enricher,
)

# The key store keeps digests only. In production: your database, looked up by digest.
KEYS = {api_key_digest("demo-key-alice"): "alice", api_key_digest("demo-key-bob"): "bob"}
# Where roles come from. In production: your directory, within the enricher's timeout.
ROLES = {"alice": ["clerk"], "bob": ["clerk", "admin"]}


def lookup(digest: str) -> APIKey | None:
    subject = KEYS.get(digest)
    return APIKey(digest, subject) if subject else None


@enricher(timeout=0.5)
def roles(identity: Identity) -> dict[str, list[str]]:
    return {"roles": ROLES.get(identity.subject, [])}


# A fresh key per start keeps the example self-contained; load a ring in production
# (KeyRing.load("ring.json"), rotated with `passport keys rotate`).
edge = Edge(
    Minter(KeyRing.generate("EdDSA"), issuer="https://edge.example"),
    authenticators=[APIKeyAuthenticator(lookup)],
    enrichers=[roles],
    audiences=[Audience("orders", fields={"roles"})],
)
app = MintEndpoint(edge)  # /auth mints, /.well-known/jwks.json publishes the keys

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8001")))
