"""The topmost service mints: it receives the caller's API key, not a passport.

``setup_passport(app, edge=...)`` runs the edge in-process: the key becomes the
request's passport (its policies, ``PassportDep``), and the outbound client
forwards that passport, never the key, to the orders service.

Run: ``python frontend.py`` (127.0.0.1:8200 or ``$PORT``; ``$ORDERS_URL``).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Audience,
    CommonData,
    Edge,
    KeyRing,
    Minter,
    api_key_digest,
)
from passport_fastapi import AsyncOutboundClient, PassportDep, setup_passport

ORDERS_URL = os.environ.get("ORDERS_URL", "http://127.0.0.1:8202")

# Digests only, with the roles each key carries; in production, your key store.
KEYS = {
    api_key_digest("demo-key-alice"): APIKey(
        api_key_digest("demo-key-alice"), "alice", CommonData(roles=frozenset({"clerk"}))
    ),
    api_key_digest("demo-key-bob"): APIKey(api_key_digest("demo-key-bob"), "bob"),
}


def lookup(digest: str) -> APIKey | None:
    return KEYS.get(digest)


# A fresh key per start keeps the example self-contained; load a ring in production.
ring = KeyRing.generate("EdDSA")
edge = Edge(
    Minter(ring, issuer="https://frontend.example"),
    authenticators=[APIKeyAuthenticator(lookup)],
    audiences=[Audience("orders", ttl=60)],
)

app = FastAPI()
setup_passport(
    app,
    edge=edge,  # mint here, from the caller's credential, instead of verifying
    publish=ring,  # serve /.well-known/jwks.json: the orders service verifies with it
    allowed_hosts=["127.0.0.1"],  # where the outbound client may take the passport
)


@app.get("/my-orders", response_model=None)
async def my_orders(
    passport: PassportDep, orders: AsyncOutboundClient
) -> dict[str, Any] | Response:
    answer = await orders.get(f"{ORDERS_URL}/orders", timeout=5)
    if answer.status_code != 200:  # the next hop's own policy refused: its problem, as is
        kept = {
            k: v for k, v in answer.headers.items() if k in ("content-type", "www-authenticate")
        }
        return Response(answer.content, status_code=answer.status_code, headers=kept)
    return {"user": passport.subject, "orders": answer.json()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8200")))
