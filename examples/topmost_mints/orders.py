"""The orders service (Flask): it verifies the passport the frontend minted and forwarded.

Run: ``python orders.py`` (127.0.0.1:8202 or ``$PORT``; keys from ``$FRONTEND_URL``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, g

from passport_flask import PassportExtension, require_role

FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://127.0.0.1:8200")

app = Flask("orders")
app.config.update(
    PASSPORT_ISSUER="https://frontend.example",
    PASSPORT_AUDIENCE="orders",
    PASSPORT_JWKS_URL=f"{FRONTEND_URL}/.well-known/jwks.json",
)
PassportExtension(app)


@app.get("/orders")
@require_role("clerk")
def orders() -> list[dict[str, Any]]:
    return [{"number": 1, "owner": g.passport.subject}]


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8202")))
