"""Routes whose own dependencies ask for a passport are verified before FastAPI's solver
(passport_fastapi.fastpath): the same passport, refusals and context as the dependency,
verified before the route's other dependencies run; routes that do not ask never verify."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request

from passport_core import (
    KeyRing,
    Minter,
    Passport,
    get_passport,
    get_passport_or_raise,
    use_passport,
)
from passport_fastapi import (
    OptionalPassportDep,
    PassportDep,
    passport,
    require_role,
    setup_passport,
)
from tests.fastapi.testapp import AUDIENCE, ISSUER, Mint, PassportOf, TestClient, assert_problem

#: names of the user dependencies that ran, per request
Ran = list[str]


async def user_of(found: PassportDep) -> str:
    """One of your dependencies, taking the passport: nested, FastAPI solves it."""
    return found.subject


def _app(ring: KeyRing, ran: Ran) -> FastAPI:
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())

    async def mine(request: Request) -> str:
        ran.append("mine")
        # whatever asked for the passport was verified before this dependency ran
        found = get_passport()
        return "-" if found is None else found.subject

    @app.get("/me", dependencies=[Depends(mine)])
    async def me(found: PassportDep, request: Request, seen: str = Depends(mine)) -> Any:
        same = found is getattr(request.state, "passport", None) is get_passport()
        return {"sub": found.subject, "seen": seen, "same": same}

    @app.get("/me-sync")
    def me_sync(found: PassportDep, maybe: OptionalPassportDep) -> Any:
        assert found is maybe is get_passport()  # run in the threadpool, in a copy
        return {"sub": found.subject}

    @app.get("/me-sync-request")
    def me_sync_request(request: Request, found: PassportDep) -> Any:
        # the path function's own request parameter: FastAPI's Request, as declared
        return {
            "sub": found.subject,
            "path": request.url.path,
            "params": dict(request.query_params),
        }

    @app.get("/maybe")
    async def maybe(found: OptionalPassportDep) -> Any:
        current = get_passport()
        return {"sub": None if found is None else found.subject, "current": current is not None}

    @app.get("/admin", dependencies=[Depends(require_role("admin")), Depends(mine)])
    async def admin(found: Annotated[Passport, Depends(require_role("admin"))]) -> Any:
        return {"sub": found.subject}

    @app.get("/nested")
    async def nested(
        user: Annotated[str, Depends(user_of)], found: Annotated[Passport, Depends(passport)]
    ) -> Any:
        return {"user": user, "sub": found.subject}

    @app.get("/open", dependencies=[Depends(mine)])
    async def open_route(request: Request) -> Any:
        state = getattr(request.state, "passport", "unset")
        return {"state": state, "current": get_passport() is not None}

    async def narrowed(found: PassportDep) -> AsyncIterator[None]:
        # A dependency of yours that makes a narrower passport current for what it calls.
        with use_passport(dataclasses.replace(found, subject=f"narrowed-{found.subject}")):
            yield

    @app.get("/narrowed", dependencies=[Depends(narrowed)])
    async def narrowed_route(found: PassportDep) -> Any:
        return {"sub": found.subject, "current": get_passport_or_raise().subject}

    @app.get("/narrowed-sync", dependencies=[Depends(narrowed)])
    def narrowed_sync(found: PassportDep, maybe: OptionalPassportDep) -> Any:
        assert maybe is found
        return {"sub": found.subject, "current": get_passport_or_raise().subject}

    @app.get("/after")
    async def after() -> Any:
        return {"current": get_passport() is not None}

    router = APIRouter(prefix="/orders", dependencies=[Depends(require_role("admin"))])

    @router.get("/list")
    async def list_orders() -> Any:
        return {"sub": get_passport_or_raise().subject}

    app.include_router(router)
    return app


@pytest.fixture
def ran() -> Ran:
    return []


@pytest.fixture(params=["lifespan", "first request"])
def client(request: pytest.FixtureRequest, ring: KeyRing, ran: Ran, mint: Mint) -> Any:
    """The app served with its lifespan (routes found at start-up) and without (found at the
    first request that asks for a passport, which itself goes through the dependency)."""
    app = _app(ring, ran)
    if request.param == "lifespan":
        with TestClient(app) as served:
            yield served
    else:
        served = TestClient(app)
        assert served.get("/me", headers={"X-Passport": mint("warm-up")}).status_code == 200
        ran.clear()
        yield served


def test_the_verified_passport_reaches_the_path_function(
    client: TestClient, mint: Mint, ran: Ran
) -> None:
    token = mint("alice")
    assert client.get("/me", headers={"X-Passport": token}).json() == {
        "sub": "alice",
        "seen": "alice",
        "same": True,
    }
    assert ran == ["mine"]  # FastAPI's cache: one call for both uses
    assert client.get("/me-sync", headers={"X-Passport": token}).json() == {"sub": "alice"}
    own = client.get("/me-sync-request?page=2", headers={"X-Passport": token})
    assert own.json() == {"sub": "alice", "path": "/me-sync-request", "params": {"page": "2"}}
    assert client.get("/admin", headers={"X-Passport": mint("root", roles=["admin"])}).json() == {
        "sub": "root"
    }


def test_a_nested_passport_dependency_reads_the_same_passport(
    client: TestClient, mint: Mint
) -> None:
    body = client.get("/nested", headers={"X-Passport": mint("alice")}).json()
    assert body == {"user": "alice", "sub": "alice"}


def test_optional_passport(client: TestClient, mint: Mint) -> None:
    assert client.get("/maybe").json() == {"sub": None, "current": False}
    assert client.get("/maybe", headers={"X-Passport": mint("bob")}).json()["sub"] == "bob"
    refused = client.get("/maybe", headers={"X-Passport": "not-a-passport"})
    assert_problem(refused, 401, "malformed_token", "not-a-passport")


@pytest.mark.parametrize(
    "path", ["/me", "/me-sync", "/me-sync-request", "/admin", "/nested", "/orders/list"]
)
def test_refusals_come_before_your_dependencies_run(
    client: TestClient, ran: Ran, path: str
) -> None:
    missing = client.get(path)
    assert_problem(missing, 401, "missing_token")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(client.get(path, headers={"X-Passport": "x.y.z"}), 401, "malformed_token")
    assert ran == []


def test_a_policy_denial_is_a_403_before_your_dependencies_run(
    client: TestClient, mint: Mint, ran: Ran
) -> None:
    for path in ("/admin", "/orders/list"):
        denied = client.get(path, headers={"X-Passport": mint("alice", roles=["user"])})
        assert_problem(denied, 403, "permission_denied")
        assert "insufficient_scope" in denied.headers["www-authenticate"]
    assert ran == []


@pytest.mark.parametrize("token", ["not-a-passport", "x.y.z", None])
def test_a_route_that_does_not_ask_never_verifies(
    client: TestClient, ran: Ran, token: str | None
) -> None:
    headers = {"X-Passport": token} if token else {}
    assert client.get("/open", headers=headers).json() == {"state": "unset", "current": False}
    assert ran == ["mine"]


def test_the_passport_is_not_current_after_the_request(client: TestClient, mint: Mint) -> None:
    assert client.get("/me", headers={"X-Passport": mint("alice")}).status_code == 200
    assert client.get("/after").json() == {"current": False}
    assert client.get("/maybe").json()["current"] is False
    assert get_passport() is None


def test_overrides_take_the_dependency_path(
    client: TestClient, passport_of: PassportOf, ran: Ran
) -> None:
    app: Any = client.app
    app.dependency_overrides[passport] = lambda: passport_of("carol", roles=["admin"])
    # no header needed, and the override's passport is not current (as documented)
    assert client.get("/me").json() == {"sub": "carol", "seen": "-", "same": False}
    assert client.get("/admin").json() == {"sub": "carol"}
    app.dependency_overrides.clear()
    assert_problem(client.get("/me"), 401, "missing_token")


@pytest.mark.parametrize("path", ["/narrowed", "/narrowed-sync"])
@pytest.mark.parametrize("solved_by", ["fast path", "FastAPI's dependencies"])
def test_the_parameter_is_the_verified_passport_whatever_a_dependency_makes_current(
    client: TestClient, mint: Mint, path: str, solved_by: str
) -> None:
    """A dependency that makes another passport current (``use_passport``) changes what core
    sees, not the path function's passport parameter: on either path, as FastAPI solves it."""
    app: Any = client.app
    if solved_by != "fast path":
        # any override sends the route through FastAPI's own solver
        app.dependency_overrides[user_of] = lambda: "overridden"
    body = client.get(path, headers={"X-Passport": mint("alice")}).json()
    assert body == {"sub": "alice", "current": "narrowed-alice"}


