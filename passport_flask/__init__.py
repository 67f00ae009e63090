"""passport_flask: verify service passports in Flask, use them, forward them.

::

    from flask import Blueprint, Flask, g
    from passport_core import require_role as role
    from passport_flask import (
        PassportExtension, current_passport, outbound_client, passport_required, protect,
        require_role,
    )

    passport = PassportExtension()

    admin = Blueprint("admin", __name__, url_prefix="/admin")
    protect(admin, role("admin"))          # every view of the blueprint: admins only

    def create_app() -> Flask:
        app = Flask(__name__)
        app.config.update(
            PASSPORT_ISSUER="https://edge.example",
            PASSPORT_AUDIENCE="orders",
            PASSPORT_JWKS_URL="https://edge.example/.well-known/jwks.json",
            PASSPORT_ALLOWED_HOSTS=["stock.internal"],   # where passports may be forwarded
        )
        passport.init_app(app)   # bad or missing PASSPORT_* settings fail here
        app.register_blueprint(admin)

        @app.get("/orders")
        @passport_required                 # 401 problem+json without a valid passport
        def orders():
            with outbound_client() as http:   # a new client, yours to close
                stock = http.get("https://stock.internal/levels")  # passport forwarded
            return {"user": current_passport.subject, "stock": stock.json()}

        @app.delete("/orders/<id>")
        @require_role("clerk")             # 401 without a passport, 403 without the role
        async def cancel(id: str):         # async views work too
            return {"cancelled": id, "by": g.passport.subject}

        return app

Settings are the fields of :class:`passport_core.PassportConfig`, upper-cased
with the ``PASSPORT_`` prefix. Every failure is answered with
``application/problem+json``, the core error's status and, for 401/403, a
``WWW-Authenticate: Bearer`` challenge; register your own handler for
:class:`passport_core.PassportError` (or a subclass) to answer differently.
With ``PASSPORT_PUBLISH`` set, the public keys are served at
``/.well-known/jwks.json``.

A passport is verified only where a view asks (a decorator, :func:`protect`,
:func:`verify_request`): a view without one ignores any passport sent, the
rule of every adapter (see :mod:`passport_core.inbound`).

The passport is on ``g.passport`` (``None`` when absent or not checked),
behind :data:`current_passport`, and in core's context for the request
(reset when the request ends, also after an error), which outbound clients
read. A streamed body (``stream_with_context``) runs after that reset: it still
sees ``g.passport`` but core's context is empty, so hand the passport over
explicitly (``passport_core.use_passport(g.passport)``) before calling out.
A copied request context (``copy_current_request_context``) gets a fresh ``g``.
"""

from __future__ import annotations

from passport_flask.decorators import (
    optional_passport,
    passport_required,
    protect,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from passport_flask.extension import (
    CONFIG_PREFIX,
    EXTENSION_NAME,
    JWKS_ENDPOINT,
    PassportExtension,
    current_passport,
    verify_request,
)
from passport_flask.outbound import async_outbound_client, outbound_client
from passport_flask.revocation_admin import revocation_admin_blueprint
from passport_flask.token_exchange import token_exchange_blueprint

__all__ = [
    "CONFIG_PREFIX",
    "EXTENSION_NAME",
    "JWKS_ENDPOINT",
    "PassportExtension",
    "async_outbound_client",
    "current_passport",
    "optional_passport",
    "outbound_client",
    "passport_required",
    "protect",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
    "revocation_admin_blueprint",
    "token_exchange_blueprint",
    "verify_request",
]
