"""Verifying before the dependency solver, for the routes whose dependencies ask for a passport.

Why
---

FastAPI solves every ``Depends`` on every request: a dependency that does nothing costs
more than a warm verify (the ``plain Depends`` row of ``benchmarks/adapters.py``), so a
route taking :data:`~passport_fastapi.PassportDep` could not serve nearly the requests per
second of an open one however fast the verify. Here, once the app's routes are known (at
start-up, or at the first request that asks for a passport), each route whose *own*
dependencies ask for one (``passport``, ``optional_passport``, ``require_*`` — as parameters
or in ``dependencies=[...]`` of the route, its routers or the app) gets a second handler,
built by FastAPI itself from a copy of the route's dependant without those dependencies.
Per request, that route's handler

1. verifies the passport (required when any of them requires it) and checks the
   ``require_*`` policies, in the request's task, before FastAPI solves anything else, so a
   refusal is the same 401 / 403 problem response, raised to the same exception handler;
2. makes it current for core until the path function is done (set and reset around the
   handler, as :class:`~passport_fastapi.PassportRoute` does) and keeps it on
   ``request.state.passport``;
3. runs FastAPI's handler for the copy, whose path function receives the passport in the
   parameters that asked for it.

Routes that ask for no passport are not touched and never verify. The route's own
dependant is left as it is, so the OpenAPI schema does not change, and
``app.dependency_overrides`` keeps its documented meaning: while any override is set, the
route runs FastAPI's original handler, dependencies and all. A passport dependency nested in
one of your own dependencies is still solved by FastAPI; it reads the passport already
verified (never a second verify). Routes of included routers are covered too (FastAPI
0.165 keeps an included router whole and serves each of its routes through a context of the
inclusion: that context's handler is the one replaced, and a router changed later is compiled
again at the next request that asks for a passport). WebSocket routes and path functions that
are generators keep the dependency path, which behaves the same;
:class:`~passport_fastapi.PassportRoute` does this in its own handler.

Two differences from the dependencies solved in their declared order: a refusal (401, 403)
comes before any of the route's other dependencies runs, and the passport is current for
every one of them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, request_response

from passport_core import (
    Gate,
    Passport,
    Policy,
    asgi_header_getter,
    reset_passport,
    set_passport,
    warm_path_of,
)
from passport_fastapi.application import _STATE_KEY, _VERIFIED, asgi_target

__all__ = [
    "FastPath",
    "Plan",
    "plan_of",
    "run_current",
    "serving_target",
    "verifying_handler",
    "without_passport_dependencies",
]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

#: the passport the handler verified, for the path function's parameters (``None``: optional,
#: none sent). A variable of its own: core's is left unset when no passport was sent
_INJECTED: ContextVar[Passport | None] = ContextVar("passport_fastapi.injected", default=None)


@dataclass(frozen=True)
class Plan:
    """What a route's own passport dependencies ask for."""

    required: bool
    policies: tuple[Policy, ...]
    names: tuple[str, ...]  #: the path function's parameters that receive the passport


def plan_of(dependant: Dependant) -> tuple[Plan, Dependant] | None:
    """The route's plan and its dependant without the passport dependencies; ``None`` when it
    has none of its own (or its path function cannot be wrapped)."""
    from passport_fastapi.dependencies import (  # noqa: PLC0415 - it imports application
        PassportScheme,
        PolicyDependency,
    )

    call = dependant.call
    if call is None or _is_generator(call):
        return None
    kept: list[Dependant] = []
    names: list[str] = []
    policies: list[Policy] = []
    required = False
    asked = False
    for sub in dependant.dependencies:
        what: Any = sub.call
        # Exact types: a subclass may do more than verify, and stays a dependency.
        if type(what) is PassportScheme:
            required = required or what.required
        elif type(what) is PolicyDependency:
            required = True
            policies.append(what.policy)
        else:
            kept.append(sub)
            continue
        asked = True
        if sub.name is not None:
            names.append(sub.name)
    if not asked:
        return None
    plan = Plan(required, tuple(policies), tuple(names))
    stripped = dataclasses.replace(
        dependant, dependencies=kept, call=_injecting(call, plan.names) if names else call
    )
    return plan, stripped


