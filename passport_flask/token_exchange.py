"""The RFC 8693 token service inside a Flask app: one blueprint.

::

    app.register_blueprint(token_exchange_blueprint(service), url_prefix="/sts")
    # POST /sts/token (any path below the prefix), GET /sts/.well-known/jwks.json

It answers exactly what ``passport sts`` and the ASGI app answer (core's
:class:`~passport_core.TokenExchangeWSGI` decides), with the blocking
:meth:`~passport_core.TokenService.exchange`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from passport_core import RequestTarget, TokenExchangeWSGI, TokenRequest, TokenService

__all__ = ["token_exchange_blueprint"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def token_exchange_blueprint(
    service: TokenService, *, name: str = "token_exchange", **options: Any
) -> Blueprint:
    """A blueprint serving ``service``'s token endpoint and JWKS.

    ``options`` are :class:`~passport_core.TokenExchangeWSGI`'s (``url`` — the public
    token endpoint URL DPoP proofs name —, ``realm``, ``ring_file``, ``client_cert``).
    """
    endpoint = TokenExchangeWSGI(service, **options)
    blueprint = Blueprint(name, __name__)

    def token(rest: str = "") -> Response:
        url = RequestTarget.of(
            "POST",
            request.scheme,
            request.host,
            request.root_path + request.path,
            raw_path=request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI"),
        ).url
        headers = tuple((key.lower(), value) for key, value in request.headers.items())
        asked = TokenRequest(request.method, "/" + rest, headers, url)
        answer = endpoint.answer(asked, request.stream, request.headers.get("Content-Length"))
        return Response(answer.body, status=answer.status, headers=answer.headers)

    # Flask answers OPTIONS itself unless told not to; every method reaches the endpoint,
    # which names the allowed ones in its 405.
    blueprint.add_url_rule("/", "token", token, methods=_METHODS, provide_automatic_options=False)
    blueprint.add_url_rule(
        "/<path:rest>", "token_path", token, methods=_METHODS, provide_automatic_options=False
    )
    return blueprint
