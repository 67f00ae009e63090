"""@passport_required, @require_role/scope/permission/policy on sync and async views."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from passport_core import ConfigurationError
from passport_core import require_role as role_policy
from passport_django import (
    passport_required,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from tests.django.conftest import Get, Mint
from tests.django.test_middleware import assert_problem

ADMIN: dict[str, Any] = {"roles": ["admin"]}
WRITER: dict[str, Any] = {"scopes": ["orders:write"]}
REFUNDER: dict[str, Any] = {"permissions": ["orders.refund"]}
ORDERS_ADMIN: dict[str, Any] = {"scopes": ["orders:admin"]}
NOBODY: dict[str, Any] = {"roles": ["viewer"], "scopes": ["orders:read"]}

#: route -> (passport claims that pass, claims that are refused with 403, reason in the 403)
CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "role": ([ADMIN], "requires role 'admin'"),
    "scope": ([WRITER], "requires scope 'orders:write'"),
    "permission": ([REFUNDER], "requires permission 'orders.refund'"),
    "policy": ([ADMIN, ORDERS_ADMIN], "requires role 'admin' or requires scope 'orders:admin'"),
}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", ["required", *CASES])
def test_a_guarded_view_answers_401_without_a_passport(get: Get, route: str, mode: str) -> None:
    response = get(f"/{mode}/{route}/")
    assert_problem(response, 401, "missing_token")
    # RFC 6750 §3.1: no error code when the request carried no credentials.
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_passport_required_lets_any_valid_passport_in(get: Get, mint: Mint, mode: str) -> None:
    response = get(f"/{mode}/required/", mint("alice", **NOBODY))
    assert response.status_code == 200
    assert response.json()["context"] == "alice"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", ["optional", "required", *CASES])
def test_in_a_guarded_view_request_passport_is_the_verified_passport_itself(
    get: Get, mint: Mint, route: str, mode: str
) -> None:
    """Not Django's lazy proxy: ``is``, ``type()``, ``dataclasses.replace`` behave as on the
    passport, and it is the one core's context holds for outbound calls."""
    claims = {"roles": ["admin"], "scopes": ["orders:write"], "permissions": ["orders.refund"]}
    response = get(f"/{mode}/identity/{route}/", mint("alice", **claims))
    assert response.json() == {"type": "Passport", "is_current": True}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", sorted(CASES))
def test_a_passport_that_meets_the_requirement_reaches_the_view(
    get: Get, mint: Mint, route: str, mode: str
) -> None:
    for claims in CASES[route][0]:
        response = get(f"/{mode}/{route}/", mint("alice", **claims))
        assert response.status_code == 200
        assert response.json()["subject"] == "alice"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", sorted(CASES))
def test_a_passport_that_lacks_the_requirement_is_refused_with_403(
    get: Get, mint: Mint, route: str, mode: str
) -> None:
    token = mint("bob", **NOBODY)
    response = get(f"/{mode}/{route}/", token)
    assert_problem(response, 403, "permission_denied", token)
    assert response.json()["detail"] == CASES[route][1]
    assert response["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')


def test_the_realm_setting_is_in_every_challenge(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    with override_settings(PASSPORT={**passport_settings, "REALM": "orders"}):
        missing = get("/sync/role/")
        denied = get("/sync/role/", mint("bob"))
    assert missing["WWW-Authenticate"] == 'Bearer realm="orders"'
    assert denied["WWW-Authenticate"].startswith(
        'Bearer realm="orders", error="insufficient_scope"'
    )


def _sync(request: HttpRequest) -> HttpResponse:
    """Sync docs."""
    return HttpResponse("ok")


async def _async(request: HttpRequest) -> HttpResponse:
    """Async docs."""
    return HttpResponse("ok")


DECORATORS = {
    "passport_required": passport_required,
    "require_role": require_role("admin"),
    "require_scope": require_scope("s"),
    "require_permission": require_permission("p"),
    "require_policy": require_policy(role_policy("admin")),
}


@pytest.mark.parametrize("name", sorted(DECORATORS))
def test_decorators_keep_the_view_name_and_its_sync_or_async_kind(name: str) -> None:
    decorate = DECORATORS[name]
    sync_view, async_view = decorate(_sync), decorate(_async)
    assert (sync_view.__name__, sync_view.__doc__) == ("_sync", "Sync docs.")
    assert (async_view.__name__, async_view.__doc__) == ("_async", "Async docs.")
    assert not iscoroutinefunction(sync_view)
    assert iscoroutinefunction(async_view)


def test_a_decorated_view_without_the_middleware_is_a_configuration_error() -> None:
    request = RequestFactory().get("/")  # never went through PassportMiddleware
    with pytest.raises(ConfigurationError, match="PassportMiddleware"):
        passport_required(_sync)(request)


@pytest.mark.parametrize(
    ("factory", "args"),
    [
        (require_role, ()),
        (require_scope, ("",)),
        (require_permission, ()),
        (require_policy, ("admin",)),
    ],
)
def test_empty_or_wrong_requirements_are_refused_when_decorating(
    factory: Any, args: tuple[Any, ...]
) -> None:
    with pytest.raises(ConfigurationError):
        factory(*args)


@pytest.mark.parametrize("route", ["required", "role", "optional"])
def test_async_views_are_guarded_without_the_blocking_path(
    async_client: Any, mint: Mint, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from passport_django.conf import conf  # noqa: PLC0415 - the gate of the current settings

    monkeypatch.setattr(conf.gate, "authenticate", lambda *a, **k: pytest.fail("blocking path"))
    response = asyncio.run(
        async_client.get(f"/async/{route}/", headers={"X-Passport": mint("alice", **ADMIN)})
    )
    assert response.status_code == 200
    assert response.json()["context"] == "alice"
