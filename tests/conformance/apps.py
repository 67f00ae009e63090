"""The same small service in FastAPI and Flask (Django's is in ``django_urls``).

Every adapter serves the same routes, with the same settings (:data:`SETTINGS`):

=====================  =============================================================
``GET /required``      needs a passport; answers ``{"subject": ...}``
``GET /admin``         needs a passport with the role ``admin``; ``{"subject": ...}``
``GET /optional``      takes a passport if sent; ``{"subject": ... or None}``
``GET /open``          never looks at the passport; ``{"open": true}``
``GET /forward?url=``  optional passport; GETs ``url`` with the outbound client and
                       answers the echoed request headers
``GET /whoami``        needs a passport; answers its subject, roles, permissions, profile
``GET /stepup``        needs a passport whose authentication meets :data:`STEP_UP` (RFC 9470)
``GET /delegated``     needs a passport whose ``act`` chain meets :data:`DELEGATED` (RFC 8693)
``GET /group/required``  like ``/required``, ``GET /group/admin`` like ``/admin``, protected
                       by route group instead of per route (FastAPI ``PassportRoute``,
                       Flask ``protect``, Django ``protect_urls``)
``GET /.well-known/jwks.json``  the published keys
=====================  =============================================================
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from flask import Blueprint, Flask, g, request

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    CommonData,
    Edge,
    KeyRing,
    Minter,
    Passport,
    TransactionTokens,
    api_key_digest,
    get_passport_or_raise,
    max_delegation_depth,
    require_actor,
    require_authentication,
    require_chain,
)
from passport_core import require_role as role_policy
from passport_fastapi import (
    OptionalPassportDep,
    OutboundClient,
    PassportDep,
    PassportRoute,
    require_policy,
    require_role,
    setup_passport,
)
from passport_flask import (
    PassportExtension,
    optional_passport,
    outbound_client,
    passport_required,
    protect,
)
from passport_flask import require_policy as flask_require_policy
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


#: the step-up route's requirement: an MFA context, a hardware key, at most 5 minutes ago
STEP_UP = require_authentication(acr=["urn:acr:mfa", "urn:acr:hwk"], amr="hwk", max_age=300)

#: the delegated route's requirement: called by orders, on behalf of a user, through the
#: gateway, at most two hops (RFC 8693 §4.1 act chain)
DELEGATED = (
    require_actor("orders", on_behalf_of=lambda sub: sub.startswith("user-"))
    & require_chain("gateway")
    & max_delegation_depth(2)
)


def subject_of(passport: Passport | None) -> dict[str, Any]:
    return {"subject": passport.subject if passport else None}


def view_of(passport: Passport) -> dict[str, Any]:
    """What ``/whoami`` answers: the (merged) view a route sees."""
    return {
        "subject": passport.subject,
        "roles": sorted(passport.roles),
        "permissions": sorted(passport.permissions),
        "profile": dict(passport.profile),
    }


def fastapi_app(settings: Mapping[str, Any] = SETTINGS) -> FastAPI:
    app = FastAPI()
    setup_passport(app, **settings)

    @app.get("/required")
    def required(passport: PassportDep) -> dict[str, Any]:
        return subject_of(passport)

    @app.get("/admin")
    def admin(passport: Annotated[Passport, Depends(require_role("admin"))]) -> dict[str, Any]:
        return subject_of(passport)

    @app.get("/items/{name:path}")
    def item(name: str, passport: PassportDep) -> dict[str, Any]:
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

    @app.get("/whoami")
    def whoami(passport: PassportDep) -> dict[str, Any]:
        return view_of(passport)

    @app.get("/stepup")
    async def stepup(passport: Annotated[Passport, Depends(require_policy(STEP_UP))]) -> Any:
        return subject_of(passport)

    @app.get("/delegated")
    def delegated(passport: Annotated[Passport, Depends(require_policy(DELEGATED))]) -> Any:
        return subject_of(passport)

    group = APIRouter(prefix="/group", route_class=PassportRoute)

    @group.get("/required")
    def group_required() -> dict[str, Any]:
        return subject_of(get_passport_or_raise())  # sync: run in a copy of the request's context

    admins = APIRouter(prefix="/group", route_class=PassportRoute.requiring(role_policy("admin")))

    @admins.get("/admin")
    async def group_admin(request: Request) -> dict[str, Any]:
        return subject_of(request.state.passport)

    app.include_router(group)
    app.include_router(admins)
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

    @app.get("/items/<path:name>")
    @passport_required
    def item(name: str) -> dict[str, Any]:
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

    @app.get("/whoami")
    @passport_required
    def whoami() -> dict[str, Any]:
        return view_of(g.passport)

    @app.get("/stepup")
    @flask_require_policy(STEP_UP)
    def stepup() -> dict[str, Any]:
        return subject_of(g.passport)

    @app.get("/delegated")
    @flask_require_policy(DELEGATED)
    def delegated() -> dict[str, Any]:
        return subject_of(g.passport)

    group = Blueprint("group", __name__, url_prefix="/group")
    protect(group)
    group.add_url_rule("/required", "required", lambda: subject_of(g.passport))
    admins = Blueprint("group_admin", __name__, url_prefix="/group")
    protect(admins, role_policy("admin"))
    admins.add_url_rule("/admin", "admin", lambda: subject_of(g.passport))
    app.register_blueprint(group)
    app.register_blueprint(admins)
    return app


# -- the topmost service mints: the same routes, an in-process edge instead of a verifier -----

#: API keys the conformance edge knows, by key (the store keeps only digests)
API_KEYS = {
    "key-alice": APIKey(api_key_digest("key-alice"), "alice"),
    "key-carol": APIKey(
        api_key_digest("key-carol"), "carol", CommonData(roles=frozenset({"admin"}))
    ),
}
#: a key whose lookup outlasts the authenticator's timeout: the directory is down
SLOW_KEY = "key-slow"
_BY_DIGEST = {key.digest: key for key in API_KEYS.values()}


def _lookup(digest: str) -> APIKey | None:
    if digest == api_key_digest(SLOW_KEY):
        time.sleep(1)
    return _BY_DIGEST.get(digest)


#: the edge of the topmost service; it signs with the suite's ring
EDGE = Edge(
    Minter(RING, issuer=ISSUER),
    authenticators=[APIKeyAuthenticator(_lookup, timeout=0.2)],
    audiences=[AUDIENCE],
)
#: the topmost service's settings: no keys to verify with, an edge to mint with
EDGE_SETTINGS: dict[str, Any] = {
    "edge": EDGE,
    "publish": RING,
    "allowed_hosts": ["127.0.0.1"],
}


# -- several passports, one view: a profile service signs a companion for each request ------

PROFILE_ISSUER = "https://profile.test"
#: the profile service's own keys: they sign companions, never the primary passport
PROFILE_RING = KeyRing.generate("ES256")
PROFILE_HEADER = "X-Passport-Profile"
#: the service's settings with the profile companion required
COMPANION_SETTINGS: dict[str, Any] = {
    **SETTINGS,
    "companions": {PROFILE_HEADER: {"issuer": PROFILE_ISSUER, "jwks": PROFILE_RING.public_jwks()}},
}


# -- Transaction Tokens: the same service accepting Txn-Tokens of its trust domain -----------

TRUST_DOMAIN = "trust-domain.test"
#: the preset (draft-ietf-oauth-transaction-tokens-10); the suite's ring signs its Txn-Tokens
TXN = TransactionTokens(TRUST_DOMAIN, issuer=ISSUER)
#: the service's settings: the preset's verifier, reading the Txn-Token header
TXN_SETTINGS: dict[str, Any] = {
    **TXN.settings(RING.public_jwks()),
    "allowed_hosts": ["127.0.0.1"],
}