def test_routes_of_included_routers_are_verified_before_your_dependencies(
    ring: KeyRing, mint: Mint
) -> None:
    ran: Ran = []

    async def mine() -> None:
        ran.append("mine")

    inner = APIRouter(prefix="/inner")

    @inner.get("/me")
    async def me(found: PassportDep) -> Any:
        return {"sub": found.subject, "current": get_passport_or_raise().subject}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())
    # the passport asked by the inclusion, after one of yours
    app.include_router(outer, dependencies=[Depends(mine), Depends(require_role("admin"))])
    with TestClient(app) as client:
        assert_problem(client.get("/outer/inner/me"), 401, "missing_token")
        denied = client.get("/outer/inner/me", headers={"X-Passport": mint("bob")})
        assert_problem(denied, 403, "permission_denied")
        assert ran == []
        token = mint("alice", roles=["admin"])
        answer = client.get("/outer/inner/me", headers={"X-Passport": token})
        assert answer.json() == {"sub": "alice", "current": "alice"}
        assert ran == ["mine"]

        if not hasattr(fastapi.routing, "iter_route_contexts"):
            return  # before FastAPI 0.165, a router's routes are copied when it is included

        # a route added to a router after start-up
        @inner.get("/later")
        async def later(found: PassportDep) -> Any:
            return {"sub": found.subject}

        # the first request through the dependencies in their order, then verified before
        for expected in (["mine", "mine"], ["mine"]):
            ran.clear()
            assert_problem(client.get("/outer/inner/later"), 401, "missing_token")
            assert client.get("/outer/inner/later", headers={"X-Passport": token}).json() == {
                "sub": "alice"
            }
            assert ran == expected


