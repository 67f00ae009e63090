"""PassportRequiredMixin on sync and async class-based views."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.django.conftest import Get, Mint
from tests.django.test_middleware import assert_problem


@pytest.mark.parametrize("route", ["admin", "async-admin"])
def test_the_mixin_requires_a_passport_and_its_roles(get: Get, mint: Mint, route: str) -> None:
    assert_problem(get(f"/cbv/{route}/"), 401, "missing_token")
    denied = get(f"/cbv/{route}/", mint("bob", roles=["viewer"]))
    assert_problem(denied, 403, "permission_denied")
    assert denied.json()["detail"] == "requires role 'admin'"
    allowed = get(f"/cbv/{route}/", mint("alice", roles=["admin"]))
    assert allowed.status_code == 200
    assert allowed.json()["context"] == "alice"


def test_the_mixin_without_requirements_needs_only_a_passport(get: Get, mint: Mint) -> None:
    assert_problem(get("/cbv/any/"), 401, "missing_token")
    assert get("/cbv/any/", mint("bob")).json()["subject"] == "bob"


FULL = {
    "roles": ["admin"],
    "scopes": ["orders:write"],
    "permissions": ["orders.refund"],
    "tenant": "acme",
}


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("roles", "requires role 'admin'"),
        ("scopes", "requires scope 'orders:write'"),
        ("permissions", "requires permission 'orders.refund'"),
        ("tenant", "requires tenant acme"),
    ],
)
def test_every_requirement_of_the_mixin_is_enforced(
    get: Get, mint: Mint, missing: str, reason: str
) -> None:
    claims = {name: value for name, value in FULL.items() if name != missing}
    response = get("/cbv/combined/", mint("bob", **claims))
    assert_problem(response, 403, "permission_denied")
    assert response.json()["detail"] == reason


def test_a_passport_meeting_every_requirement_of_the_mixin_passes(get: Get, mint: Mint) -> None:
    assert get("/cbv/combined/", mint("alice", **FULL)).status_code == 200


def test_roles_written_as_one_string_are_a_configuration_error(
    client: Client, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    # core's ConfigurationError, answered 500 by the middleware and logged with the reason
    response = client.get("/cbv/string-roles/", headers={"X-Passport": mint()})
    assert_problem(response, 500, "configuration_error")
    assert "must be a list" in caplog.text
