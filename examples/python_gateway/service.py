"""A service behind ``passport edge``: it verifies with the gateway's published keys.

The same file runs as ``orders`` and as ``billing`` (``$AUDIENCE``).

Run: ``AUDIENCE=orders PORT=8501 python service.py`` (the gateway's keys from
``$EDGE_URL``, default http://127.0.0.1:8500).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Request

from passport_core import Passport
from passport_fastapi import PassportDep, require_role, setup_passport

AUDIENCE = os.environ.get("AUDIENCE", "orders")
EDGE_URL = os.environ.get("EDGE_URL", "http://127.0.0.1:8500")

app = FastAPI()
setup_passport(
    app,
    issuer="https://edge.example",
    audience=AUDIENCE,
    jwks_url=f"{EDGE_URL}/.well-known/jwks.json",
)


@app.get("/{path:path}")
def whoami(passport: PassportDep, request: Request) -> dict[str, Any]:
    return {
        "service": AUDIENCE,
        "path": request.url.path,
        "user": passport.subject,
        "roles": sorted(passport.roles),
        "tenant": passport.tenant,
    }


@app.delete("/{path:path}")
def remove(
    request: Request, passport: Annotated[Passport, Depends(require_role("admin"))]
) -> dict[str, Any]:
    return {"service": AUDIENCE, "removed": request.url.path, "by": passport.subject}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8501")))
