"""The same small service in FastAPI and Flask (Django's is in ``django_urls``).

Every adapter serves the same routes, with the same settings (:data:`SETTINGS`):

=====================  =============================================================
``GET /required``      needs a passport; answers ``{"subject": ...}``
``GET /admin``         needs a passport with the role ``admin``; ``{"subject": ...}``
``GET /optional``      takes a passport if sent; ``{"subject": ... or None}``
``GET /open``          never looks at the passport; ``{"open": true}``
``GET /forward?url=``  optional passport; GETs ``url`` with the outbound client and
                       answers the echoed request headers
``GET /.well-known/jwks.json``  the published keys
=====================  =============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from flask import Flask, g, request

from passport_core import KeyRing, Passport
from passport_fastapi import (
    OptionalPassportDep,
    OutboundClient,
    PassportDep,
    require_role,
    setup_passport,
)
from passport_flask import (
    PassportExtension,
    optional_passport,
    outbound_client,
    passport_required,
)
from passport_flask import require_role as flask_require_role

ISSUER = "https://edge.test"
AUDIENCE = "orders"
#: signs every passport of the suite; each service verifies with, and publishes, its public half
RING = KeyRing.generate("EdDSA")
#: one service's settings, as core names them
SETTINGS: dict[str, Any] = {
    "issuer": ISSUER,
    "audience": AUDIENCE,
    "jwks": RING.public_jwks(),
    "publish": RING,
    "allowed_hosts": ["127.0.0.1"],
}


def subject_of(passport: Passport | None) -> dict[str, Any]:
    return {"subject": passport.subject if passport else None}


def fastapi_app(settings: Mapping[str, Any] = SETTINGS) -> FastAPI:
    app = FastAPI()
    setup_passport(app, **settings)

    @app.get("/required")
    def required(passport: PassportDep) -> dict[str, Any]:
        return subject_of(passport)

    @app.get("/admin")
    def admin(passport: Annotated[Passport, Depends(require_role("admin"))]) -> dict[str, Any]:
        return subject_of(passport)

    @app.get("/optional")
    def optional(passport: OptionalPassportDep) -> dict[str, Any]:
        return subject_of(passport)

    @app.get("/open")
    def open_route() -> dict[str, Any]:
        return {"open": True}

    @app.get("/forward")
    def forward(url: str, passport: OptionalPassportDep, http: OutboundClient) -> Any:
        return http.get(url, timeout=5).json()

    return app


def flask_app(settings: Mapping[str, Any] = SETTINGS) -> Flask:
    app = Flask("conformance")
    app.config.update({f"PASSPORT_{name.upper()}": value for name, value in settings.items()})
    PassportExtension(app)

    @app.get("/required")
    @passport_required
    def required() -> dict[str, Any]:
        return subject_of(g.passport)

    @app.get("/admin")
    @flask_require_role("admin")
    def admin() -> dict[str, Any]:
        return subject_of(g.passport)

    @app.get("/optional")
    @optional_passport
    def optional() -> dict[str, Any]:
        return subject_of(g.passport)

    @app.get("/open")
    def open_route() -> dict[str, Any]:
        return {"open": True}

    @app.get("/forward")
    @optional_passport
    def forward() -> Any:
        with outbound_client(timeout=5) as http:
            return http.get(request.args["url"]).json()

    return app
