"""Views of the test project: each shows what the request and core's context carried."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from passport_core import (
    PermissionDenied,
    get_passport,
    require_object,
    require_scope,
)
from passport_core import require_role as role_policy
from passport_django import (
    PassportRequiredMixin,
    async_outbound_client,
    optional_passport,
    outbound_client,
    passport_required,
    request_passport,
)
from passport_django.drf import (
    HasObjectPolicy,
    HasPassport,
    HasPermission,
    HasPolicy,
    HasRole,
    HasScope,
)

#: what views saw, for tests that cannot read the response (a view that raises)
seen: list[str | None] = []


def describe(request: HttpRequest) -> dict[str, Any]:
    passport = request_passport(request)
    current = get_passport()
    return {
        "subject": passport.subject if passport else None,
        "context": current.subject if current else None,
        "user": str(getattr(request, "user", "")),
        "authenticated": bool(getattr(request, "user", None) and request.user.is_authenticated),
        "user_type": getattr(request, "user", None).__class__.__name__,  # sees through lazy
    }


def sync_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse(describe(request))


async def async_view(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    return JsonResponse(describe(request))


def identity(request: HttpRequest) -> dict[str, Any]:
    """What ``request.passport`` is: its type, and whether it is core's current passport."""
    held: Any = request.passport  # type: ignore[attr-defined]
    return {"type": type(held).__name__, "is_current": held is get_passport()}


def sync_identity(request: HttpRequest) -> HttpResponse:
    return JsonResponse(identity(request))


async def async_identity(request: HttpRequest) -> HttpResponse:
    return JsonResponse(identity(request))


def named(request: HttpRequest, name: str) -> HttpResponse:
    """A view under a path parameter: the path arrives percent-encoded."""
    return JsonResponse({**describe(request), "name": name})


async def async_named(request: HttpRequest, name: str) -> HttpResponse:
    return JsonResponse({**describe(request), "name": name})


def silent(request: HttpRequest) -> HttpResponse:
    """An open view that never looks at the passport: nothing is verified."""
    current = get_passport()
    return JsonResponse({"context": current.subject if current else None})


async def async_silent(request: HttpRequest) -> HttpResponse:
    current = get_passport()
    return JsonResponse({"context": current.subject if current else None})


def user_only(request: HttpRequest) -> HttpResponse:
    """Reads request.user only: the passport's user, or Django's; never a refusal."""
    return JsonResponse({"user": str(request.user), "type": request.user.__class__.__name__})


async def async_user_only(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    return JsonResponse({"user": str(user), "type": type(user).__name__})


@passport_required
def boom(request: HttpRequest) -> HttpResponse:
    current = get_passport()
    seen.append(current.subject if current else None)
    raise RuntimeError("the view failed")


# -- outbound -----------------------------------------------------------------


@optional_passport
def outbound(request: HttpRequest) -> HttpResponse:
    with outbound_client(timeout=5) as http:
        return JsonResponse(http.get(request.GET["url"]).json())


@optional_passport
async def async_outbound(request: HttpRequest) -> HttpResponse:
    async with async_outbound_client(timeout=5) as http:
        answer = await http.get(request.GET["url"])
    return JsonResponse(answer.json())


# -- concurrency on a real server -----------------------------------------------

#: both requests must be inside the view at once; a test sets it
barrier: threading.Barrier | None = None
_arrived = {"count": 0}


def overlapping(request: HttpRequest) -> HttpResponse:
    assert barrier is not None
    before = describe(request)
    barrier.wait()  # the other user's request is in flight now
    time.sleep(0.05)
    after = describe(request)
    return JsonResponse({"before": before, "after": after, "thread": threading.get_ident()})


async def async_overlapping(request: HttpRequest) -> HttpResponse:
    before = describe(request)
    _arrived["count"] += 1
    deadline = time.monotonic() + 5
    while _arrived["count"] < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # let the other user's request run on this loop
    return JsonResponse({"before": before, "after": describe(request), "met": _arrived["count"]})


def reset_async_overlap() -> None:
    _arrived["count"] = 0


# -- class-based views ----------------------------------------------------------


class AdminView(PassportRequiredMixin, View):
    required_roles = ("admin",)

    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(describe(request))


class AsyncAdminView(PassportRequiredMixin, View):
    required_roles = ("admin",)

    async def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(describe(request))


class AnyPassportView(PassportRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(describe(request))


class CombinedView(PassportRequiredMixin, View):
    required_roles = ("admin",)
    required_scopes = ("orders:write",)
    required_permissions = ("orders.refund",)
    passport_policy = require_object(lambda p, _: p.tenant == "acme", "tenant acme")

    async def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(describe(request))


class StringRolesView(PassportRequiredMixin, View):
    required_roles = "admin"  # type: ignore[assignment] # the mistake under test

    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(describe(request))


# -- Django REST framework -------------------------------------------------------


class DrfView(APIView):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "user": request.user.username,
                "user_type": type(request.user).__name__,
                "authenticated": request.user.is_authenticated,
                "auth_subject": request.auth.subject,
                "context": get_passport().subject,  # type: ignore[union-attr]
            }
        )


