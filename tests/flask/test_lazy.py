"""Nothing is verified until a view asks; where one asks, every bad passport is still refused;
what one request made current never reaches the next one its thread serves."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from flask import Flask, g
from flask.ctx import _AppCtxGlobals
from werkzeug.serving import make_server

from passport_core import KeyRing, get_passport
from passport_flask import PassportExtension, verify_request
from tests.servers import in_thread

from .conftest import AppFactory, Mint, settings

#: headers that no view asking for a passport may accept
GARBAGE: dict[str, dict[str, str]] = {
    "garbage passport": {"X-Passport": "garbage"},
    "garbage bearer": {"Authorization": "Bearer garbage"},
    "another scheme": {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    "three dots": {"X-Passport": "a.b.c"},
    "folded twice": {"X-Passport": "a.b.c, d.e.f"},
    "bearer and header": {"X-Passport": "a.b.c", "Authorization": "Bearer d.e.f"},
}


@pytest.fixture
def bearer_app(make_app: AppFactory) -> Flask:
    """The test app reading ``X-Passport`` and ``Authorization: Bearer`` both."""
    app = make_app(PASSPORT_BEARER=True)

    @app.get("/asks")
    def asks() -> dict[str, Any]:
        # A view that calls verify_request itself, without a decorator.
        passport = verify_request(required=False)
        return {"subject": passport.subject if passport else None}

    return app


@pytest.mark.parametrize("case", list(GARBAGE))
def test_an_open_view_answers_200_and_verifies_nothing(
    bearer_app: Flask, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="passport_core"):
        response = bearer_app.test_client().get("/public", headers=GARBAGE[case])
    assert (response.status_code, response.json) == (200, {"g": None, "context": None})
    assert "passport refused" not in caplog.text  # the gate was never asked


@pytest.mark.parametrize("case", [case for case in GARBAGE if case != "another scheme"])
@pytest.mark.parametrize("path", ["/required", "/optional", "/admin", "/staff/desk", "/lobby/"])
def test_every_view_that_asks_refuses_them_with_401(
    bearer_app: Flask, case: str, path: str
) -> None:
    response = bearer_app.test_client().get(path, headers=GARBAGE[case])
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("case", [case for case in GARBAGE if case != "another scheme"])
def test_verify_request_in_a_plain_view_refuses_them_with_401(bearer_app: Flask, case: str) -> None:
    assert bearer_app.test_client().get("/asks", headers=GARBAGE[case]).status_code == 401


def test_another_scheme_is_no_passport(bearer_app: Flask) -> None:
    client = bearer_app.test_client()
    headers = GARBAGE["another scheme"]
    assert client.get("/asks", headers=headers).json == {"subject": None}
    assert client.get("/required", headers=headers).json["code"] == "missing_token"


def test_g_passport_is_none_in_every_view_until_one_asks(app: Flask, mint: Mint) -> None:
    with app.test_request_context(headers={"X-Passport": mint("alice")}):
        assert g.passport is None
        assert g.get("passport") is None
        assert verify_request().subject == "alice"  # type: ignore[union-attr]
        assert g.passport.subject == "alice"
    with app.test_request_context():
        assert g.passport is None  # a new request starts empty again


def test_the_apps_own_globals_class_is_kept(ring: KeyRing) -> None:
    class Globals(_AppCtxGlobals):
        tenant = "acme"

    app = Flask("custom")
    app.app_ctx_globals_class = Globals
    app.config.update(settings(ring))
    PassportExtension(app)
    with app.test_request_context():
        assert isinstance(g._get_current_object(), Globals)
        assert g.tenant == "acme"
        assert g.passport is None


def test_one_thread_serving_request_after_request_never_leaks_a_passport(
    app: Flask, mint: Mint
) -> None:
    # Like gunicorn's sync worker: one thread serves every request, one after the other.
    server = make_server("127.0.0.1", 0, app, threaded=False)
    alice, bob = mint("alice"), mint("bob", roles=["admin"])
    with in_thread(server) as url, httpx.Client(base_url=url, timeout=5) as http:
        for _ in range(3):
            assert http.get("/required", headers={"X-Passport": alice}).json()["context"] == "alice"
            assert http.get("/public", headers={"X-Passport": alice}).json() == {
                "g": None,
                "context": None,
            }
            assert http.get("/optional").json() == {"g": None, "context": None}
            assert http.get("/required", headers={"X-Passport": "garbage"}).status_code == 401
            assert http.get("/public").json() == {"g": None, "context": None}
            assert http.get("/admin", headers={"X-Passport": bob}).json() == {"g": "bob"}
            assert http.get("/boom", headers={"X-Passport": bob}).status_code == 500
            assert http.get("/optional").json() == {"g": None, "context": None}
    assert get_passport() is None
