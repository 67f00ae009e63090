"""The profile service: it signs, with its own key, a companion passport for one request.

``GET /companion`` with the primary passport answers, in ``X-Passport-Profile``,
a passport for the same subject carrying the profile this service owns, bound to
the primary's request by ``companion_claims`` (its ``txn``). Its keys are at
``/.well-known/jwks.json``; the edge's key never signs for it, nor its key for the edge.

Run: ``python profile_service.py`` (127.0.0.1:8301 or ``$PORT``; the edge's keys:
``$EDGE_URL``).
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

from passport_core import KeyRing, Minter, companion_claims
from passport_fastapi import PassportDep, setup_passport

EDGE_URL = os.environ.get("EDGE_URL", "http://127.0.0.1:8300")
#: what this service knows about its users; in production, its database
PROFILES = {"alice": {"name": "Alice", "email": "alice@example.com"}}
PERMISSIONS = {"alice": ["orders:read"]}

ring = KeyRing.generate("ES256")  # its own key, not the edge's
minter = Minter(ring, issuer="https://profile.example")

app = FastAPI()
setup_passport(
    app,
    issuer="https://edge.example",
    audience="profile",
    jwks_url=f"{EDGE_URL}/.well-known/jwks.json",
    publish=ring,  # the companions' keys, for the services that read them
)


@app.get("/companion")
def companion(passport: PassportDep) -> Response:
    token = minter.mint(
        passport.subject,
        audience="orders",
        ttl=60,
        profile=PROFILES.get(passport.subject, {}),
        permissions=PERMISSIONS.get(passport.subject, []),
        claims=companion_claims(passport),  # bound to this request: the primary's txn/jti
    )
    return Response(status_code=200, headers={"X-Passport-Profile": token})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8301")))
