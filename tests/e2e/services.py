"""One small service per adapter, put behind the nginx gateway by ``test_nginx_gateway``.

Each serves ``GET /whoami`` (a passport required) and ``GET /admin`` (the role
``admin`` required) and answers what it saw: the verified passport's subject,
audience and roles, and every request header whose name mentions a passport
(name and fingerprint, never the value), so a test can tell that a client's
forged header never arrived. Django's routes are this module's ``urlpatterns``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from fastapi import Depends, FastAPI, Request
from flask import Flask
from flask import request as flask_request

from passport_core import Passport, fingerprint
from passport_django import passport_required as django_passport_required
from passport_django import require_role as django_require_role
from passport_fastapi import passport, require_role, setup_passport
from passport_flask import PassportExtension, current_passport, protect
from passport_flask import require_role as flask_require_role


def seen(passport: Passport, headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The answer: what the passport says, and which passport-ish headers arrived."""
    return {
        "subject": passport.subject,
        "audience": list(passport.audience),
        "roles": sorted(passport.roles),
        "headers": [
            [name.lower(), fingerprint(value)]
            for name, value in headers
            if "passport" in name.lower()
        ],
    }


def _wsgi_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    # WSGI names a header HTTP_X_PASSPORT whether it came as X-Passport or X_Passport
    # (PEP 3333): exactly why the gateway must drop the underscore spelling.
    return [
        (key[5:].replace("_", "-"), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]


def fastapi_service(settings: Mapping[str, Any]) -> FastAPI:
    app = FastAPI()
    setup_passport(app, **settings)

    @app.get("/whoami")
    def whoami(request: Request, verified: Annotated[Passport, Depends(passport)]) -> Any:
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        return seen(verified, raw)

    @app.get("/admin")
    def admin(verified: Annotated[Passport, Depends(require_role("admin"))]) -> Any:
        return seen(verified, [])

    return app


def flask_service(settings: Mapping[str, Any]) -> Flask:
    app = Flask("gateway-service")
    app.config.update({f"PASSPORT_{name.upper()}": value for name, value in settings.items()})
    PassportExtension(app)
    protect(app)  # every view needs a passport

    @app.get("/whoami")
    def whoami() -> Any:
        return seen(current_passport, _wsgi_headers(flask_request.environ))

    @app.get("/admin")
    @flask_require_role("admin")
    def admin() -> Any:
        return seen(current_passport, [])

    return app


def django_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What ``override_settings`` needs to serve this module's Django routes."""
    return {
        "ROOT_URLCONF": __name__,
        "PASSPORT": {name.upper(): value for name, value in settings.items()},
    }


@django_passport_required
def _django_whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(seen(request.passport, _wsgi_headers(request.META)))  # type: ignore[attr-defined]


@django_require_role("admin")
def _django_admin(request: HttpRequest) -> JsonResponse:
    return JsonResponse(seen(request.passport, []))  # type: ignore[attr-defined]


urlpatterns: list[URLPattern] = [
    path("whoami", _django_whoami),
    path("admin", _django_admin),
]
