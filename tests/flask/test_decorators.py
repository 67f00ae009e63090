"""Decorators, optional and required modes, every failure answer, blueprint protection."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Blueprint, g
from flask.testing import FlaskClient
from werkzeug.local import LocalProxy
from werkzeug.test import TestResponse

from passport_core import ConfigurationError, KeyRing, NoPassport, Passport, PassportBundle
from passport_core import require_role as role
from passport_core.verify.bundle import Companions
from passport_flask import (
    current_passport,
    passport_required,
    protect,
    require_policy,
    require_role,
)

from .conftest import AUDIENCE, AppFactory, Mint, build_app, settings

PROBLEM = "application/problem+json"


def assert_problem(response: TestResponse, status: int, code: str, token: str = "") -> None:
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert response.headers["Cache-Control"] == "no-store"
    if token:
        assert token not in response.get_data(as_text=True)
        assert all(token not in value for _, value in response.headers.items())


@pytest.mark.parametrize("path", ["/required", "/async"])
def test_required_view_gets_the_passport_on_g_current_passport_and_context(
    client: FlaskClient, mint: Mint, path: str
) -> None:
    response = client.get(path, headers={"X-Passport": mint("alice")})
    assert response.status_code == 200
    assert response.json == {"g": "alice", "current": "alice", "context": "alice"}


@pytest.mark.parametrize("path", ["/required", "/async", "/admin", "/policy", "/staff/desk"])
def test_missing_passport_is_401_with_a_bare_bearer_challenge(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert_problem(response, 401, "missing_token")
    # RFC 6750 §3.1: no error code when the request carried no credentials.
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("garbage", "malformed_token"),
        ("expired", "token_expired"),
        ("wrong_audience", "invalid_audience"),
        ("forged", "bad_signature"),
        ("huge", "token_too_large"),
    ],
)
@pytest.mark.parametrize("path", ["/required", "/optional", "/async", "/lobby/"])
def test_bad_passport_is_401_invalid_token_in_required_and_optional_mode(
    client: FlaskClient,
    mint: Mint,
    expired_token: str,
    forged_token: str,
    kind: str,
    code: str,
    path: str,
) -> None:
    token = {
        "garbage": "not-a-passport",
        "expired": expired_token,
        "wrong_audience": mint("alice", audience="billing"),
        "forged": forged_token,
        # a minter refuses so large a passport; a signed one is still a forged one here
        "huge": "x" * 9000,
    }[kind]
    response = client.get(path, headers={"X-Passport": token})
    assert_problem(response, 401, code, token)
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("path", ["/required", "/optional"])
def test_duplicate_passport_headers_are_401_duplicate_token(
    client: FlaskClient, mint: Mint, path: str
) -> None:
    first, second = mint("alice"), mint("bob")
    response = client.get(path, headers=[("X-Passport", first), ("X-Passport", second)])
    assert_problem(response, 401, "duplicate_token", first)
    assert second not in response.get_data(as_text=True)


def test_refused_passport_is_logged_by_fingerprint_never_by_value(
    client: FlaskClient, forged_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.get("/required", headers={"X-Passport": forged_token})
    assert "bad_signature" in caplog.text
    assert forged_token not in caplog.text
    assert forged_token.split(".")[2] not in caplog.text


@pytest.mark.parametrize("path", ["/optional", "/lobby/"])
def test_optional_view_runs_without_a_passport(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["g"] is None


@pytest.mark.parametrize("path", ["/optional", "/lobby/"])
def test_optional_view_gets_a_valid_passport(client: FlaskClient, mint: Mint, path: str) -> None:
    response = client.get(path, headers={"X-Passport": mint("alice")})
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["g"] == "alice"


@pytest.mark.parametrize(
    ("path", "grants", "allowed"),
    [
        ("/admin", {"roles": ["admin"]}, True),
        ("/admin", {"roles": ["clerk"]}, False),
        ("/async-admin", {"roles": ["admin"]}, True),
        ("/async-admin", {"roles": ["clerk"]}, False),
        ("/scoped", {"scopes": ["orders:read"]}, True),
        ("/scoped", {"scopes": ["orders:write"]}, False),
        ("/permitted", {"permissions": ["orders.delete"]}, True),
        ("/permitted", {"permissions": ["orders.read"]}, False),
        ("/policy", {"roles": ["admin"]}, True),
        ("/policy", {"scopes": ["orders:write"]}, True),
        ("/policy", {"roles": ["clerk"], "scopes": ["orders:read"]}, False),
        ("/staff/desk", {"roles": ["staff"]}, True),
        ("/staff/desk", {"roles": ["admin"]}, False),
        ("/staff/admin-desk", {"roles": ["staff", "admin"]}, True),
        ("/staff/admin-desk", {"roles": ["staff"]}, False),
    ],
)
def test_requirements_allow_or_answer_403_insufficient_scope(
    client: FlaskClient, mint: Mint, path: str, grants: dict[str, Any], allowed: bool
) -> None:
    token = mint("alice", **grants)
    response = client.get(path, headers={"X-Passport": token})
    if allowed:
        assert response.status_code == 200
        assert response.json == {"g": "alice"}
    else:
        assert_problem(response, 403, "permission_denied", token)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="insufficient_scope"')
        assert "requires" in response.json["detail"]  # type: ignore[index]


def test_policy_denial_inside_the_view_is_403(client: FlaskClient, mint: Mint) -> None:
    response = client.get("/denied-inside", headers={"X-Passport": mint("alice")})
    assert_problem(response, 403, "permission_denied")
    assert response.json["detail"] == "only the owner may see this order"  # type: ignore[index]


def test_realm_is_in_the_challenge(make_app: AppFactory) -> None:
    client = make_app(PASSPORT_REALM="orders").test_client()
    assert client.get("/required").headers["WWW-Authenticate"] == 'Bearer realm="orders"'


class TestBearerMode:
    @pytest.fixture
    def client(self, make_app: AppFactory) -> FlaskClient:
        return make_app(PASSPORT_BEARER=True, PASSPORT_HEADER=None).test_client()

    def test_authorization_bearer_is_accepted(self, client: FlaskClient, mint: Mint) -> None:
        response = client.get("/required", headers={"Authorization": f"Bearer {mint('alice')}"})
        assert response.status_code == 200
        assert response.json is not None
        assert response.json["g"] == "alice"

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param(lambda t: {"X-Passport": t}, id="custom-header-not-read"),
            pytest.param(lambda t: {"Authorization": "Basic dXNlcjpwYXNz"}, id="other-scheme"),
        ],
    )
    def test_passport_elsewhere_is_missing(
        self, client: FlaskClient, mint: Mint, headers: Any
    ) -> None:
        assert_problem(client.get("/required", headers=headers(mint())), 401, "missing_token")

    def test_bearer_without_a_token_is_malformed(self, client: FlaskClient) -> None:
        assert_problem(
            client.get("/required", headers={"Authorization": "Bearer "}), 401, "malformed_token"
        )


def test_passport_in_both_header_and_bearer_is_duplicate(make_app: AppFactory, mint: Mint) -> None:
    client = make_app(PASSPORT_BEARER=True).test_client()
    token = mint("alice")
    response = client.get(
        "/required", headers={"X-Passport": token, "Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 401, "duplicate_token", token)


def test_custom_header_name(make_app: AppFactory, mint: Mint) -> None:
    client = make_app(PASSPORT_HEADER="X-Service-Passport").test_client()
    assert client.get("/required", headers={"X-Service-Passport": mint()}).status_code == 200
    assert client.get("/required", headers={"X-Passport": mint()}).status_code == 401


def test_automatic_options_of_a_protected_blueprint_needs_no_passport(
    client: FlaskClient,
) -> None:
    response = client.options("/staff/desk")
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]


def test_protecting_a_whole_app_keeps_the_jwks_public(ring: KeyRing, mint: Mint) -> None:
    app = build_app(settings(ring, PASSPORT_PUBLISH=ring))
    protect(app, role("admin"))
    client = app.test_client()
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.get("/public").status_code == 401
    assert client.get("/public", headers={"X-Passport": mint(roles=["clerk"])}).status_code == 403
    admin = client.get("/public", headers={"X-Passport": mint(roles=["admin"])})
    assert admin.json == {"g": "alice", "context": "alice"}


@pytest.mark.parametrize(
    "misuse",
    [
        pytest.param(
            lambda: protect(Blueprint("b", "b"), role("x"), required=False), id="optional"
        ),
        pytest.param(
            lambda: protect(Blueprint("b", "b"), "admin"),  # type: ignore[arg-type]
            id="protect-not-a-policy",
        ),
        pytest.param(
            lambda: require_policy("admin"),  # type: ignore[arg-type]
            id="require-policy-not-a-policy",
        ),
        pytest.param(require_role, id="no-role"),
        pytest.param(
            lambda: require_role(passport_required),  # type: ignore[arg-type]
            id="bare-decorator",
        ),
    ],
)
def test_misused_decorators_fail_when_the_module_loads(misuse: Any) -> None:
    with pytest.raises(ConfigurationError):
        misuse()


def test_unprotected_view_has_no_passport_even_if_one_was_sent(
    client: FlaskClient, mint: Mint
) -> None:
    response = client.get("/public", headers={"X-Passport": mint("alice")})
    assert response.json == {"g": None, "context": None}


def test_current_passport_without_a_verified_passport_is_a_500_problem(
    client: FlaskClient,
) -> None:
    response = client.get("/current")
    assert_problem(response, 500, "no_passport")


def test_current_passport_acts_as_the_passport_it_stands_for(
    make_app: AppFactory, mint: Mint
) -> None:
    """Its fields and methods, and every operator and check a proxy forwards."""
    app = make_app()

    @app.get("/proxy")
    @passport_required
    def proxy() -> dict[str, Any]:
        held = g.passport
        return {
            "subject": current_passport.subject,
            "has_admin": current_passport.has_role("admin"),
            "roles": sorted(current_passport.roles),
            "equal": current_passport == held,
            "is": current_passport._get_current_object() is held,  # type: ignore[attr-defined]
            "isinstance": isinstance(current_passport, Passport),
            "truthy": bool(current_passport),
            "repr": repr(current_passport) == repr(held),
            "missing": hasattr(current_passport, "no_such_name"),
        }

    response = app.test_client().get(
        "/proxy", headers={"X-Passport": mint("alice", roles=["admin"])}
    )
    assert response.json == {
        "subject": "alice",
        "has_admin": True,
        "roles": ["admin"],
        "equal": True,
        "is": True,
        "isinstance": True,
        "truthy": True,
        "repr": True,
        "missing": False,
    }


def test_current_passport_outside_a_verified_request(make_app: AppFactory) -> None:
    """Outside an app context Flask's own error; without a passport NoPassport, also for
    ``hasattr``; the proxy has no public names of its own, so each is the passport's."""
    assert not [name for name in dir(LocalProxy) if not name.startswith("_")]
    with pytest.raises(RuntimeError, match="outside of application context"):
        _ = current_passport.subject
    with make_app().test_request_context("/"):
        with pytest.raises(NoPassport):
            _ = current_passport.subject
        with pytest.raises(NoPassport):
            hasattr(current_passport, "subject")


def test_current_passport_forwards_a_bundle_s_own_names(make_app: AppFactory, mint: Mint) -> None:
    app = make_app()

    @app.get("/bundle")
    @passport_required
    def bundle() -> dict[str, Any]:
        g.passport = Companions.merge(g.passport, {})  # as a gate with companions gives it
        return {
            "primary": current_passport.primary.subject,  # type: ignore[attr-defined]
            "doc": current_passport.__doc__ == PassportBundle.__doc__,
        }

    response = app.test_client().get("/bundle", headers={"X-Passport": mint("alice")})
    assert response.json == {"primary": "alice", "doc": True}


def test_audience_list_accepts_each_audience(make_app: AppFactory, mint: Mint) -> None:
    client = make_app(PASSPORT_AUDIENCE=[AUDIENCE, "orders-v2"]).test_client()
    for audience in (AUDIENCE, "orders-v2"):
        response = client.get("/required", headers={"X-Passport": mint(audience=audience)})
        assert response.status_code == 200
