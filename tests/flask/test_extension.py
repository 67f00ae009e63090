"""The extension: settings, the factory pattern, error handlers, JWKS, the request context."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, copy_current_request_context, g
from flask.globals import app_ctx
from flask.testing import FlaskClient

from passport_core import (
    ConfigurationError,
    KeyRing,
    PassportError,
    PermissionDenied,
    get_passport,
    use_passport,
)
from passport_flask import (
    EXTENSION_NAME,
    PassportExtension,
    outbound_client,
    passport_required,
    verify_request,
)

from .conftest import AUDIENCE, AppFactory, Mint, build_app, settings


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PASSPORT_FOO": 1}, "PASSPORT_FOO"),
        ({"PASSPORT_AUDIENCE": ...}, "no PASSPORT_AUDIENCE"),
        ({"PASSPORT_AUDIENCE": ""}, "no PASSPORT_AUDIENCE"),
        ({"PASSPORT_ISSUER": ...}, "no PASSPORT_ISSUER"),
        ({"PASSPORT_JWKS": ...}, "PASSPORT_JWKS_URL"),
        ({"PASSPORT_JWKS_FILE": "/nonexistent/jwks.json"}, "PASSPORT_JWKS_FILE"),
        ({"PASSPORT_ALLOWED_HOSTS": "stock.internal"}, "PASSPORT_ALLOWED_HOSTS"),
        ({"PASSPORT_ALLOWED_HOSTS": ["https://stock.internal/x"]}, "invalid allowed host"),
        ({"PASSPORT_HEADER": ""}, "header name"),
        ({"PASSPORT_HEADER": "Authorization"}, "PASSPORT_BEARER"),
        ({"PASSPORT_HEADER": None, "PASSPORT_BEARER": False}, "Bearer"),
        ({"PASSPORT_LEEWAY": 10_000}, "PASSPORT_LEEWAY must be between"),
        ({"PASSPORT_LEEWAY": "thirty"}, "PASSPORT_LEEWAY must be a number"),
        ({"PASSPORT_MAX_TOKEN_BYTES": 10}, "PASSPORT_MAX_TOKEN_BYTES below 256"),
        ({"PASSPORT_JWKS_URL": "http://127.0.0.1:9/jwks.json"}, "several key settings"),
        ({"PASSPORT_JWKS": ..., "PASSPORT_JWKS_URL": "http://keys.example/j"}, "https"),
    ],
)
def test_bad_settings_fail_at_init_app_naming_the_setting(
    ring: KeyRing, overrides: dict[str, Any], message: str
) -> None:
    app = Flask("orders")
    app.config.update(settings(ring, **overrides))
    extension = PassportExtension()
    with pytest.raises(ConfigurationError, match=message) as caught:
        extension.init_app(app)
    assert "'orders'" in caught.value.message
    # A failed init_app leaves nothing half-registered.
    assert EXTENSION_NAME not in app.extensions
    assert not app.before_request_funcs


def test_jwks_url_setting_builds_a_remote_key_source(ring: KeyRing) -> None:
    # Loopback http is allowed; keys are fetched on first use, not at start-up.
    app = Flask("orders")
    app.config.update(settings(ring, PASSPORT_JWKS=..., PASSPORT_JWKS_URL="http://127.0.0.1:9/j"))
    PassportExtension(app)
    assert app.extensions[EXTENSION_NAME].settings(app).jwks_url == "http://127.0.0.1:9/j"


def test_jwks_file_setting(ring: KeyRing, tmp_path: Path, mint: Mint) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(ring.public_jwks()))
    app = build_app(settings(ring, PASSPORT_JWKS=..., PASSPORT_JWKS_FILE=str(path)))
    assert app.test_client().get("/required", headers={"X-Passport": mint()}).status_code == 200


def test_unknown_keyword_override_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="audiance"):
        PassportExtension(audiance="orders")


def test_keyword_overrides_win_over_app_config(ring: KeyRing, mint: Mint) -> None:
    app = Flask("orders")
    app.config.update(settings(ring, PASSPORT_AUDIENCE="billing", PASSPORT_JWKS=...))
    PassportExtension(app, audience=AUDIENCE, keys=ring)
    assert app.extensions[EXTENSION_NAME].settings(app).audience == (AUDIENCE,)


def test_one_extension_serves_several_apps_with_their_own_settings(
    ring: KeyRing, mint: Mint
) -> None:
    extension = PassportExtension()  # module level in a real app
    orders = build_app(settings(ring), extension)
    billing = build_app(settings(ring, PASSPORT_AUDIENCE="billing"), extension)
    assert orders.extensions[EXTENSION_NAME] is extension
    assert billing.extensions[EXTENSION_NAME] is extension
    for_orders = {"X-Passport": mint(audience=AUDIENCE)}
    assert orders.test_client().get("/required", headers=for_orders).status_code == 200
    refused = billing.test_client().get("/required", headers=for_orders)
    assert refused.json["code"] == "invalid_audience"  # type: ignore[index]
    assert extension.settings(billing).audience == ("billing",)


def test_init_app_twice_is_refused(app: Flask) -> None:
    with pytest.raises(ConfigurationError, match="already"):
        PassportExtension().init_app(app)


def test_using_the_extension_on_an_app_without_init_app_is_a_clear_error(
    mint: Mint,
) -> None:
    app = Flask("forgotten")
    app.testing = True  # let the error reach the test

    @app.get("/")
    @passport_required
    def index() -> str:
        return "never"

    @app.get("/out")
    def out() -> str:
        outbound_client()
        return "never"

    client = app.test_client()
    for path in ("/", "/out"):
        with pytest.raises(ConfigurationError, match=r"not initialised on app 'forgotten'"):
            client.get(path, headers={"X-Passport": mint()})


def test_another_apps_extension_does_not_count(ring: KeyRing) -> None:
    extension = PassportExtension()
    build_app(settings(ring), extension)
    stranger = Flask("stranger")
    with pytest.raises(ConfigurationError, match="not initialised"):
        extension.settings(stranger)
    # An app another extension instance set up: its settings are that instance's to give.
    other = build_app(settings(ring, PASSPORT_AUDIENCE="billing"), PassportExtension())
    with pytest.raises(ConfigurationError, match="another PassportExtension"):
        extension.settings(other)
    assert other.extensions[EXTENSION_NAME].settings(other).audience == ("billing",)


def test_app_handler_registered_after_init_app_replaces_the_problem_answer(
    app: Flask, client: FlaskClient
) -> None:
    @app.errorhandler(PassportError)
    def mine(error: PassportError) -> tuple[dict[str, Any], int]:
        return {"mine": error.code}, error.status

    response = client.get("/required")
    assert response.status_code == 401
    assert response.json == {"mine": "missing_token"}


def test_handler_for_a_subclass_changes_only_that_error(
    app: Flask, client: FlaskClient, mint: Mint
) -> None:
    @app.errorhandler(PermissionDenied)
    def denied(error: PermissionDenied) -> tuple[str, int]:
        return "go away", 403

    forbidden = client.get("/admin", headers={"X-Passport": mint(roles=[])})
    assert (forbidden.status_code, forbidden.get_data(as_text=True)) == (403, "go away")
    assert client.get("/admin").content_type == "application/problem+json"


def test_handler_registered_before_init_app_is_kept(ring: KeyRing) -> None:
    app = Flask("orders")
    app.config.update(settings(ring))

    @app.errorhandler(PassportError)
    def mine(error: PassportError) -> tuple[str, int]:
        return f"custom {error.code}", error.status

    @app.get("/")
    @passport_required
    def index() -> str:
        return "never"

    PassportExtension(app)
    response = app.test_client().get("/")
    assert (response.status_code, response.get_data(as_text=True)) == (401, "custom missing_token")


def test_subclass_can_override_error_response(ring: KeyRing) -> None:
    class TeapotExtension(PassportExtension):
        def error_response(self, error: PassportError) -> Response:
            return Response(error.code, status=418)

    app = build_app(settings(ring), TeapotExtension())
    response = app.test_client().get("/required")
    assert (response.status_code, response.get_data(as_text=True)) == (418, "missing_token")


def test_jwks_is_published_with_public_keys_only(make_app: AppFactory, ring: KeyRing) -> None:
    response = make_app(PASSPORT_PUBLISH=ring).test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.content_type == "application/jwk-set+json"
    assert response.get_json(force=True) == ring.public_jwks()
    assert all("d" not in key for key in response.get_json(force=True)["keys"])


def test_a_ring_jwks_is_cached_no_longer_than_its_publish_delay(make_app: AppFactory) -> None:
    own = KeyRing.generate("EdDSA", publish_delay=45)
    response = make_app(PASSPORT_PUBLISH=own).test_client().get("/.well-known/jwks.json")
    assert response.headers["Cache-Control"] == "public, max-age=45"
    default = make_app(PASSPORT_PUBLISH=KeyRing.generate("EdDSA")).test_client()
    assert default.get("/.well-known/jwks.json").headers["Cache-Control"] == "public, max-age=300"


def test_jwks_follows_key_rotation(make_app: AppFactory) -> None:
    own = KeyRing.generate("EdDSA")
    client = make_app(PASSPORT_PUBLISH=own).test_client()
    own.prepare()  # an immediate rotation: this test is about what follows
    own.promote(force=True)
    kids = {key["kid"] for key in client.get("/.well-known/jwks.json").get_json(force=True)["keys"]}
    assert kids == {key.kid for key in own.keys}
    assert len(kids) == 2


def test_no_jwks_without_publish(client: FlaskClient) -> None:
    assert client.get("/.well-known/jwks.json").status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [("/required", 200), ("/async", 200), ("/denied-inside", 403), ("/boom", 500)],
)
def test_context_is_reset_after_the_request(
    client: FlaskClient, mint: Mint, path: str, status: int
) -> None:
    # The test client runs the app in this thread and context: a passport that
    # was not reset would still be visible here.
    assert get_passport() is None
    assert client.get(path, headers={"X-Passport": mint("alice")}).status_code == status
    assert get_passport() is None


def test_context_is_reset_when_the_exception_propagates(app: Flask, mint: Mint) -> None:
    app.testing = True
    with pytest.raises(RuntimeError, match="the view failed"):
        app.test_client().get("/boom", headers={"X-Passport": mint("alice")})
    assert get_passport() is None


def test_context_restores_what_was_there_before(
    client: FlaskClient, mint: Mint, app: Flask
) -> None:
    with app.test_request_context(headers={"X-Passport": mint("outer")}):
        outer = verify_request()
    assert get_passport() is None  # the request context's teardown reset it
    with use_passport(outer):
        assert client.get("/required", headers={"X-Passport": mint("bob")}).json == {
            "g": "bob",
            "current": "bob",
            "context": "bob",
        }
        assert get_passport() is outer


def test_copied_request_context_torn_down_in_another_thread_keeps_the_passport(
    app: Flask, mint: Mint
) -> None:
    # A worker that shares the request's app context (and so its ``g``) and runs a
    # copy of the request context: the copy's teardown runs in the worker and must
    # leave the passport of the original request alone.
    seen: list[object] = []
    failures: list[BaseException] = []
    with app.test_request_context(headers={"X-Passport": mint("alice")}):
        passport = verify_request()
        shared_app_context = app_ctx._get_current_object()  # type: ignore[attr-defined]

        @copy_current_request_context
        def in_copy() -> None:
            seen.append(g.get("passport"))

        def worker() -> None:
            try:
                with shared_app_context:
                    in_copy()
            except BaseException as error:  # noqa: BLE001 - reported to the test below
                failures.append(error)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=5)
        assert failures == []
        assert seen == [passport]
        assert get_passport() is passport
    assert get_passport() is None


def test_an_async_view_that_verifies_leaves_nothing_current_after_the_request(
    app: Flask, mint: Mint
) -> None:
    # asgiref runs the async view in another thread and copies its context back.
    @app.get("/async-verify")
    async def async_verify() -> dict[str, str]:
        return {"sub": verify_request().subject}

    @app.get("/what-is-current")
    def what_is_current() -> dict[str, str | None]:
        current = get_passport()
        return {"current": current.subject if current else None}

    client = app.test_client()
    assert client.get("/async-verify", headers={"X-Passport": mint("alice")}).json == {
        "sub": "alice"
    }
    assert get_passport() is None
    assert client.get("/what-is-current").json == {"current": None}


def test_a_refused_setting_is_named_as_data_and_in_flask_terms(ring: KeyRing) -> None:
    app = Flask("orders")
    app.config.update(settings(ring, PASSPORT_LEEWAY="thirty"))
    with pytest.raises(ConfigurationError) as caught:
        PassportExtension(app)
    assert caught.value.setting == "leeway"
    assert "PASSPORT_LEEWAY must be a number" in caught.value.message
    assert "'leeway'" not in caught.value.message
