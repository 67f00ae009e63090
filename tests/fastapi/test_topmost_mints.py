"""FastAPI as the topmost service: ``setup_passport(app, edge=edge)`` under a real uvicorn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from passport_core import ConfigurationError, Passport, Verifier, get_passport_or_raise
from passport_fastapi import OptionalPassportDep, PassportDep, setup_passport
from tests.conformance.apps import ISSUER, RING
from tests.conformance.test_conformance import _valid
from tests.servers import asgi_server
from tests.topmost import recording_edge

pytestmark = pytest.mark.network

BILLING = Verifier(keys=RING.public_jwks(), issuer=ISSUER, audience="billing")


def _view(passport: Passport) -> dict[str, Any]:
    current = get_passport_or_raise()
    return {"subject": passport.subject, "current": current.subject, "token": current.token}


def test_sync_and_async_routes_see_the_passport_minted_for_the_caller() -> None:
    edge, recorder = recording_edge()
    app = FastAPI()
    setup_passport(app, edge=edge, edge_audience="billing")

    @app.get("/async")
    async def async_route(passport: PassportDep) -> dict[str, Any]:
        return _view(passport)

    @app.get("/sync")
    def sync_route(passport: PassportDep) -> dict[str, Any]:
        return _view(passport)

    @app.get("/optional")
    def optional(passport: OptionalPassportDep) -> dict[str, Any]:
        return {"subject": passport.subject if passport else None}

    smuggled = _valid("mallory", roles=["admin"])
    with asgi_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        for path in ("/async", "/sync"):
            answer = client.get(path, headers={"X-API-Key": "key-alice", "X-Passport": smuggled})
            assert answer.status_code == 200
            body = answer.json()
            assert (body["subject"], body["current"]) == ("alice", "alice")
            assert body["token"] != smuggled
            # a genuine passport for the next hop, the billing service
            minted = BILLING.verify(body["token"])
            assert (minted.subject, minted.audience) == ("alice", ("billing",))
        # the dependency is async: the edge never blocked the event loop
        assert recorder.calls == ["async"]  # the second request was served from the mint cache
        refused = client.get("/sync", headers={"X-Passport": smuggled})
        assert (refused.status_code, refused.json()["code"]) == (401, "missing_credential")
        assert client.get("/optional").json() == {"subject": None}


def test_an_audience_the_edge_does_not_serve_is_refused_at_setup() -> None:
    edge, _ = recording_edge()
    with pytest.raises(ConfigurationError, match="inventory"):
        setup_passport(FastAPI(), edge=edge, edge_audience="inventory")
