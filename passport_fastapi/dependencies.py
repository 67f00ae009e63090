"""FastAPI dependencies: ``passport``, ``optional_passport``, ``require_*``, outbound clients.

How the current passport is set, and why this way
-------------------------------------------------

The ``passport`` dependency verifies the request's passport and makes it
current for core (:func:`passport_core.get_passport_or_raise`, outbound clients)
with :func:`passport_core.set_passport`. The matching reset is registered as a
plain callback on the exit stack FastAPI closes when the path function has
returned or raised, before the response is sent: the stack its own
``Depends(scope="function")`` dependencies exit on (FastAPI 0.121 or later).

* Why not a ``yield`` dependency: FastAPI wraps each async generator in a
  context manager, an anyio cancel scope and one more level of dependency
  solving, about three times what the whole dependency costs now; a
  callback on the same stack resets at the same moment for the price of an
  append.
* Correct under concurrency: uvicorn serves every request in its own asyncio
  task and a :class:`~contextvars.ContextVar` is per task. Async dependencies
  and async path functions run in that task, so what one request sets is
  invisible to every other; sync path functions and sync dependencies run in
  the threadpool in a *copy* of that task's context (Starlette's
  ``run_in_threadpool``), so they see the passport and cannot leak it back.
  The set and the reset both happen in the request's task; only an *async*
  dependency can do that (a sync one runs in a worker thread and its set
  would never reach the path function). Served in the caller's own task
  (``httpx.ASGITransport``), the caller's context is left as it was.
* Not a middleware: a pure ASGI middleware (Starlette's authentication
  middleware shape) would verify on every route, also on ones that need no
  passport, and could not tell a required passport from an optional one.
  The dependency verifies exactly where a route asks for it.
* Usually not solved at all: where a route's own dependencies ask for the
  passport, the route's handler verifies it before FastAPI's solver runs and
  leaves these dependencies out of it (:mod:`passport_fastapi.fastpath`); what is
  said here about setting and resetting the passport holds for that path too.
  The dependency itself runs for the first request of a route served without
  lifespan, nested in your own dependencies, on WebSocket routes and while
  ``app.dependency_overrides`` is set.
* Reset before the response: ``BackgroundTasks`` and the body of a
  ``StreamingResponse`` run after the path function and see no passport
  unless the code hands it over (``with use_passport(p): ...``), as for
  threads. The reset also happens when the path function raises.

``app.dependency_overrides[passport] = lambda: fake`` replaces the whole
dependency, verification and context alike: ``Depends(passport)`` and every
``require_*`` see ``fake``, but ``get_passport_or_raise()`` does not. To make the
fake current too, override with an async generator::

    async def as_alice() -> AsyncIterator[Passport]:
        with use_passport(alice):
            yield alice

    app.dependency_overrides[passport] = as_alice
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Annotated

import httpx
from fastapi import Depends
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection

from passport_core import (
    DEFAULT_HEADER,
    ConfigurationError,
    Passport,
    Policy,
    asgi_header_getter,
    reset_passport,
    set_passport,
)
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_fastapi.application import (
    SCHEME_NAME,
    asgi_target,
    installed,
    remember,
    verified_before,
)

__all__ = [
    "AsyncOutboundClient",
    "OptionalPassportDep",
    "OutboundClient",
    "PassportDep",
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
]


#: the exit stack FastAPI closes right after the path function (its ``scope="function"`` one)
_FUNCTION_STACK = "fastapi_function_astack"


def _make_current(request: HTTPConnection, found: Passport) -> None:
    """Make ``found`` current until the path function is done, in the request's task."""
    stack = request.scope.get(_FUNCTION_STACK)
    if not isinstance(stack, AsyncExitStack):
        raise ConfigurationError(
            "this FastAPI version keeps no per-function exit stack in the request scope; "
            "passport_fastapi needs FastAPI 0.121 or later"
        )
    stack.callback(reset_passport, set_passport(found))


