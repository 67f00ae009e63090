"""The orders service: it reads the primary passport and the profile companion as one view.

Each is verified against its own issuer and keys; both must name the same subject
and the same request (``txn``), and the route sees their merged ``PassportBundle``.

Run: ``python orders.py`` (127.0.0.1:8302 or ``$PORT``; ``$EDGE_URL``, ``$PROFILE_URL``).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI

from passport_core import Passport
from passport_fastapi import require_permission, setup_passport

EDGE_URL = os.environ.get("EDGE_URL", "http://127.0.0.1:8300")
PROFILE_URL = os.environ.get("PROFILE_URL", "http://127.0.0.1:8301")

app = FastAPI()
setup_passport(
    app,
    issuer="https://edge.example",
    audience="orders",
    jwks_url=f"{EDGE_URL}/.well-known/jwks.json",
    companions={
        "X-Passport-Profile": {
            "issuer": "https://profile.example",
            "jwks_url": f"{PROFILE_URL}/.well-known/jwks.json",
        }
    },
)


@app.get("/orders")
def orders(
    passport: Annotated[Passport, Depends(require_permission("orders:read"))],
) -> dict[str, Any]:
    # roles from the edge, the permission and the profile from the profile service
    return {
        "user": passport.subject,
        "roles": sorted(passport.roles),
        "permissions": sorted(passport.permissions),
        "name": passport.profile["name"],
        "orders": [],
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8302")))
