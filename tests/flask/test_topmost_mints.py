"""Flask as the topmost service: ``PASSPORT_EDGE`` under werkzeug's real threaded server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from flask import Flask, g

from passport_core import ConfigurationError, get_passport_or_raise
from passport_flask import PassportExtension, current_passport, passport_required, require_role
from tests.conformance.test_conformance import _valid
from tests.topmost import recording_edge

from .conftest import live

pytestmark = pytest.mark.network


def _app(**config: Any) -> Flask:
    app = Flask("topmost")
    app.config.update(config)
    PassportExtension(app)

    @app.get("/me")
    @passport_required
    def me() -> dict[str, Any]:
        return {"g": g.passport.subject, "current": get_passport_or_raise().subject}

    @app.get("/async-admin")
    @require_role("admin")
    async def admin() -> dict[str, Any]:
        return {"subject": current_passport.subject}

    return app


def test_the_edge_setting_mints_the_passport_of_sync_and_async_views() -> None:
    edge, recorder = recording_edge()
    smuggled = _valid("mallory", roles=["admin"])
    with live(_app(PASSPORT_EDGE=edge)) as url, httpx.Client(base_url=url, timeout=5) as http:
        answer = http.get("/me", headers={"X-API-Key": "key-alice", "X-Passport": smuggled})
        assert answer.json() == {"g": "alice", "current": "alice"}
        assert http.get("/async-admin", headers={"X-API-Key": "key-carol"}).json() == {
            "subject": "carol"
        }
        denied = http.get(
            "/async-admin", headers={"X-API-Key": "key-alice", "X-Passport": smuggled}
        )
        assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
        missing = http.get("/me", headers={"X-Passport": smuggled})
        assert (missing.status_code, missing.json()["code"]) == (401, "missing_credential")
        assert missing.headers["www-authenticate"] == "Bearer"
    # Flask checks in the request's thread, before an async view runs: the sync side
    assert recorder.calls == ["sync", "sync"]


def test_a_wrong_edge_setting_names_the_flask_key() -> None:
    edge, _ = recording_edge()
    with pytest.raises(ConfigurationError, match="PASSPORT_EDGE"):
        _app(PASSPORT_EDGE="not-a-path")
    with pytest.raises(ConfigurationError, match="PASSPORT_EDGE"):
        _app(PASSPORT_EDGE=edge, PASSPORT_EDGE_AUDIENCE="inventory")
