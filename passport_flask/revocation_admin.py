"""The revocation admin endpoint inside a Flask app: one blueprint.

::

    admin = RevocationAdmin(store, gate=..., policy=require_role("passport-admin"),
                            issuers="https://edge.example")
    app.register_blueprint(revocation_admin_blueprint(admin), url_prefix="/admin/revocations")

Core's :class:`~passport_core.RevocationAdmin` decides every answer; the view only
moves bytes. CSRF does not apply: the operator authenticates with a passport in a
header, never a cookie.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from passport_core import RevocationAdmin

__all__ = ["revocation_admin_blueprint"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def revocation_admin_blueprint(
    admin: RevocationAdmin, *, name: str = "revocation_admin"
) -> Blueprint:
    """A blueprint whose root takes ``POST``-ed revocations for ``admin``."""
    blueprint = Blueprint(name, __name__)

    def revoke() -> Response:
        headers = tuple((key.lower(), value) for key, value in request.headers.items())
        body = admin.read_body(request.stream, request.headers.get("Content-Length"))
        answer = admin.answer(request.method, headers, body)
        return Response(answer.body, status=answer.status, headers=answer.headers)

    # Every method reaches the endpoint, which names the allowed one in its 405.
    blueprint.add_url_rule("/", "revoke", revoke, methods=_METHODS, provide_automatic_options=False)
    return blueprint
