"""Installing service-passport on a FastAPI application: :func:`setup_passport`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from starlette.datastructures import URL

from passport_core import (
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    ConfigurationError,
    Gate,
    Passport,
    PassportConfig,
    PassportError,
    RequestTarget,
    awarm_up_gate,
    jwks_cache_control,
    problem_response,
)

__all__ = ["BEARER_SCHEME_NAME", "SCHEME_NAME", "setup_passport"]

#: the OpenAPI security scheme of the passport header (and of ``Authorization`` in bearer-only mode)
SCHEME_NAME = "Passport"
#: the second OpenAPI scheme, added when the header *and* ``Authorization: Bearer`` are accepted
BEARER_SCHEME_NAME = "PassportBearer"


_STATE_KEY = "service_passport"
_HEADER_HELP = "The service passport the edge minted for the caller (the bare token, no prefix)."
_BEARER_HELP = "The service passport as a Bearer token (RFC 6750)."


@dataclass(frozen=True)
class Installed:
    """What :func:`setup_passport` stores on ``app.state``."""

    config: PassportConfig
    gate: Gate
    #: the routes verified before FastAPI's dependency solver (see :mod:`passport_fastapi.fastpath`)
    fast: Any


#: where a request's verified passport is remembered, beside the gate that verified it. What
#: ``state["passport"]`` holds is for users to read, never proof: Starlette copies the lifespan
#: state into every request's state, and a mounted app shares its parent's, with other rules
_VERIFIED = "service_passport.verified"


def asgi_target(scope: Any) -> Callable[[], RequestTarget]:
    """The request's method and URI (root_path included), built only when a proof is checked.

    Starlette's view of the URL, from the scope: behind a proxy, run the server with
    its proxy-header settings (uvicorn ``--proxy-headers``, ``--forwarded-allow-ips``)
    and a correct ``Host``, or no DPoP proof's ``htu`` matches.
    """

    def target() -> RequestTarget:
        url = URL(scope=scope)
        raw = scope.get("raw_path")
        return RequestTarget.of(
            scope.get("method", "GET"),
            url.scheme,
            url.netloc,
            url.path,
            raw_path=raw.decode("latin-1") if isinstance(raw, bytes) else None,
        )

    return target


def verified_before(scope: Any, gate: Gate) -> Passport | None:
    """The passport ``gate`` already verified for this request, if any."""
    seen = scope.get("state", {}).get(_VERIFIED)
    if seen is not None and seen[0] is gate:
        found: Passport | None = seen[1]
        return found
    return None


def remember(scope: Any, gate: Gate, found: Passport | None) -> None:
    """Keep what ``gate`` answered for this request (also as ``request.state.passport``)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    state[_VERIFIED] = (gate, found)
    state["passport"] = found


def installed(app: Any) -> Installed:
    """The passport setup of ``app``; a clear error when :func:`setup_passport` was not called."""
    found = getattr(getattr(app, "state", None), _STATE_KEY, None)
    if not isinstance(found, Installed):
        raise ConfigurationError(
            "service-passport is not set up for this application: call setup_passport(app, ...) "
            "(a mounted sub-application needs its own call)"
        )
    return found


def setup_passport(
    app: FastAPI, config: PassportConfig | None = None, **settings: Any
) -> PassportConfig:
    """Make ``app`` accept passports; call once, before serving.

    Give a :class:`~passport_core.PassportConfig` or its settings by name
    (``issuer=``, ``audience=``, ``jwks=`` ...); a misconfiguration raises
    :class:`~passport_core.ConfigurationError` here, not on the first request.
    It then

    * builds the gate the ``passport`` dependencies verify with and stores it
      on ``app.state``;
    * registers an exception handler that answers every
      :class:`~passport_core.PassportError` with core's problem response
      (401 + ``WWW-Authenticate``, 403 ``insufficient_scope``, 503), so a bad
      passport never becomes a 422 or a 500. Register your own handler for
      ``PassportError`` afterwards to replace it;
    * serves ``GET /.well-known/jwks.json`` (public keys only, as
      ``application/jwk-set+json``, cacheable for 5 minutes, or a ring's shorter
      ``publish_delay``) when ``publish`` is set, read on every
      request so a key-ring rotation shows at once;
    * documents the configured header (or ``Authorization: Bearer``) as the
      ``Passport`` security scheme of the OpenAPI schema;
    * warms the verifier up when the app starts (its lifespan, after the
      app's own start-up code): remote keys fetched and each key's check run
      once, so the first request does not pay for them. A key server that is
      down does not stop the app; a warning is logged and the first request
      gets the usual 503. Served without lifespan (``--lifespan off``), or
      mounted as a sub-application, the first request warms up instead.

    Returns the configuration in use.
    """
    if getattr(app.state, _STATE_KEY, None) is not None:
        raise ConfigurationError("setup_passport() was already called for this application")
    if config is None:
        config = PassportConfig.from_mapping(settings)
    elif settings:
        raise ConfigurationError("give setup_passport() a PassportConfig or settings, not both")
    gate = config.build_gate()
    from passport_fastapi.fastpath import FastPath  # noqa: PLC0415 - it imports this module

    fast = FastPath(gate)
    fast.owner = Installed(config, gate, fast)
    setattr(app.state, _STATE_KEY, fast.owner)
    _warm_up_at_start(app, gate, fast)
    app.add_exception_handler(PassportError, _problem_handler(config.realm))
    if config.publish is not None:
        # A plain Starlette route: app-wide ``dependencies=[Depends(passport)]`` must not
        # guard the keys verifiers fetch without a passport.
        app.add_route(JWKS_PATH, _jwks_endpoint(config), methods=["GET"], include_in_schema=False)
    _document_security(app, config)
    return config


