"""The token service: a caller's credential in, the passport for one audience out.

``GET /auth?audience=orders`` with the caller's ``X-API-Key`` answers 200 with the
passport in ``X-Passport`` (or 401/403/503 with problem details); the keys that verify
it are at ``/.well-known/jwks.json``.

Run: ``python token_service.py`` (listens on 127.0.0.1:8101, or ``$PORT``).
"""

from __future__ import annotations

import os

import uvicorn

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Audience,
    Edge,
    KeyRing,
    MintEndpoint,
    Minter,
    api_key_digest,
)

# Digests only; in production, your key store.
KEYS = {
    api_key_digest("demo-key-alice"): APIKey(api_key_digest("demo-key-alice"), "alice"),
}


def lookup(digest: str) -> APIKey | None:
    return KEYS.get(digest)


edge = Edge(
    Minter(KeyRing.generate("EdDSA"), issuer="https://tokens.example"),
    authenticators=[APIKeyAuthenticator(lookup)],
    audiences=[Audience("orders", ttl=60)],
)
app = MintEndpoint(edge)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8101")))