def test_a_route_shared_by_two_apps_is_verified_by_each_app_s_own_settings() -> None:
    # FastAPI(routes=other.routes) shares route objects: each app's passports are its own.
    ring = KeyRing.generate()
    orders = FastAPI()

    @orders.get("/me")
    async def me(found: PassportDep) -> Any:
        return {"sub": found.subject}

    setup_passport(orders, issuer=ISSUER, audience="orders", jwks=ring.public_jwks())
    billing = FastAPI(routes=list(orders.router.routes))
    setup_passport(billing, issuer=ISSUER, audience="billing", jwks=ring.public_jwks())
    token = Minter(ring, issuer=ISSUER).mint("alice", audience="orders")
    with TestClient(orders) as for_orders, TestClient(billing) as for_billing:
        assert for_orders.get("/me", headers={"X-Passport": token}).status_code == 200
        assert_problem(
            for_billing.get("/me", headers={"X-Passport": token}), 401, "invalid_audience"
        )


def _sync_wrapper(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


def test_endpoints_behind_partial_or_a_sync_wrapper_are_awaited() -> None:
    ring = KeyRing.generate()
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())

    async def base(extra: int, found: PassportDep) -> Any:
        return {"sub": found.subject, "extra": extra}

    app.add_api_route("/partial", functools.partial(base, 1), methods=["GET"])

    @app.get("/wrapped")
    @_sync_wrapper
    async def wrapped(found: PassportDep) -> Any:
        return {"sub": found.subject}

    token = Minter(ring, issuer=ISSUER).mint("alice", audience=AUDIENCE)
    with TestClient(app) as client:
        answer = client.get("/partial", headers={"X-Passport": token})
        assert answer.json() == {"sub": "alice", "extra": 1}
        assert client.get("/wrapped", headers={"X-Passport": token}).json() == {"sub": "alice"}
        assert_problem(client.get("/wrapped"), 401, "missing_token")
