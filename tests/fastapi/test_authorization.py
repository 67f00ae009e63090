"""require_role / require_scope / require_permission / require_policy on routes and routers."""

from __future__ import annotations

from typing import Any

import pytest

from passport_core import ConfigurationError
from passport_fastapi import require_permission, require_role, require_scope
from tests.fastapi.testapp import Mint, TestClient, assert_problem

ADMIN: dict[str, Any] = {"roles": ["admin"]}
READER: dict[str, Any] = {"scopes": ["orders:read"]}
REFUNDER: dict[str, Any] = {"scopes": ["orders:read"], "permissions": ["orders:refund"]}


@pytest.mark.parametrize(
    ("path", "grants"),
    [
        ("/admin", ADMIN),
        ("/policy", ADMIN),
        ("/policy", {"permissions": ["orders:refund"]}),
        ("/orders/list", READER),
        ("/orders/refund", REFUNDER),
    ],
)
def test_granted_passport_passes(
    client: TestClient, mint: Mint, path: str, grants: dict[str, Any]
) -> None:
    response = client.get(path, headers={"X-Passport": mint("erin", **grants)})
    assert response.status_code == 200
    assert response.json() == {"current": "erin"}


@pytest.mark.parametrize(
    ("path", "grants", "reason"),
    [
        ("/admin", {"roles": ["user"]}, "requires role 'admin'"),
        ("/admin-param", {}, "requires role 'admin'"),
        ("/policy", {"roles": ["user"]}, "requires role 'admin' or requires permission"),
        # the router's scope applies to every route in it
        ("/orders/list", {"roles": ["admin"]}, "requires scope 'orders:read'"),
        ("/orders/refund", {"permissions": ["orders:refund"]}, "requires scope 'orders:read'"),
        # and the route's own requirement on top of it
        ("/orders/refund", READER, "requires permission 'orders:refund'"),
    ],
)
def test_denied_passport_is_403_insufficient_scope(
    client: TestClient, mint: Mint, path: str, grants: dict[str, Any], reason: str
) -> None:
    token = mint("frank", **grants)
    response = client.get(path, headers={"X-Passport": token})
    assert_problem(response, 403, "permission_denied", token)
    assert reason in response.json()["detail"]
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope", error_description="')
    assert reason in challenge


@pytest.mark.parametrize("path", ["/admin", "/admin-param", "/policy", "/orders/list"])
def test_requirement_without_passport_is_401_not_403(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 401, "missing_token")


def test_requirement_as_parameter_gives_the_passport(client: TestClient, mint: Mint) -> None:
    response = client.get("/admin-param", headers={"X-Passport": mint("gina", **ADMIN)})
    assert response.json() == {"sub": "gina"}


@pytest.mark.parametrize("factory", [require_role, require_scope, require_permission])
def test_empty_requirement_is_refused_at_definition(factory: Any) -> None:
    with pytest.raises(ConfigurationError):
        factory()
