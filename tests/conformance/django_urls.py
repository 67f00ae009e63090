"""The conformance service in Django: sync views, async views (``async/``) and DRF (``drf/``).

The routes are those of :mod:`tests.conformance.apps`; ``PASSPORT`` is its
``SETTINGS`` (applied by the fixture with ``override_settings``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from passport_core import require_role as role_policy
from passport_django import (
    arequest_passport,
    async_outbound_client,
    optional_passport,
    outbound_client,
    passport_required,
    protect_urls,
    request_passport,
    require_policy,
    require_role,
    token_exchange_urls,
)
from passport_django.drf import HasPassport, HasPolicy, HasRole
from passport_django.views import jwks
from tests.conformance.apps import DELEGATED, STEP_UP, subject_of, view_of
from tests.conformance.token_service import CLIENT_CERT, TOKEN_SERVICE, TXN_TOKENS


def _subject(request: HttpRequest) -> JsonResponse:
    return JsonResponse(subject_of(request_passport(request)))


def _item(request: HttpRequest, name: str) -> JsonResponse:
    return _subject(request)


async def _aitem(request: HttpRequest, name: str) -> JsonResponse:
    return await _asubject(request)


def _whoami(request: HttpRequest) -> JsonResponse:
    passport = request_passport(request)
    assert passport is not None
    return JsonResponse(view_of(passport))


async def _awhoami(request: HttpRequest) -> JsonResponse:
    passport = await arequest_passport(request)
    assert passport is not None
    return JsonResponse(view_of(passport))


def open_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"open": True})


@optional_passport
def forward(request: HttpRequest) -> JsonResponse:
    with outbound_client(timeout=5) as http:
        return JsonResponse(http.get(request.GET["url"]).json())


async def _asubject(request: HttpRequest) -> JsonResponse:
    return JsonResponse(subject_of(await arequest_passport(request)))


async def async_open(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"open": True})


@optional_passport
async def async_forward(request: HttpRequest) -> JsonResponse:
    async with async_outbound_client(timeout=5) as http:
        answer = await http.get(request.GET["url"])
    return JsonResponse(answer.json())


class _DrfSubject(APIView):
    def get(self, request: Request, **path: str) -> Response:
        return Response(subject_of(request.auth))


class DrfRequired(_DrfSubject):
    permission_classes = (HasPassport,)


class DrfAdmin(_DrfSubject):
    permission_classes = (HasRole.with_roles("admin"),)


class DrfStepUp(_DrfSubject):
    permission_classes = (HasPolicy.with_policy(STEP_UP),)


class DrfDelegated(_DrfSubject):
    permission_classes = (HasPolicy.with_policy(DELEGATED),)


class DrfWhoami(APIView):
    permission_classes = (HasPassport,)

    def get(self, request: Request) -> Response:
        return Response(view_of(request.auth))


class DrfOptional(_DrfSubject):
    permission_classes = ()


class DrfOpen(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Request) -> Response:
        return Response({"open": True})


class DrfForward(APIView):
    permission_classes = ()

    def get(self, request: Request) -> Response:
        with outbound_client(timeout=5) as http:
            return Response(http.get(request.query_params["url"]).json())


def _routes(prefix: str, views: dict[str, Any]) -> list[URLPattern]:
    return [path(f"{prefix}{name}", view) for name, view in views.items()]


def _group(prefix: str, view: Any) -> list[URLResolver]:
    """``group/required`` and ``group/admin``: protected by URL group, not per view."""
    return [
        path(f"{prefix}group/", protect_urls([path("required", view)])),
        path(f"{prefix}group/", protect_urls([path("admin", view)], role_policy("admin"))),
    ]


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "sts/",
        include(token_exchange_urls(TOKEN_SERVICE, client_cert=CLIENT_CERT, txn_tokens=TXN_TOKENS)),
    ),
    *_group("", _subject),
    *_group("async/", _asubject),
    *_group("drf/", DrfOptional.as_view()),
    *_routes(
        "",
        {
            "required": passport_required(_subject),
            "items/<path:name>": passport_required(_item),
            "admin": require_role("admin")(_subject),
            "optional": optional_passport(_subject),
            "open": open_view,
            "forward": forward,
            "whoami": passport_required(_whoami),
            "stepup": require_policy(STEP_UP)(_subject),
            "delegated": require_policy(DELEGATED)(_subject),
            ".well-known/jwks.json": jwks,
        },
    ),
    *_routes(
        "async/",
        {
            "required": passport_required(_asubject),
            "items/<path:name>": passport_required(_aitem),
            "admin": require_role("admin")(_asubject),
            "optional": optional_passport(_asubject),
            "open": async_open,
            "forward": async_forward,
            "whoami": passport_required(_awhoami),
            "stepup": require_policy(STEP_UP)(_asubject),
            "delegated": require_policy(DELEGATED)(_asubject),
            ".well-known/jwks.json": jwks,
        },
    ),
    *_routes(
        "drf/",
        {
            "required": DrfRequired.as_view(),
            "items/<path:name>": DrfRequired.as_view(),
            "admin": DrfAdmin.as_view(),
            "optional": DrfOptional.as_view(),
            "open": DrfOpen.as_view(),
            "forward": DrfForward.as_view(),
            "whoami": DrfWhoami.as_view(),
            "stepup": DrfStepUp.as_view(),
            "delegated": DrfDelegated.as_view(),
            ".well-known/jwks.json": jwks,
        },
    ),
]