class PassportScheme(SecurityBase):
    """Verifies the request's passport; FastAPI's security integration included.

    Use the module-level instances :data:`passport` and
    :data:`optional_passport` (stable objects, so ``dependency_overrides``
    works) rather than making new ones. The header read is the one the app's
    :func:`~passport_fastapi.setup_passport` configured; the OpenAPI scheme
    ``Passport`` is rewritten to that header (or to ``Authorization: Bearer``),
    so ``/docs`` → *Authorize* asks for the passport where the app reads it.

    :param required: ``True``: a missing passport is a 401. ``False``: the
        dependency gives ``None`` when no passport is sent — but a passport
        that is sent and invalid is still a 401 (optional never means forged).
    """

    model: APIKey

    def __init__(self, *, required: bool = True, scheme_name: str = SCHEME_NAME) -> None:
        self.required = required
        self.scheme_name = scheme_name
        self.model = APIKey.model_validate({"in": APIKeyIn.header, "name": DEFAULT_HEADER})

    async def __call__(self, request: HTTPConnection) -> Passport | None:
        scope = request.scope
        setup = installed(request.app)
        gate = setup.gate
        already = verified_before(scope, gate)
        if already is not None:
            # `passport` and `optional_passport` are two dependencies, cached apart by
            # FastAPI (and the route's own handler or PassportRoute may have verified first,
            # see passport_fastapi.fastpath): one verify (or mint) per request.
            return already
        # Served without lifespan (or a route added since): find the routes to verify before
        # the solver from now on; this request goes on through the dependency.
        setup.fast.ensure(request.app)
        found = await gate.aauthenticate(
            asgi_header_getter(scope["headers"]), required=self.required, target=asgi_target(scope)
        )
        remember(scope, gate, found)
        if found is not None:
            _make_current(request, found)
        return found

    def __repr__(self) -> str:
        return "passport" if self.required else "optional_passport"


#: ``Depends(passport)`` gives the verified :class:`~passport_core.Passport` or answers 401
passport = PassportScheme(required=True)
#: ``Depends(optional_passport)`` gives the passport or ``None`` when none was sent
optional_passport = PassportScheme(required=False)

#: a path-function parameter holding the verified passport
PassportDep = Annotated[Passport, Depends(passport)]
#: a path-function parameter holding the passport, or ``None`` when none was sent
OptionalPassportDep = Annotated[Passport | None, Depends(optional_passport)]


class PolicyDependency:
    """A dependency that checks a core :class:`~passport_core.Policy` (403 when it denies).

    Works in ``dependencies=[Depends(...)]`` of a route, an ``APIRouter`` or
    the app, and as a parameter (``Annotated[Passport, Depends(...)]``),
    where it gives the verified passport.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    async def __call__(self, found: PassportDep) -> Passport:
        self.policy.check(found)
        return found

    def __repr__(self) -> str:
        return f"PolicyDependency({self.policy!r})"


def require_policy(policy: Policy) -> PolicyDependency:
    """Require any core policy, e.g. ``require_policy(any_of(...) & require(...))``."""
    return PolicyDependency(policy)


def require_role(*roles: str) -> PolicyDependency:
    """Require every given role: ``dependencies=[Depends(require_role("admin"))]``."""
    return PolicyDependency(role_policy(*roles))


def require_scope(*scopes: str) -> PolicyDependency:
    """Require every given scope."""
    return PolicyDependency(scope_policy(*scopes))


def require_permission(*permissions: str) -> PolicyDependency:
    """Require every given permission."""
    return PolicyDependency(permission_policy(*permissions))


def outbound_client(request: HTTPConnection) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` that forwards the current passport to the allowed hosts only.

    Built on :meth:`passport_core.PassportConfig.outbound_client` with the app's
    ``allowed_hosts`` and header (``Authorization: Bearer`` when the app reads
    passports only from there). It forwards the passport the route's own
    passport dependencies made current, read at each send; on a route without
    one, or after the path function returned, it forwards nothing.

    Ownership: as in every adapter, each use is a new client; here FastAPI's
    dependency system owns it and closes it once the response is sent (in
    Flask and Django the caller closes it). For a shared, pooled client build
    one with ``passport_core.passport_client`` in your lifespan.
    """
    with installed(request.app).config.outbound_client() as client:
        yield client


async def async_outbound_client(request: HTTPConnection) -> AsyncIterator[httpx.AsyncClient]:
    """The ``httpx.AsyncClient`` twin of :func:`outbound_client`, for async path functions."""
    async with installed(request.app).config.async_outbound_client() as client:
        yield client


#: a path-function parameter holding the passport-forwarding ``httpx.Client``
OutboundClient = Annotated[httpx.Client, Depends(outbound_client)]
#: a path-function parameter holding the passport-forwarding ``httpx.AsyncClient``
AsyncOutboundClient = Annotated[httpx.AsyncClient, Depends(async_outbound_client)]
