"""The RFC 8693 token service inside a Django project: a URLconf to include.

::

    urlpatterns = [path("sts/", include(token_exchange_urls(service)))]
    # POST /sts/token (any path below the prefix), GET /sts/.well-known/jwks.json

It answers exactly what ``passport sts`` and the ASGI app answer (core's
:class:`~passport_core.TokenExchangeWSGI` decides). The view is CSRF-exempt: its
callers are services authenticating with client assertions, not browsers with
cookies.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from passport_core import RequestTarget, TokenExchangeWSGI, TokenRequest, TokenService

__all__ = ["token_exchange_urls"]


def token_exchange_urls(service: TokenService, **options: Any) -> list[URLPattern]:
    """URL patterns serving ``service``'s token endpoint and JWKS, for ``include()``.

    ``options`` are :class:`~passport_core.TokenExchangeWSGI`'s (``url`` — the public
    token endpoint URL DPoP proofs name —, ``realm``, ``ring_file``, ``client_cert``).
    """
    endpoint = TokenExchangeWSGI(service, **options)

    @csrf_exempt
    def token(request: HttpRequest, rest: str = "") -> HttpResponse:
        meta = request.META
        url = RequestTarget.of(
            "POST",
            request.scheme or "http",
            request.get_host(),
            request.path,
            raw_path=meta.get("RAW_URI") or meta.get("REQUEST_URI"),
        ).url
        headers = tuple((key.lower(), value) for key, value in request.headers.items())
        asked = TokenRequest(request.method or "GET", "/" + rest, headers, url)
        answer = endpoint.answer(asked, request, meta.get("CONTENT_LENGTH"))
        response = HttpResponse(answer.body, status=answer.status)
        for name, value in answer.headers.items():
            response[name] = value
        return response

    return [path("", token), path("<path:rest>", token)]