def _is_generator(call: Any) -> bool:
    return inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)


def _is_async(call: Any) -> bool:
    """Whether calling ``call`` gives a coroutine: through ``functools.partial`` and
    ``@functools.wraps`` wrappers, as FastAPI decides how to call an endpoint."""
    while isinstance(call, functools.partial):
        call = call.func
    call = inspect.unwrap(call)
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def _injecting(call: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """``call`` with the verified passport added under ``names``; async stays async (run in
    the request's task), sync stays sync (run in the threadpool, in a copy of its context).

    Read from a variable of its own, not core's: a dependency of the route may make another
    passport current (``use_passport``), and the parameter is still the verified one, as on
    FastAPI's own path; and an optional one may be ``None``, which core's variable does not
    tell apart from unset."""
    read = _INJECTED.get
    if _is_async(call):

        async def endpoint(**values: Any) -> Any:
            found = read()
            for name in names:
                values[name] = found
            return await call(**values)

        chosen: Callable[..., Any] = endpoint
    else:

        def sync_endpoint(**values: Any) -> Any:
            found = read()
            for name in names:
                values[name] = found
            return call(**values)

        chosen = sync_endpoint
    # FastAPI names the path function in its error messages; no __wrapped__, which FastAPI
    # would follow to decide how to call it.
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        if hasattr(call, attribute):
            setattr(chosen, attribute, getattr(call, attribute))
    return chosen


async def run_current(found: Passport | None, handler: Handler, request: Request) -> Response:
    """Run ``handler`` with ``found`` current for core and given to the path function's
    passport parameters.

    Set and reset in the request's task, around the handler: the dependencies and the path
    function (sync ones in a copy of this context) see it, no other request does, and it is
    gone before the response (its background tasks included) is sent.
    """
    injected = _INJECTED.set(found)
    current = set_passport(found) if found is not None else None
    try:
        return await handler(request)
    finally:
        if current is not None:
            reset_passport(current)
        _INJECTED.reset(injected)


def serving_target(route: APIRoute) -> Any:
    """What FastAPI builds ``route``'s handler from right now: the route, or (FastAPI 0.165,
    while it builds an included route's handler) that inclusion's context of the route."""
    building = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = building.get() if building is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        return context
    return route


def without_passport_dependencies(
    route: APIRoute, build: Callable[[], Handler]
) -> tuple[Plan, Handler] | None:
    """The plan of the route being built and ``build()``'s handler for its dependant without
    the passport dependencies; ``None`` when it has none of its own."""
    target = serving_target(route)
    planned = plan_of(target.dependant)
    if planned is None:
        return None
    plan, stripped = planned
    original = target.dependant
    target.dependant = stripped
    try:
        return plan, build()
    finally:
        target.dependant = original


_UNSET: Any = object()


def verifying_handler(
    plan: Plan, gate: Gate, fast: Handler, slow: Handler, overrides_of: Any, owner: Any = None
) -> Handler:
    """The route's handler: ``slow`` (FastAPI's own) while dependency overrides are set,
    else verify per ``plan`` and run ``fast`` with the passport current."""
    required = plan.required
    policies = plan.policies
    cached = warm_path_of(gate)

    #: the app last seen to be the owner's (``_UNSET``: none yet)
    known: Any = _UNSET

    async def serve(request: Request) -> Response:
        nonlocal known
        if overrides_of is not None and overrides_of.dependency_overrides:
            return await slow(request)
        scope = request.scope
        app = scope.get("app")
        if app is not known:
            # A route object another app serves too (FastAPI(routes=app.routes)) is verified by
            # that app's own settings: its dependencies, on FastAPI's path. Checked once per
            # app, not per request: Starlette's State answers through __getattr__, after a
            # failed lookup that formats an AttributeError, and an app's setup never changes
            # (setup_passport refuses a second call).
            if getattr(getattr(app, "state", None), _STATE_KEY, None) is not owner:
                return await slow(request)
            known = app
        # The first verify of this request: nothing of it runs before the route's handler.
        found = cached(scope["headers"])  # a passport seen before: no coroutine
        if found is None:
            found = await gate.aauthenticate(
                asgi_header_getter(scope["headers"]), required=required, target=asgi_target(scope)
            )
        # remember(scope, gate, found), inlined, as below: frames are most of this handler's cost
        state = scope.setdefault("state", {})
        state[_VERIFIED] = (gate, found)
        state["passport"] = found
        if required:
            assert found is not None  # noqa: S101 - required: the gate raised
            for policy in policies:
                policy.check(found)
        # run_current(found, fast, request), inlined: one coroutine less per request
        injected = _INJECTED.set(found)
        current_or_none = set_passport(found) if found is not None else None
        try:
            return await fast(request)
        finally:
            if current_or_none is not None:
                reset_passport(current_or_none)
            _INJECTED.reset(injected)

    return serve


#: marks a route's ASGI app built here, so a route is compiled once
_MARK = "_passport_fastpath"


class FastPath:
    """The routes of one app whose passport dependencies are verified before the solver."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        #: the app's ``Installed`` setup: a request of another app takes FastAPI's path
        self.owner: Any = None
        self._signature: tuple[int, int] | None = None

    def ensure(self, app: Any) -> None:
        """Compile the routes of ``app`` added since the last call (cheap when none was)."""
        router = app.router
        # FastAPI 0.165 counts changes to a router and the routers it includes; before it,
        # included routes are copied into the app's own list, whose length then says enough.
        versions = getattr(router, "_get_routes_version", None)
        signature = (len(router.routes), versions() if callable(versions) else 0)
        if signature == self._signature:
            return
        self._signature = signature
        for route, target in _targets(router.routes):
            if not getattr(target.app, _MARK, False):
                self._compile(route, target)

    def _compile(self, route: APIRoute, target: Any) -> None:
        if plan_of(target.dependant) is None:
            return
        slow, planned = _handlers(route, target)
        if planned is None:
            return
        plan, fast = planned
        overrides = target.dependency_overrides_provider
        serve = verifying_handler(plan, self.gate, fast, slow, overrides, owner=self.owner)
        app = request_response(serve)
        # FastAPI 0.165 wraps each route's app in its request-body limit; keep it.
        limit = getattr(fastapi.routing, "wrap_app_with_body_limit", None)
        if limit is not None:
            app = limit(app, getattr(target, "max_body_size", None))
        setattr(app, _MARK, True)
        target.app = app


def _targets(routes: Any) -> Iterator[tuple[APIRoute, Any]]:
    """Every HTTP API route with the object FastAPI serves it through: the route itself, or
    (FastAPI 0.165, an included router) the route's context in that inclusion, which holds
    the dependant with the routers' own dependencies and the app the request goes to."""
    from passport_fastapi.routing import PassportRoute  # noqa: PLC0415 - it imports this

    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    found: Iterator[tuple[Any, Any]]
    if contexts is None:
        found = ((route, route) for route in routes)
    else:
        found = (
            (context.original_route, getattr(context, "_route_context", None) or context.route)
            for context in contexts(routes)
        )
    for route, target in found:
        # PassportRoute verifies in its own handler. Another route class is fine: both
        # handlers are built by its own get_route_handler.
        if (
            isinstance(route, APIRoute)
            and not isinstance(route, PassportRoute)
            and all(hasattr(target, name) for name in ("app", "dependant"))
        ):
            yield route, target


def _handlers(route: APIRoute, target: Any) -> tuple[Handler, tuple[Plan, Handler] | None]:
    """FastAPI's handler for the route as declared, and the plan with the handler for its
    dependant without the passport dependencies: both built by the route's own
    ``get_route_handler``, so every setting of the route (response model, status, body) is
    FastAPI's."""
    # FastAPI 0.165 builds an included route's handler with the inclusion's context current.
    building = getattr(fastapi.routing, "_effective_route_context_var", None)
    token = building.set(target) if building is not None and target is not route else None
    try:
        return route.get_route_handler(), without_passport_dependencies(
            route, route.get_route_handler
        )
    finally:
        if token is not None:
            building.reset(token)  # type: ignore[union-attr] # set above
