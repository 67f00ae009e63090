"""The orders service behind nginx: it trusts only passports the edge signed.

Run: ``python service.py`` (listens on 127.0.0.1:8002, or ``$PORT``; the edge's keys
from ``$EDGE_URL``, default http://127.0.0.1:8001).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI

from passport_core import Passport
from passport_fastapi import PassportDep, require_role, setup_passport

EDGE_URL = os.environ.get("EDGE_URL", "http://127.0.0.1:8001")

app = FastAPI()
setup_passport(
    app,
    issuer="https://edge.example",
    audience="orders",
    jwks_url=f"{EDGE_URL}/.well-known/jwks.json",
)


@app.get("/orders")
def orders(passport: PassportDep) -> dict[str, Any]:
    return {"user": passport.subject, "roles": sorted(passport.roles), "orders": []}


@app.delete("/orders/{number}")
def cancel(
    number: int, passport: Annotated[Passport, Depends(require_role("admin"))]
) -> dict[str, Any]:
    return {"cancelled": number, "by": passport.subject}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8002")))
