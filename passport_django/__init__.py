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

    from passport_django import (
        optional_passport, outbound_client, passport_required, request_passport, require_role,
    )

    @passport_required
    def me(request):
        return JsonResponse({"user": request.passport.subject})

    @require_role("admin")
    async def refunds(request):
        passport = await request.apassport()  # verified already; no blocking in async views
        ...

    class ReportView(PassportRequiredMixin, View):
        required_scopes = ["reports:read"]

    @optional_passport  # request.passport is falsy without one
    def invoices(request):
        with outbound_client() as http:  # a new client, yours to close
            return JsonResponse(http.get("https://billing.internal/invoices").json())

``request.passport`` is lazy, like ``request.user``: the passport is verified
only where a view asks for it (a decorator, the mixin, DRF's classes, or the
view reading it), the same rule as FastAPI and Flask. A view that never looks
pays nothing and ignores any passport sent; where a view looks, a missing
passport answers 401 (when required), a present but invalid one 401 (optional
included), a policy denial 403; all as ``application/problem+json`` with a
``WWW-Authenticate: Bearer`` challenge. Services that mint add
``"PUBLISH": key_ring`` and ``path("", include("passport_django.urls"))`` to
serve their JWKS; ``token_exchange_urls(service)`` serves an RFC 8693 token service
(``path("sts/", include(...))``). Django REST framework classes live in
:mod:`passport_django.drf` (extra ``[drf]``). Configuration mistakes raise
:class:`passport_core.ConfigurationError`, everywhere.
"""

from __future__ import annotations

from passport_django.decorators import (
    arequest_passport,
    optional_passport,
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
from passport_django.revocation_admin import revocation_admin_urls
from passport_django.token_exchange import token_exchange_urls
from passport_django.users import PassportUser

__all__ = [
    "PassportHttpRequest",
    "PassportMiddleware",
    "PassportRequiredMixin",
    "PassportUser",
    "arequest_passport",
    "async_outbound_client",
    "optional_passport",
    "outbound_client",
    "passport_required",
    "protect_urls",
    "request_passport",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
    "revocation_admin_urls",
    "token_exchange_urls",
]
