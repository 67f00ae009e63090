"""The Django project of the servers benchmark, in one module
(``gunicorn benchmarks.apps.django_app:application``)."""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path

from benchmarks.apps import passport_settings, with_adapter

_ADAPTER = with_adapter()
settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-only-not-secret",  # noqa: S106 - no session or signing is used
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    INSTALLED_APPS=["passport_django"] if _ADAPTER else [],
    MIDDLEWARE=["passport_django.middleware.PassportMiddleware"] if _ADAPTER else [],
    PASSPORT={name.upper(): value for name, value in passport_settings().items()}
    if _ADAPTER
    else None,
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": "anonymous"})


urlpatterns: list[URLPattern | URLResolver] = [path("hello", hello)]

if not _ADAPTER:
    # The same routes in the same places, open: what each protected route is compared to.

    def open_protected(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"user": "user-000000"})

    urlpatterns.append(path("protected", open_protected))
    urlpatterns.append(path("group/", include([path("protected", open_protected)])))

else:
    from passport_django import passport_required, protect_urls

    @passport_required
    def protected(request: Any) -> JsonResponse:
        return JsonResponse({"user": request.passport.subject})

    def group_protected(request: Any) -> JsonResponse:
        return JsonResponse({"user": request.passport.subject})

    urlpatterns.append(path("protected", protected))
    urlpatterns.append(path("group/", protect_urls([path("protected", group_protected)])))

from django.core.wsgi import get_wsgi_application  # noqa: E402 - needs the settings above

application = get_wsgi_application()
