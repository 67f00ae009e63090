"""passport_fastapi: service passports in FastAPI, as dependencies.

::

    from typing import Annotated

    from fastapi import APIRouter, Depends, FastAPI
    from passport_core import Passport
    from passport_fastapi import (
        AsyncOutboundClient, OptionalPassportDep, PassportDep,
        require_permission, require_role, require_scope, setup_passport,
    )

    app = FastAPI()
    setup_passport(
        app,
        issuer="https://edge.example",
        audience="orders",
        jwks_url="https://edge.example/.well-known/jwks.json",
        allowed_hosts=["billing.internal"],
    )

    @app.get("/me")
    async def me(passport: PassportDep) -> dict[str, str]:
        return {"user": passport.subject}

    @app.get("/hello")
    def hello(passport: OptionalPassportDep) -> str:  # sync works too
        return f"hello {passport.subject if passport else 'stranger'}"

    @app.delete("/orders/{order_id}", dependencies=[Depends(require_role("admin"))])
    async def delete_order(order_id: int, billing: AsyncOutboundClient) -> None:
        # the passport goes along to billing.internal, and to no other host
        await billing.delete(f"https://billing.internal/invoices/{order_id}")

    reports = APIRouter(prefix="/reports", dependencies=[Depends(require_scope("reports:read"))])

    @reports.get("/daily")
    async def daily(passport: Annotated[Passport, Depends(require_permission("reports:daily"))]):
        return {"for": passport.subject}

    app.include_router(reports)

* ``Depends(passport)`` / :data:`PassportDep` give the verified
  :class:`~passport_core.Passport` (also on ``request.state.passport``);
  ``optional_passport`` / :data:`OptionalPassportDep` give ``None`` when no
  passport was sent. A missing or bad passport answers 401, a policy denial
  403, always as ``application/problem+json`` with a ``WWW-Authenticate``
  challenge — never a 422 or a 500.
* Verified only where a route asks (a passport dependency or ``require_*``):
  a route without one ignores any passport sent, the rule of every adapter
  (see :mod:`passport_core.inbound`).
* Verified before FastAPI's dependency solver: once the routes are known (at
  start-up, or at the first request that asks for a passport), a route whose own
  dependencies ask for one verifies it, and checks its ``require_*`` policies, in
  its handler; FastAPI then solves only the route's other dependencies, and the
  path function receives the passport in the parameters that asked. A passport
  route then costs about a warm verify more than an open one, and a refusal
  comes before any of your dependencies runs (see :mod:`passport_fastapi.fastpath`).
* ``require_role``, ``require_scope``, ``require_permission`` and
  ``require_policy`` work in ``dependencies=[...]`` of routes, routers and
  the app, and as parameters (they give the passport).
* A whole router: ``APIRouter(route_class=PassportRoute)`` (or
  ``PassportRoute.requiring(policy)``) requires a passport on each of its
  routes, also verified before FastAPI solves the route's dependencies (see
  :mod:`passport_fastapi.routing`).
* While the dependencies and the path function run, the passport is current
  for core (``passport_core.get_passport_or_raise()``); :data:`OutboundClient`
  (``httpx.Client``) and :data:`AsyncOutboundClient` (``httpx.AsyncClient``)
  forward it, only to ``allowed_hosts``; FastAPI closes them after the response.
* The header is ``X-Passport`` unless ``header=`` says otherwise;
  ``bearer=True`` also accepts ``Authorization: Bearer`` (``header=None``:
  only that). The OpenAPI schema and ``/docs`` → *Authorize* follow the
  setting. With ``publish=`` (a key ring) the app serves its JWKS at
  ``/.well-known/jwks.json``.
* In tests, ``app.dependency_overrides[passport] = lambda: fake_passport``
  works; see :mod:`passport_fastapi.dependencies` for making the fake current.
"""

from __future__ import annotations

from passport_fastapi.application import BEARER_SCHEME_NAME, SCHEME_NAME, setup_passport
from passport_fastapi.dependencies import (
    AsyncOutboundClient,
    OptionalPassportDep,
    OutboundClient,
    PassportDep,
    PassportScheme,
    PolicyDependency,
    async_outbound_client,
    optional_passport,
    outbound_client,
    passport,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from passport_fastapi.routing import PassportRoute

__all__ = [
    "BEARER_SCHEME_NAME",
    "SCHEME_NAME",
    "AsyncOutboundClient",
    "OptionalPassportDep",
    "OutboundClient",
    "PassportDep",
    "PassportRoute",
    "PassportScheme",
    "PolicyDependency",
    "async_outbound_client",
    "optional_passport",
    "outbound_client",
    "passport",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
    "setup_passport",
]
