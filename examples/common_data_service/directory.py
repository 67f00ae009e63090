"""The common data service: profile and roles by subject, for the edge only.

``GET /users/{subject}`` answers ``{"roles": [...], "profile": {...}}``; it asks for the
edge's service credential (``Authorization: Bearer $DIRECTORY_TOKEN``).

Run: ``python directory.py`` (127.0.0.1:8401 or ``$PORT``).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException

DIRECTORY_TOKEN = os.environ.get("DIRECTORY_TOKEN", "demo-directory-token")
#: in production, your directory or user database
USERS: dict[str, dict[str, Any]] = {
    "alice": {
        "roles": ["clerk"],
        "profile": {"name": "Alice", "email": "alice@example.com", "plan": "pro"},
    },
}

app = FastAPI()


@app.get("/users/{subject}")
def user(subject: str, authorization: str = Header(default="")) -> dict[str, Any]:
    if authorization != f"Bearer {DIRECTORY_TOKEN}":
        raise HTTPException(status_code=401)
    found = USERS.get(subject)
    if found is None:
        raise HTTPException(status_code=404)
    return found


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8401")))
