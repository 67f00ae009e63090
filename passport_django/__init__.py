"""passport_django: verify, require and forward service passports in Django.

Settings (keys are upper-case; each is the core ``PassportConfig`` field of
the same name)::

    INSTALLED_APPS = [..., "passport_django"]  # system checks passport_django.E001...
    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",  # if used: before ours
        "passport_django.middleware.PassportMiddleware",
    ]
    PASSPORT = {
        "ISSUER": "https://edge.example",
        "AUDIENCE": "orders",
        "JWKS_URL": "https://edge.example/.well-known/jwks.json",
        "ALLOWED_HOSTS": ["billing.internal"],  # who may receive it on outbound calls
    }

Views::

    from passport_django import outbound_client, passport_required, require_role

    @passport_required
    def me(request):
        return JsonResponse({"user": request.passport.subject})

    @require_role("admin")
    async def refunds(request):
        ...

    class ReportView(PassportRequiredMixin, View):
        required_scopes = ["reports:read"]

    def invoices(request):  # a passport is optional here: request.passport may be None
        with outbound_client() as http:  # forwards the caller's passport to allowed hosts
            return JsonResponse(http.get("https://billing.internal/invoices").json())

A missing passport answers 401, a present but invalid one 401 everywhere
(the middleware refuses forged passports even on open views), a policy denial
403; all as ``application/problem+json`` with a ``WWW-Authenticate: Bearer``
challenge. Services that mint add ``"PUBLISH": key_ring`` and
``path("", include("passport_django.urls"))`` to serve their JWKS. Django REST
framework classes live in :mod:`passport_django.drf` (extra ``[drf]``).
"""

from __future__ import annotations

from passport_django.decorators import (
    passport_required,
    request_passport,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from passport_django.groups import protect_urls
from passport_django.middleware import PassportMiddleware
from passport_django.mixins import PassportRequiredMixin
from passport_django.outbound import async_outbound_client, outbound_client
from passport_django.responses import PassportHttpRequest
from passport_django.users import PassportUser

__all__ = [
    "PassportHttpRequest",
    "PassportMiddleware",
    "PassportRequiredMixin",
    "PassportUser",
    "async_outbound_client",
    "outbound_client",
    "passport_required",
    "protect_urls",
    "request_passport",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
]
