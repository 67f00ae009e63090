"""The FastAPI test app (every public piece of passport_fastapi), probes and a real uvicorn."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette import exceptions as starlette_exceptions
from starlette.types import ASGIApp, Receive, Scope, Send

from passport_core import (
    Passport,
    any_of,
    get_passport,
    get_passport_or_raise,
)
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_fastapi import (
    AsyncOutboundClient,
    OptionalPassportDep,
    OutboundClient,
    PassportDep,
    require_permission,
    require_policy,
    require_role,
    require_scope,
    setup_passport,
)
from tests.servers import asgi_server

#: Starlette 1.x asks for the httpx2 package; the httpx its test client falls back to works.
#: Older Starlette (still allowed by fastapi's floor) has neither the class nor the warning.
_HTTPX2_NOTICE: type[Warning] = getattr(
    starlette_exceptions, "StarletteDeprecationWarning", DeprecationWarning
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", _HTTPX2_NOTICE)
    from fastapi.testclient import TestClient

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "AppFactory",
    "Boom",
    "ContextProbe",
    "Mint",
    "PassportOf",
    "Probe",
    "TestClient",
    "assert_problem",
    "build_app",
    "probe_of",
    "run_uvicorn",
]

ISSUER = "https://edge.test"
AUDIENCE = "orders"


class Boom(Exception):
    """Raised by the endpoints that fail on purpose."""


@dataclass
class Probe:
    """What the test app saw: the context after each request, in background tasks, clients."""

    after: list[Passport | None] = field(default_factory=list)
    background: list[Passport | None] = field(default_factory=list)
    clients: list[httpx.AsyncClient | httpx.Client] = field(default_factory=list)


class ContextProbe:
    """A pure ASGI middleware that records the current passport once the app has answered.

    It awaits the app in the request's own task, so a passport the dependencies
    left set would be visible here.
    """

    def __init__(self, app: ASGIApp, seen: list[Passport | None]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.seen.append(get_passport())


def _current_subject() -> str | None:
    found = get_passport()
    return found.subject if found else None


def _describe(found: Passport | None, request: Request) -> dict[str, Any]:
    on_request = getattr(request.state, "passport", None)
    return {
        "sub": found.subject if found else None,
        "current": _current_subject(),
        "state": on_request.subject if on_request else None,
    }


def build_app(**settings: Any) -> FastAPI:
    """A FastAPI app using every public piece of passport_fastapi; ``app.state.probe`` records."""
    app = FastAPI()
    setup_passport(app, **settings)
    probe = Probe()
    app.state.probe = probe
    app.add_middleware(ContextProbe, seen=probe.after)

    async def boom_handler(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"error": "boom", "current": _current_subject()}, status_code=418)

    app.add_exception_handler(Boom, boom_handler)

    @app.get("/me")
    async def me(found: PassportDep, request: Request) -> dict[str, Any]:
        return _describe(found, request)

    @app.get("/me-sync")
    def me_sync(found: PassportDep, request: Request) -> dict[str, Any]:
        return _describe(found, request)

    @app.get("/maybe")
    async def maybe(found: OptionalPassportDep, request: Request) -> dict[str, Any]:
        return _describe(found, request)

    @app.get("/maybe-sync")
    def maybe_sync(found: OptionalPassportDep, request: Request) -> dict[str, Any]:
        return _describe(found, request)

    @app.get("/public")
    async def public() -> dict[str, Any]:
        return {"current": _current_subject()}

    @app.get("/admin", dependencies=[Depends(require_role("admin"))])
    def admin() -> dict[str, Any]:
        return {"current": _current_subject()}

    @app.get("/admin-param")
    async def admin_param(
        found: Annotated[Passport, Depends(require_role("admin"))],
    ) -> dict[str, Any]:
        return {"sub": found.subject}

    refunders = require_policy(any_of(role_policy("admin"), permission_policy("orders:refund")))

    @app.get("/policy", dependencies=[Depends(refunders)])
    async def policy() -> dict[str, Any]:
        return {"current": _current_subject()}

    router = APIRouter(prefix="/orders", dependencies=[Depends(require_scope("orders:read"))])

    @router.get("/list")
    async def list_orders() -> dict[str, Any]:
        return {"current": _current_subject()}

    @router.get("/refund", dependencies=[Depends(require_permission("orders:refund"))])
    def refund() -> dict[str, Any]:
        return {"current": _current_subject()}

    app.include_router(router)

    @app.get("/boom")
    async def boom(found: PassportDep) -> None:
        assert get_passport_or_raise() is found
        raise Boom

    @app.get("/boom-sync")
    def boom_sync(found: PassportDep) -> None:
        assert get_passport_or_raise() is found
        raise Boom

    @app.get("/later")
    async def later(found: PassportDep, tasks: BackgroundTasks) -> dict[str, Any]:
        tasks.add_task(lambda: probe.background.append(get_passport()))
        return {"sub": found.subject}

    @app.get("/slow")
    async def slow(found: PassportDep, request: Request, delay: float = 0.0) -> dict[str, Any]:
        await asyncio.sleep(delay)
        return _describe(found, request)

    @app.get("/slow-sync")
    def slow_sync(found: PassportDep, request: Request, delay: float = 0.0) -> dict[str, Any]:
        time.sleep(delay)
        return _describe(found, request)

    @app.get("/forward")
    async def forward(url: str, client: AsyncOutboundClient, found: OptionalPassportDep) -> Any:
        probe.clients.append(client)
        response = await client.get(url)
        return response.json()

    @app.get("/forward-sync")
    def forward_sync(url: str, client: OutboundClient, found: OptionalPassportDep) -> Any:
        probe.clients.append(client)
        return client.get(url).json()

    return app


AppFactory = Callable[..., FastAPI]
Mint = Callable[..., str]
PassportOf = Callable[..., Passport]


def probe_of(app: FastAPI) -> Probe:
    probe = app.state.probe
    assert isinstance(probe, Probe)
    return probe


def run_uvicorn(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 (ephemeral port) in a thread."""
    return asgi_server(app)


def assert_problem(response: httpx.Response, status: int, code: str, *secrets: str) -> None:
    """A problem-details answer with the RFC 6750 challenge, and no token in it."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    for secret in secrets:
        assert secret not in response.text
        assert secret not in response.headers.get("www-authenticate", "")