class DrfWhoAmI(DrfView):
    permission_classes = (HasPassport,)


class DrfAdmin(DrfView):
    permission_classes = (HasRole.with_roles("admin"),)


class DrfViewRoles(DrfView):
    permission_classes = (HasRole,)
    required_roles = ("admin",)


class DrfScope(DrfView):
    permission_classes = (HasScope.with_scopes("orders:write"),)


class DrfViewScopes(DrfView):
    permission_classes = (HasScope,)
    required_scopes = ("orders:write",)


class DrfPermission(DrfView):
    permission_classes = (HasPermission.with_permissions("orders.refund"),)


class DrfViewPermissions(DrfView):
    permission_classes = (HasPermission,)
    required_permissions = ("orders.refund",)


class DrfPolicy(DrfView):
    permission_classes = (
        HasPolicy.with_policy(role_policy("admin") | require_scope("orders:admin")),
    )


class DrfViewPolicy(DrfView):
    permission_classes = (HasPolicy,)
    passport_policy = role_policy("admin")


class DrfEither(DrfView):
    permission_classes = (HasRole.with_roles("admin") | HasScope.with_scopes("orders:admin"),)


class DrfBoth(DrfView):
    permission_classes = (HasRole.with_roles("admin") & HasScope.with_scopes("orders:write"),)


class DrfUnconfigured(DrfView):
    permission_classes = (HasRole,)


class DrfObject(APIView):
    """Object-level: the order's tenant must be the passport's."""

    permission_classes = (
        HasObjectPolicy.with_policy(
            require_object(lambda p, o: o["tenant"] == p.tenant, "own tenant")
        ),
    )

    def get(self, request: Request, tenant: str) -> Response:
        order = {"id": 7, "tenant": tenant}
        self.check_object_permissions(request, order)
        return Response(order)


class DrfRaises(APIView):
    """A view that checks a core policy itself; the exception handler answers 403."""

    permission_classes = (HasPassport,)

    def get(self, request: Request) -> Response:
        role_policy("admin").check(request.auth)
        return Response({"ok": True})


class DrfRefuses(APIView):
    permission_classes = ()

    def get(self, request: Request) -> Response:
        raise PermissionDenied("explicitly refused")


class DrfOwnRefusal(APIView):
    """DRF's own PermissionDenied, for no passport reason: DRF's handler answers it."""

    permission_classes = (HasPassport,)

    def get(self, request: Request) -> Response:
        raise exceptions.PermissionDenied("DRF's own refusal")


class DrfOwnRefusalAfterAnEitherCheck(APIView):
    """One operand of an ``|`` denied, the other allowed; then the view refuses for its reason."""

    permission_classes = (HasRole.with_roles("admin") | HasScope.with_scopes("orders:admin"),)

    def get(self, request: Request) -> Response:
        raise exceptions.PermissionDenied("DRF's own refusal")


class TouchesUserAfterResponse:
    """An outer middleware (logging, error reporting) that reads ``request.user`` afterwards."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        str(request.user)  # the lazy user verifies the passport now, after PassportMiddleware
        return response
