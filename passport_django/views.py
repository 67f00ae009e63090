"""The public JWKS of a service that mints, at ``/.well-known/jwks.json``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from passport_core import JWKS_CONTENT_TYPE, PassportError, jwks_cache_control
from passport_django.conf import conf
from passport_django.responses import problem

__all__ = ["JWKS_CONTENT_TYPE", "jwks"]


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    """Public keys only, from ``PASSPORT["PUBLISH"]``; 404 when this service does not mint."""
    try:
        keys = conf.config.published_jwks()
    except PassportError as error:
        return problem(error)
    if keys is None:
        return JsonResponse({"detail": "this service publishes no keys"}, status=404)
    response = JsonResponse(keys, content_type=JWKS_CONTENT_TYPE)
    response["Cache-Control"] = jwks_cache_control(conf.config.publish)
    return response
