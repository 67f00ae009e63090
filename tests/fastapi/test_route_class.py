"""PassportRoute: a router whose every route requires a passport, verified before FastAPI
solves the route's dependencies. Refusals per adapter are in tests/conformance (the
``/group/*`` routes); here is what only FastAPI has: one verify shared with the route's own
passport dependencies, the context, policies composed, the app's own routes, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request

from passport_core import (
    ConfigurationError,
    KeyRing,
    Passport,
    get_passport,
    get_passport_or_raise,
)
from passport_core import require_role as role_policy
from passport_fastapi import (
    OptionalPassportDep,
    PassportDep,
    PassportRoute,
    require_permission,
    require_role,
    setup_passport,
)
from tests.fastapi.testapp import AUDIENCE, ISSUER, Boom, Mint, TestClient, assert_problem
from tests.sources import PlainSource


def _app(keys: Any, **settings: Any) -> FastAPI:
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, keys=keys, cache_size=0, **settings)
    guarded = APIRouter(prefix="/guarded", route_class=PassportRoute)

    @guarded.get("/with-dependencies")
    async def with_dependencies(
        found: PassportDep,
        maybe: OptionalPassportDep,
        admin: Annotated[Passport, Depends(require_role("admin"))],
        request: Request,
    ) -> dict[str, Any]:
        assert found is maybe is admin is request.state.passport
        return {"subject": found.subject}

    @guarded.get("/current")
    async def current() -> dict[str, Any]:
        return {"subject": get_passport_or_raise().subject}

    @guarded.get("/current-sync")
    def current_sync() -> dict[str, Any]:
        return {"subject": get_passport_or_raise().subject}

    @guarded.get("/boom")
    async def boom() -> None:
        raise Boom

    # a core policy, then one of this package's require_* (the same policy, as a dependency)
    both = PassportRoute.requiring(role_policy("admin")).requiring(require_permission("refund"))
    strict = APIRouter(prefix="/strict", route_class=both)

    @strict.get("/refund")
    async def refund(request: Request) -> dict[str, Any]:
        return {"subject": request.state.passport.subject}

    app.include_router(guarded)
    app.include_router(strict)

    @app.exception_handler(Boom)
    async def boom_handler(request: Request, error: Exception) -> Any:
        from fastapi.responses import JSONResponse  # noqa: PLC0415

        return JSONResponse({"boom": get_passport() is None}, status_code=500)

    return app


@pytest.fixture
def keys(ring: KeyRing) -> PlainSource:
    return PlainSource(*(key.public() for key in ring.keys))


@pytest.fixture
def client(keys: PlainSource) -> Any:
    with TestClient(_app(keys)) as test_client:
        yield test_client


def test_the_route_and_its_dependencies_share_one_verify(
    client: TestClient, keys: PlainSource, mint: Mint
) -> None:
    answer = client.get("/guarded/with-dependencies", headers={"X-Passport": mint(roles=["admin"])})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"subject": "alice"}
    assert keys.lookups == 1  # the cache is off: one look-up is one verify


@pytest.mark.parametrize("path", ["/guarded/current", "/guarded/current-sync"])
def test_the_passport_is_current_in_async_and_sync_path_functions(
    client: TestClient, mint: Mint, path: str
) -> None:
    answer = client.get(path, headers={"X-Passport": mint("bob")})
    assert answer.json() == {"subject": "bob"}
    assert get_passport() is None  # and only there (no_passport_leaks checks the end, too)


def test_the_context_is_reset_when_the_path_function_raises(client: TestClient, mint: Mint) -> None:
    answer = client.get("/guarded/boom", headers={"X-Passport": mint()})
    assert answer.status_code == 500
    assert answer.json() == {"boom": True}


def test_refused_before_any_dependency_runs(client: TestClient, keys: PlainSource) -> None:
    answer = client.get("/guarded/with-dependencies")
    assert_problem(answer, 401, "missing_token")
    assert keys.lookups == 0


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"roles": ["admin"], "permissions": ["refund"]}, 200),
        ({"roles": ["admin"]}, 403),
        ({"permissions": ["refund"]}, 403),
    ],
    ids=["both", "role only", "permission only"],
)
def test_requiring_twice_requires_both(
    client: TestClient, mint: Mint, claims: dict[str, Any], status: int
) -> None:
    answer = client.get("/strict/refund", headers={"X-Passport": mint(**claims)})
    assert answer.status_code == status
    if status == 403:
        assert_problem(answer, 403, "permission_denied")
        assert answer.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')


def test_requiring_needs_a_policy() -> None:
    with pytest.raises(ConfigurationError, match="Policy"):
        PassportRoute.requiring("admin")  # type: ignore[arg-type]


def test_the_apps_own_routes(ring: KeyRing, mint: Mint) -> None:
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())
    app.router.route_class = PassportRoute

    @app.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        return {"subject": request.state.passport.subject}

    with TestClient(app) as test_client:
        assert test_client.get("/me", headers={"X-Passport": mint()}).json() == {"subject": "alice"}
        assert_problem(test_client.get("/me"), 401, "missing_token")


@pytest.mark.parametrize(
    ("settings", "requirement"),
    [
        ({}, [{"Passport": []}]),
        ({"bearer": True}, [{"Passport": []}, {"PassportBearer": []}]),
    ],
    ids=["header", "header or bearer"],
)
def test_openapi_lists_the_requirement_on_every_guarded_operation(
    keys: PlainSource, settings: dict[str, Any], requirement: list[dict[str, list[str]]]
) -> None:
    schema = _app(keys, **settings).openapi()
    assert "Passport" in schema["components"]["securitySchemes"]
    for path in ["/guarded/current", "/guarded/current-sync", "/strict/refund"]:
        assert schema["paths"][path]["get"]["security"] == requirement, path
    # the route's own passport dependencies add nothing twice, and no optional alternative
    assert schema["paths"]["/guarded/with-dependencies"]["get"]["security"] == requirement


def test_openapi_has_the_scheme_when_only_route_classes_use_it(ring: KeyRing) -> None:
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())
    router = APIRouter(route_class=PassportRoute)

    @router.get("/only")
    async def only() -> None: ...

    app.include_router(router)
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["Passport"]["name"] == "X-Passport"
    assert schema["paths"]["/only"]["get"]["security"] == [{"Passport": []}]


def test_a_passport_in_the_lifespan_state_is_never_taken_as_verified(
    ring: KeyRing, passport_of: Any, mint: Mint
) -> None:
    """Starlette copies the lifespan state into each request's: ``state["passport"]`` there
    (or set by a middleware, or by a parent app with other rules) proves nothing."""
    planted = passport_of("mallory", roles=["admin"])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"passport": planted}

    app = FastAPI(lifespan=lifespan)
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())
    guarded = APIRouter(route_class=PassportRoute.requiring(role_policy("admin")))

    @guarded.get("/guarded")
    async def by_route_class(request: Request) -> dict[str, Any]:
        return {"subject": request.state.passport.subject}

    @app.get("/dependency")
    async def by_dependency(found: PassportDep) -> dict[str, Any]:
        return {"subject": found.subject}

    app.include_router(guarded)
    with TestClient(app) as test_client:
        for path in ["/guarded", "/dependency"]:
            assert_problem(test_client.get(path), 401, "missing_token")
        answer = test_client.get("/guarded", headers={"X-Passport": mint("ada", roles=["admin"])})
        assert answer.json() == {"subject": "ada"}
