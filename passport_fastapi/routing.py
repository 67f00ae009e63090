"""Protecting whole routers: :class:`PassportRoute`, a route class that verifies first.

::

    from fastapi import APIRouter
    from passport_core import get_passport_or_raise
    from passport_fastapi import PassportDep, PassportRoute, require_role

    orders = APIRouter(prefix="/orders", route_class=PassportRoute)

    @orders.get("/")
    async def list_orders(passport: PassportDep) -> list[str]: ...

    admin = APIRouter(prefix="/admin", route_class=PassportRoute.requiring(require_role("admin")))
    # require_role, require_scope, ... from passport_fastapi or passport_core alike

Why a route class, beside ``dependencies=[Depends(passport)]``
--------------------------------------------------------------

FastAPI documents ``route_class`` as the place for code that runs around every
route of a router: here, requiring a passport on each route of a router without
naming it on each. It verifies in the request handler itself, before FastAPI's
dependency solver runs, as the handler :mod:`passport_fastapi.fastpath` gives a
route whose own dependencies ask for a passport. Inside, ``PassportDep``,
``require_*`` and ``request.state.passport`` give the passport already verified
(never a second verify; the route's own passport dependencies are left out of
the solver), and it is current for core
(:func:`passport_core.get_passport_or_raise`, outbound clients) until the path
function has returned, as with the dependency. With ``app.dependency_overrides``
set, the route still requires a real passport; the overrides replace the
route's passport dependencies, which FastAPI then solves.

A missing or bad passport is a 401 and a policy denial a 403, answered by the
exception handler :func:`~passport_fastapi.setup_passport` installs, as for the
dependency. The OpenAPI schema lists the ``Passport`` security requirement on
every operation of such a router. Only HTTP routes are covered: a router's
WebSocket routes take ``Depends(passport)``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from passport_core import (
    ConfigurationError,
    Gate,
    Passport,
    Policy,
    asgi_header_getter,
    warm_path_of,
)
from passport_fastapi.application import asgi_target, installed, remember, verified_before
from passport_fastapi.dependencies import PolicyDependency
from passport_fastapi.fastpath import (
    run_current,
    serving_target,
    without_passport_dependencies,
)

__all__ = ["PassportRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PassportRoute(APIRoute):
    """A route that requires a valid passport (and :attr:`policy`, when set).

    Use it as a router's ``route_class`` (``APIRouter(route_class=PassportRoute)``),
    or for the app's own routes with ``app.router.route_class = PassportRoute``
    before they are declared. ``include_router`` keeps each route's class.
    FastAPI applies a route class to HTTP routes only: a WebSocket route of such a
    router is not protected by it and takes ``Depends(passport)`` instead.
    """

    #: checked on the verified passport before the path function runs (403 when it denies)
    policy: ClassVar[Policy | None] = None

    @classmethod
    def requiring(cls, policy: Policy | PolicyDependency) -> type[PassportRoute]:
        """A route class that also requires ``policy`` (on top of this class's own).

        ``policy`` is a core :class:`~passport_core.Policy` or what this package's
        ``require_role``, ``require_scope``, ``require_permission`` and
        ``require_policy`` return.
        """
        if isinstance(policy, PolicyDependency):
            policy = policy.policy
        if not isinstance(policy, Policy):
            raise ConfigurationError("PassportRoute.requiring() needs a passport_core Policy")
        combined = policy if cls.policy is None else cls.policy & policy
        return type(cls.__name__, (cls,), {"policy": combined, "__module__": cls.__module__})

    def get_route_handler(self) -> Handler:
        solve_and_run = super().get_route_handler()
        # The route's own passport dependencies left out of FastAPI's solver, as for any
        # route (passport_fastapi.fastpath): they read the passport verified here.
        planned = without_passport_dependencies(self, super().get_route_handler)
        overrides_of = serving_target(self).dependency_overrides_provider
        policy = self.policy

        #: the app last served, its gate and the gate's warm path: looked up once per app, not
        #: per request (Starlette's State answers through __getattr__, after a failed lookup)
        seen: tuple[Any, Gate, Callable[[Any], Passport | None]] | None = None

        async def verified(request: Request) -> Response:
            nonlocal seen
            scope = request.scope
            app = scope["app"]
            if seen is None or seen[0] is not app:
                setup_gate = installed(app).gate
                seen = (app, setup_gate, warm_path_of(setup_gate))
            _, gate, cached = seen
            found = verified_before(scope, gate)
            if found is None:
                found = cached(scope["headers"])  # a passport seen before: no coroutine
                if found is None:
                    found = await gate.aauthenticate(
                        asgi_header_getter(scope["headers"]), target=asgi_target(scope)
                    )
                remember(scope, gate, found)
            assert found is not None  # noqa: S101 - required: the gate raises instead
            if policy is not None:
                policy.check(found)
            if planned is None or (overrides_of is not None and overrides_of.dependency_overrides):
                # Overrides replace the route's passport dependencies, not the route class.
                return await run_current(found, solve_and_run, request)
            plan, fast = planned
            for required in plan.policies:
                required.check(found)
            return await run_current(found, fast, request)

        return verified
