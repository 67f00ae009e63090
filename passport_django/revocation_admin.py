"""The revocation admin endpoint inside a Django project: a URLconf to include.

::

    admin = RevocationAdmin(store, gate=..., policy=require_role("passport-admin"),
                            issuers="https://edge.example")
    urlpatterns = [path("admin/revocations/", include(revocation_admin_urls(admin)))]

Core's :class:`~passport_core.RevocationAdmin` decides every answer. The view is
CSRF-exempt: the operator authenticates with a passport in a header, never a
cookie, so a cross-site form cannot ride on it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from passport_core import RevocationAdmin

__all__ = ["revocation_admin_urls"]


def revocation_admin_urls(admin: RevocationAdmin) -> list[URLPattern]:
    """URL patterns whose root takes ``POST``-ed revocations for ``admin``."""

    @csrf_exempt
    def revoke(request: HttpRequest) -> HttpResponse:
        headers = tuple((key.lower(), value) for key, value in request.headers.items())
        body = admin.read_body(request, request.META.get("CONTENT_LENGTH"))
        answer = admin.answer(request.method or "GET", headers, body)
        response = HttpResponse(answer.body, status=answer.status)
        for name, value in answer.headers.items():
            response[name] = value
        return response

    return [path("", revoke)]
