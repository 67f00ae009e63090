"""A downstream service behind the edge: it answers what its passport lets it see.

The same file runs as ``orders`` and as ``billing`` (``$AUDIENCE``).

Run: ``AUDIENCE=orders python service.py`` (127.0.0.1:8402 or ``$PORT``; the edge's keys
from ``$EDGE_URL``).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI

from passport_fastapi import PassportDep, setup_passport

AUDIENCE = os.environ.get("AUDIENCE", "orders")
EDGE_URL = os.environ.get("EDGE_URL", "http://127.0.0.1:8400")

app = FastAPI()
setup_passport(
    app,
    issuer="https://edge.example",
    audience=AUDIENCE,
    jwks_url=f"{EDGE_URL}/.well-known/jwks.json",
)


@app.get("/whoami")
def whoami(passport: PassportDep) -> dict[str, Any]:
    return {
        "service": AUDIENCE,
        "user": passport.subject,
        "roles": sorted(passport.roles),
        "tenant": passport.tenant,
        "profile": dict(passport.profile),
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8402")))
