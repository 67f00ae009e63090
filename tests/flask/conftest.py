"""Flask fixtures: keys and a minter, an app with a view for every decorator, a real server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Blueprint, Flask, g, request
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from passport_core import (
    KeyRing,
    Minter,
    PermissionDenied,
    any_of,
    generate_key,
    get_passport,
)
from passport_core import require_role as role
from passport_core import require_scope as scope
from passport_flask import (
    PassportExtension,
    async_outbound_client,
    current_passport,
    optional_passport,
    outbound_client,
    passport_required,
    protect,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from tests.servers import in_thread

ISSUER = "https://edge.test"
AUDIENCE = "orders"

Mint = Callable[..., str]
AppFactory = Callable[..., Flask]


@pytest.fixture(scope="session")
def ring() -> KeyRing:
    return KeyRing.generate("EdDSA")


@pytest.fixture(scope="session")
def minter(ring: KeyRing) -> Minter:
    return Minter(ring, issuer=ISSUER)


@pytest.fixture
def mint(minter: Minter) -> Mint:
    """A real passport for ``subject``; keyword arguments go to ``Minter.mint``."""

    def make(subject: str = "alice", **kwargs: Any) -> str:
        kwargs.setdefault("audience", AUDIENCE)
        return minter.mint(subject, **kwargs)

    return make


@pytest.fixture(scope="session")
def expired_token(ring: KeyRing) -> str:
    past = Minter(ring, issuer=ISSUER, clock=lambda: time.time() - 3600)
    return past.mint("alice", audience=AUDIENCE)


@pytest.fixture(scope="session")
def forged_token(ring: KeyRing) -> str:
    """Signed by an attacker's key that claims the real key's ``kid``."""
    impostor = generate_key("EdDSA", kid=ring.active.kid)
    return Minter(impostor, issuer=ISSUER).mint("mallory", audience=AUDIENCE, roles=["admin"])


def settings(ring: KeyRing, **overrides: Any) -> dict[str, Any]:
    """A complete PASSPORT_* configuration; overrides are PASSPORT_* keys (``...`` drops one)."""
    config: dict[str, Any] = {
        "PASSPORT_ISSUER": ISSUER,
        "PASSPORT_AUDIENCE": AUDIENCE,
        "PASSPORT_JWKS": ring.public_jwks(),
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not ...}


def _subject() -> str | None:
    return g.passport.subject if g.passport is not None else None


def _context_subject() -> str | None:
    passport = get_passport()
    return passport.subject if passport is not None else None


def build_app(config: dict[str, Any], extension: PassportExtension | None = None) -> Flask:
    """An app with one view per decorator, two protected blueprints and helper views."""
    app = Flask("orders")
    app.config.update(config)
    (extension or PassportExtension()).init_app(app)
    barrier = threading.Barrier(2)

    @app.get("/public")
    def public() -> dict[str, Any]:
        return {"g": _subject(), "context": _context_subject()}

    @app.get("/current")
    def current() -> dict[str, Any]:
        return {"sub": current_passport.subject}

    @app.get("/required")
    @passport_required
    def required() -> dict[str, Any]:
        return {
            "g": g.passport.subject,
            "current": current_passport.subject,
            "context": _context_subject(),
        }

    @app.get("/optional")
    @optional_passport
    def optional() -> dict[str, Any]:
        return {"g": _subject(), "context": _context_subject()}

    @app.get("/admin")
    @require_role("admin")
    def admin() -> dict[str, Any]:
        return {"g": _subject()}

    @app.get("/scoped")
    @require_scope("orders:read")
    def scoped() -> dict[str, Any]:
        return {"g": _subject()}

    @app.get("/permitted")
    @require_permission("orders.delete")
    def permitted() -> dict[str, Any]:
        return {"g": _subject()}

    @app.get("/policy")
    @require_policy(any_of(role("admin"), scope("orders:write")))
    def policy() -> dict[str, Any]:
        return {"g": _subject()}

    @app.get("/async")
    @passport_required
    async def async_required() -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"g": _subject(), "current": current_passport.subject, "context": _context_subject()}

    @app.get("/async-admin")
    @require_role("admin")
    async def async_admin() -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"g": _subject()}

    @app.get("/boom")
    @passport_required
    def boom() -> dict[str, Any]:
        raise RuntimeError("the view failed")

    @app.get("/denied-inside")
    @passport_required
    def denied_inside() -> dict[str, Any]:
        raise PermissionDenied("only the owner may see this order")

    @app.get("/forward")
    @optional_passport
    def forward() -> Any:
        with outbound_client() as http:
            return http.get(request.args["url"]).json()

    @app.get("/async-forward")
    @optional_passport
    async def async_forward() -> Any:
        async with async_outbound_client() as http:
            return (await http.get(request.args["url"])).json()

    @app.get("/together")
    @passport_required
    def together() -> dict[str, Any]:
        # Both users' requests are inside the view at the same moment.
        barrier.wait(timeout=10)
        with outbound_client() as http:
            echoed = http.get(request.args["url"]).json()
        return {"g": _subject(), "context": _context_subject(), "forwarded": echoed["x-passport"]}

    staff = Blueprint("staff", "staff", url_prefix="/staff")
    protect(staff, role("staff"))

    @staff.get("/desk")
    def desk() -> dict[str, Any]:
        return {"g": _subject()}

    @staff.get("/admin-desk")
    @require_role("admin")
    def admin_desk() -> dict[str, Any]:
        return {"g": _subject()}

    lobby = Blueprint("lobby", "lobby", url_prefix="/lobby")
    protect(lobby, required=False)

    @lobby.get("/")
    def hall() -> dict[str, Any]:
        return {"g": _subject()}

    app.register_blueprint(staff)
    app.register_blueprint(lobby)
    return app


@pytest.fixture
def make_app(ring: KeyRing) -> AppFactory:
    """Build apps from PASSPORT_* overrides."""

    def make(**overrides: Any) -> Flask:
        return build_app(settings(ring, **overrides))

    return make


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@contextmanager
def live(app: Flask) -> Iterator[str]:
    """Serve ``app`` with werkzeug's threaded server on 127.0.0.1 for the ``with`` block."""
    with in_thread(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    with live(app) as url:
        yield url
