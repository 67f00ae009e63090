"""The edge as a gateway: it gathers common data once and shapes it per downstream audience.

Roles and profile come from the directory over HTTP (``HTTPEnricher``), the tenant from
a function (``@enricher``); both run concurrently, each within its timeout. ``orders``
sees the roles and the name, ``billing`` the tenant and the plan.

Run: ``python edge.py`` (127.0.0.1:8400 or ``$PORT``; ``$DIRECTORY_URL``, ``$ORDERS_URL``,
``$BILLING_URL``, ``$DIRECTORY_TOKEN``).
"""

from __future__ import annotations

import os

import uvicorn

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    Audience,
    Edge,
    EdgeGateway,
    HTTPEnricher,
    Identity,
    KeyRing,
    Minter,
    Upstream,
    api_key_digest,
    enricher,
)

DIRECTORY_URL = os.environ.get("DIRECTORY_URL", "http://127.0.0.1:8401")
ORDERS_URL = os.environ.get("ORDERS_URL", "http://127.0.0.1:8402")
BILLING_URL = os.environ.get("BILLING_URL", "http://127.0.0.1:8403")
DIRECTORY_TOKEN = os.environ.get("DIRECTORY_TOKEN", "demo-directory-token")

KEYS = {api_key_digest("demo-key-alice"): "alice", api_key_digest("demo-key-bob"): "bob"}
TENANTS = {"alice": "acme"}


def lookup(digest: str) -> APIKey | None:
    subject = KEYS.get(digest)
    return APIKey(digest, subject) if subject else None


directory = HTTPEnricher(
    f"{DIRECTORY_URL}/users/{{subject}}",
    name="directory",
    headers={"Authorization": f"Bearer {DIRECTORY_TOKEN}"},  # the edge's own credential
    timeout=1.0,
)


@enricher(timeout=0.5)
def tenant(identity: Identity) -> dict[str, str]:
    return {"tenant": TENANTS[identity.subject]} if identity.subject in TENANTS else {}


edge = Edge(
    Minter(KeyRing.generate("EdDSA"), issuer="https://edge.example"),  # load a ring in production
    authenticators=[APIKeyAuthenticator(lookup)],
    enrichers=[directory, tenant],
    audiences=[
        Audience("orders", fields={"roles", "profile"}, profile={"name"}),
        Audience("billing", fields={"tenant", "profile"}, profile={"plan"}),
    ],
)
app = EdgeGateway(
    edge,
    routes={
        "/orders/": Upstream(ORDERS_URL, audience="orders", strip_prefix=True, timeout=5),
        "/billing/": Upstream(BILLING_URL, audience="billing", strip_prefix=True, timeout=5),
    },
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8400")))
