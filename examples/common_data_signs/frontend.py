"""The frontend: the edge mints the primary passport, the profile service adds its own.

The caller's API key becomes the primary passport in-process (``edge=``); the
profile service is asked for its companion passport for this request; orders is
called with both.

Run: ``python frontend.py`` (127.0.0.1:8300 or ``$PORT``; ``$PROFILE_URL``, ``$ORDERS_URL``).
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

PROFILE_URL = os.environ.get("PROFILE_URL", "http://127.0.0.1:8301")
ORDERS_URL = os.environ.get("ORDERS_URL", "http://127.0.0.1:8302")
COMPANION_HEADER = "X-Passport-Profile"

# Digests only; the edge knows who holds a key and their roles, nothing of their profile.
KEYS = {
    api_key_digest("demo-key-alice"): APIKey(
        api_key_digest("demo-key-alice"), "alice", CommonData(roles=frozenset({"clerk"}))
    ),
}


def lookup(digest: str) -> APIKey | None:
    return KEYS.get(digest)


ring = KeyRing.generate("EdDSA")  # load a ring in production
edge = Edge(
    Minter(ring, issuer="https://edge.example"),
    authenticators=[APIKeyAuthenticator(lookup)],
    # one primary passport for both hops: each verifies its own name in `aud`
    audiences=[Audience("orders", recipients=["orders", "profile"], ttl=60)],
)

app = FastAPI()
setup_passport(app, edge=edge, publish=ring, allowed_hosts=["127.0.0.1"])


def _relay(answer: Any) -> Response:
    kept = {k: v for k, v in answer.headers.items() if k in ("content-type", "www-authenticate")}
    return Response(answer.content, status_code=answer.status_code, headers=kept)


@app.get("/my-orders")
async def my_orders(passport: PassportDep, http: AsyncOutboundClient) -> Response:
    # PassportDep mints (401 without a key); the outbound client forwards it to both services
    signed = await http.get(f"{PROFILE_URL}/companion", timeout=5)
    if signed.status_code != 200:
        return _relay(signed)
    companion = {COMPANION_HEADER: signed.headers[COMPANION_HEADER]}
    return _relay(await http.get(f"{ORDERS_URL}/orders", headers=companion, timeout=5))


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8300")))