def _warm_up_at_start(app: FastAPI, gate: Gate, fast: Any) -> None:
    """Run the app's lifespan, then warm the gate up (and find the routes that ask for a
    passport, every route being declared by then) before the first request is served."""
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with serve(running) as state:
            fast.ensure(app)
            await awarm_up_gate(gate)  # companions too; never fails the start
            yield state

    app.router.lifespan_context = lifespan


def _problem_handler(realm: str | None) -> Callable[[Request, Exception], Awaitable[Response]]:
    # async: Starlette would run a sync handler in the threadpool, a thread per refusal
    async def handle(request: Request, error: Exception) -> Response:
        # Starlette calls this only for PassportError, the class it was registered for.
        assert isinstance(error, PassportError)  # noqa: S101 - narrows the type for mypy
        problem = problem_response(error, realm=realm)
        return Response(
            problem.content,
            status_code=problem.status,
            headers=problem.headers,
            media_type=problem.content_type,
        )

    return handle


def _jwks_endpoint(config: PassportConfig) -> Callable[[Request], Awaitable[Response]]:
    async def jwks(request: Request) -> Response:
        return JSONResponse(
            config.published_jwks(),
            headers={"Cache-Control": jwks_cache_control(config.publish)},
            media_type=JWKS_CONTENT_TYPE,
        )

    return jwks


def _document_security(app: FastAPI, config: PassportConfig) -> None:
    """Describe the configured passport location in the OpenAPI schema.

    The ``passport`` dependency is one module-level object shared by every
    app, so its own OpenAPI model can only name the default header; the real
    location is per app and is written into the generated schema here.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI caches it: patching is done on the cached dict
        guarded = _guarded_operations(app)
        for path, method in guarded:
            operation = schema.get("paths", {}).get(path, {}).get(method)
            if isinstance(operation, dict):
                security = operation.setdefault("security", [])
                if {SCHEME_NAME: []} not in security:
                    security.append({SCHEME_NAME: []})
        schemes = schema.get("components", {}).get("securitySchemes", {})
        if SCHEME_NAME not in schemes and not guarded:
            return schema  # no route uses a passport
        if not schemes:
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if config.header is not None:
            schemes[SCHEME_NAME] = {
                "type": "apiKey",
                "in": "header",
                "name": config.header,
                "description": _HEADER_HELP,
            }
        else:
            schemes[SCHEME_NAME] = _bearer_scheme()
        both = config.header is not None and config.bearer
        if both:
            schemes[BEARER_SCHEME_NAME] = _bearer_scheme()
        optional = _optional_operations(app)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                security = operation.get("security") if isinstance(operation, dict) else None
                if not security:
                    continue
                # FastAPI 0.123 (our lowest) lists a scheme once per dependency using it
                # (passport and optional_passport on one route): one requirement is the same.
                security[:] = [
                    item for at, item in enumerate(security) if item not in security[:at]
                ]
                if both:
                    # OpenAPI lists alternatives as separate requirement objects: either will do.
                    _add_alternative(security)
                if (
                    (path, method) in optional
                    and (path, method) not in guarded
                    and {} not in security
                ):
                    # OpenAPI 3: an empty requirement object makes security optional.
                    security.append({})
        return schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented extension point
    app.openapi_schema = None


def _passport_schemes(dependant: Dependant) -> Iterator[SecurityBase]:
    for sub in dependant.dependencies:
        call: Any = sub.call  # typed as a plain callable; security schemes are instances
        if isinstance(call, SecurityBase) and call.scheme_name == SCHEME_NAME:
            yield call
        yield from _passport_schemes(sub)


def _api_routes(app: FastAPI) -> Iterator[tuple[APIRoute, Any]]:
    """Every API route of ``app`` with the view OpenAPI documents it by (full path, methods,
    dependencies with the routers' own), included routers too.

    FastAPI 0.165 keeps an included router whole instead of copying its routes into
    ``app.routes``, and walks it with ``fastapi.routing.iter_route_contexts``; earlier
    versions copy each route, so ``app.routes`` is already the whole list.
    """
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route, route
        return
    for context in contexts(app.routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            yield original, context


def _operations(view: Any) -> Iterator[tuple[str, str]]:
    if view.include_in_schema:
        yield from ((view.path_format, method.lower()) for method in view.methods or ())


def _optional_operations(app: FastAPI) -> set[tuple[str, str]]:
    """``(path, method)`` of the operations whose every passport dependency is optional."""
    found: set[tuple[str, str]] = set()
    for _, view in _api_routes(app):
        required = {
            getattr(scheme, "required", True) for scheme in _passport_schemes(view.dependant)
        }
        if required == {False}:
            found.update(_operations(view))
    return found


def _guarded_operations(app: FastAPI) -> set[tuple[str, str]]:
    """``(path, method)`` of the operations a :class:`~passport_fastapi.PassportRoute` guards."""
    from passport_fastapi.routing import PassportRoute  # noqa: PLC0415 - it imports this module

    found: set[tuple[str, str]] = set()
    for route, view in _api_routes(app):
        if isinstance(route, PassportRoute):
            found.update(_operations(view))
    return found


def _bearer_scheme() -> dict[str, Any]:
    return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": _BEARER_HELP}


def _add_alternative(security: list[dict[str, list[str]]]) -> None:
    if {SCHEME_NAME: []} in security and {BEARER_SCHEME_NAME: []} not in security:
        security.append({BEARER_SCHEME_NAME: []})
