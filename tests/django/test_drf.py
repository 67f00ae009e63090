"""Django REST framework: PassportAuthentication, permission classes, exception handler."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from passport_core import ConfigurationError
from passport_django.drf import (
    HasPermission,
    HasPolicy,
    HasRole,
    HasScope,
    PassportAuthentication,
)
from tests.django.conftest import Mint
from tests.django.test_middleware import assert_problem

ADMIN: dict[str, Any] = {"roles": ["admin"]}
WRITER: dict[str, Any] = {"scopes": ["orders:write"]}
REFUNDER: dict[str, Any] = {"permissions": ["orders.refund"]}
ORDERS_ADMIN: dict[str, Any] = {"scopes": ["orders:admin"]}

#: route -> (claims that pass, the 403 detail for a passport without them)
ROUTES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "admin": ([ADMIN], "requires role 'admin'"),
    "view-roles": ([ADMIN], "requires role 'admin'"),
    "scope": ([WRITER], "requires scope 'orders:write'"),
    "view-scopes": ([WRITER], "requires scope 'orders:write'"),
    "permission": ([REFUNDER], "requires permission 'orders.refund'"),
    "view-permissions": ([REFUNDER], "requires permission 'orders.refund'"),
    "policy": ([ADMIN, ORDERS_ADMIN], "requires role 'admin' or requires scope 'orders:admin'"),
    "view-policy": ([ADMIN], "requires role 'admin'"),
    # composed with &: the first class that refused says why (DRF reads no message from it)
    "both": ([{**ADMIN, **WRITER}], "requires role 'admin'"),
}


def get(client: Client, path: str, token: str | None = None) -> Any:
    return client.get(path, headers={"X-Passport": token} if token else {})


def test_the_user_is_built_from_the_passport_without_a_database(client: Client, mint: Mint) -> None:
    response = get(client, "/drf/whoami/", mint("alice"))
    assert response.status_code == 200
    assert response.json() == {
        "user": "alice",
        "user_type": "PassportUser",
        "authenticated": True,
        "auth_subject": "alice",
        "context": "alice",
    }


@pytest.mark.parametrize("route", ["whoami", *ROUTES, "either"])
def test_no_passport_is_401_with_a_bearer_challenge_not_403(client: Client, route: str) -> None:
    response = get(client, f"/drf/{route}/")
    assert_problem(response, 401, "missing_token")
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"] == "no passport was presented"


def test_the_challenge_carries_the_realm(client: Client, passport_settings: dict[str, Any]) -> None:
    with override_settings(PASSPORT={**passport_settings, "REALM": "orders"}):
        response = get(client, "/drf/whoami/")
    assert response["WWW-Authenticate"] == 'Bearer realm="orders"'


def test_an_invalid_passport_is_refused_before_drf_as_a_problem(client: Client) -> None:
    assert_problem(get(client, "/drf/whoami/", "forged"), 401, "malformed_token", "forged")


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_permission_classes_let_the_right_passports_in(
    client: Client, mint: Mint, route: str
) -> None:
    for claims in ROUTES[route][0]:
        response = get(client, f"/drf/{route}/", mint("alice", **claims))
        assert response.status_code == 200
        assert response.json()["user"] == "alice"


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_permission_classes_refuse_with_403_saying_what_is_missing(
    client: Client, mint: Mint, route: str
) -> None:
    response = get(client, f"/drf/{route}/", mint("bob", roles=["viewer"]))
    assert_problem(response, 403, "permission_denied")
    assert response.json()["detail"] == ROUTES[route][1]
    assert response["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')


def test_permission_classes_compose_with_or(client: Client, mint: Mint) -> None:
    assert get(client, "/drf/either/", mint("a", **ADMIN)).status_code == 200
    assert get(client, "/drf/either/", mint("b", **ORDERS_ADMIN)).status_code == 200
    assert get(client, "/drf/either/", mint("c", **WRITER)).status_code == 403


def test_refusals_are_the_same_problem_as_the_plain_django_decorators(
    client: Client, mint: Mint
) -> None:
    token = mint("bob")
    for drf_route, django_route in (("admin", "sync/role"), ("whoami", "sync/required")):
        for sent in (token, None):
            drf = get(client, f"/drf/{drf_route}/", sent)
            plain = get(client, f"/{django_route}/", sent)
            if drf_route == "whoami" and sent:
                continue  # a valid passport passes both
            assert drf.status_code == plain.status_code
            assert drf["WWW-Authenticate"] == plain["WWW-Authenticate"]
            assert drf["Content-Type"] == plain["Content-Type"] == "application/problem+json"
            assert drf.json() == plain.json()


def test_a_permission_class_without_names_is_a_configuration_error(
    client: Client, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    # core's ConfigurationError, as everywhere in passport_django; answered 500, logged
    response = get(client, "/drf/unconfigured/", mint("alice", **ADMIN))
    assert response.status_code == 500
    assert response.json()["code"] == "configuration_error"
    assert "required_roles" in caplog.text
    assert "required_roles" not in response.content.decode()


@pytest.mark.parametrize(
    ("factory", "args"),
    [
        (HasRole.with_roles, ()),
        (HasScope.with_scopes, ("",)),
        (HasPermission.with_permissions, ("p", "")),
    ],
)
def test_empty_names_are_refused_when_the_class_is_made(
    factory: Any, args: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigurationError):
        factory(*args)


def test_with_policy_needs_a_policy() -> None:
    with pytest.raises(ConfigurationError):
        HasPolicy.with_policy("admin")  # type: ignore[arg-type]


def test_object_level_policies_get_the_object(client: Client, mint: Mint) -> None:
    token = mint("alice", tenant="acme")
    assert get(client, "/drf/orders/acme/", token).json() == {"id": 7, "tenant": "acme"}
    other = get(client, "/drf/orders/globex/", token)
    assert_problem(other, 403, "permission_denied")
    assert other.json()["detail"] == "requires own tenant"
    assert get(client, "/drf/orders/acme/").status_code == 401


def test_the_exception_handler_answers_core_errors_with_their_status(
    client: Client, mint: Mint
) -> None:
    token = mint("bob")
    response = get(client, "/drf/raises/", token)
    assert_problem(response, 403, "permission_denied", token)
    assert response["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')
    assert get(client, "/drf/raises/", mint("alice", **ADMIN)).json() == {"ok": True}
    assert_problem(get(client, "/drf/refuses/"), 403, "permission_denied")


def test_the_exception_handler_leaves_drf_errors_to_drf(client: Client, mint: Mint) -> None:
    # a PermissionDenied the view raises itself, not one a passport class caused
    response = get(client, "/drf/drf-refuses/", mint("alice"))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "DRF's own refusal"}


def test_a_passport_denial_that_did_not_refuse_does_not_relabel_a_later_refusal(
    client: Client, mint: Mint
) -> None:
    # HasRole denies (it records why), HasScope allows: the | lets the request in. The
    # view's own refusal must keep its own reason, not become "missing role admin".
    response = get(client, "/drf/either-then-refuses/", mint("alice", scopes=["orders:admin"]))
    assert response.status_code == 403
    assert response.json() == {"detail": "DRF's own refusal"}


def test_drf_without_the_middleware_is_a_configuration_error() -> None:
    request = Request(APIRequestFactory().get("/"), authenticators=[PassportAuthentication()])
    with pytest.raises(ConfigurationError, match="PassportMiddleware"):
        _ = request.user
