"""The orders service: verifies passports with the token service's published keys.

Run: ``python orders.py`` (127.0.0.1:8102 or ``$PORT``; keys from ``$TOKEN_SERVICE_URL``).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI

from passport_fastapi import PassportDep, setup_passport

TOKEN_SERVICE_URL = os.environ.get("TOKEN_SERVICE_URL", "http://127.0.0.1:8101")

app = FastAPI()
setup_passport(
    app,
    issuer="https://tokens.example",
    audience="orders",
    jwks_url=f"{TOKEN_SERVICE_URL}/.well-known/jwks.json",
)


@app.get("/orders")
def orders(passport: PassportDep) -> dict[str, Any]:
    return {"user": passport.subject, "orders": []}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8102")))
