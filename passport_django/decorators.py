"""View decorators: require a passport, roles, scopes, permissions or any core policy.

They work on sync and async function views alike (and on methods through
``django.utils.decorators.method_decorator``)::

    @passport_required
    def profile(request): ...

    @require_role("admin")
    async def refunds(request): ...

    @require_policy(core.require_role("admin") | core.require_scope("orders:write"))
    def update(request): ...

    @optional_passport
    def hello(request): ...  # request.passport may be falsy; a forged one is 401

Each decorator verifies the request's passport (``PassportMiddleware`` made
it lazy: async views await it, never blocking the loop) and decides. No
passport answers 401 with the ``Bearer`` challenge, a denial 403 with
``error="insufficient_scope"``, a present but invalid passport 401 — in every
mode, ``optional_passport`` included — all as problem details. A view without
a decorator that never reads ``request.passport`` ignores any passport sent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import ConfigurationError, Passport, PassportError, Policy
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_django.conf import conf
from passport_django.middleware import STATE_ATTRIBUTE, RequestPassport
from passport_django.responses import problem

__all__ = [
    "arefusal",
    "arequest_passport",
    "optional_passport",
    "passport_required",
    "refusal",
    "request_passport",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
]

ViewT = TypeVar("ViewT", bound=Callable[..., Any])

_MIDDLEWARE = "passport_django.middleware.PassportMiddleware"


def _state(request: HttpRequest) -> RequestPassport:
    state = getattr(request, STATE_ATTRIBUTE, None)
    if not isinstance(state, RequestPassport):
        raise ConfigurationError(
            f"passport_django needs {_MIDDLEWARE!r} in MIDDLEWARE to check passports"
        )
    return state


def request_passport(request: HttpRequest) -> Passport | None:
    """``request``'s verified passport, ``None`` when none was sent (verifies on first use).

    :raises PassportError: a present but invalid passport (answered 401 by the middleware).
    """
    return _state(request).get()


async def arequest_passport(request: HttpRequest) -> Passport | None:
    """:func:`request_passport` for async code: key fetches never block the event loop."""
    return await _state(request).aget()


def _decide(passport: Passport | None, policy: Policy | None, required: bool) -> None:
    if passport is None:
        if required:
            # missing_token, or missing_credential where the topmost service mints
            raise conf.missing()
        return
    if policy is not None:
        policy.check(passport)


def refusal(
    request: HttpRequest, policy: Policy | None, *, required: bool = True
) -> HttpResponseBase | None:
    """The 401/403 answer when ``request`` lacks a passport or ``policy`` denies it, else None."""
    state = getattr(request, STATE_ATTRIBUTE, None)  # _state(request), inlined: a frame less
    if type(state) is not RequestPassport:
        state = _state(request)  # no middleware: raised, for the developer to see
    try:
        found = state.get()
        if found is None:
            _decide(found, policy, required)
        elif policy is not None:
            policy.check(found)  # _decide(found, policy, required), inlined: a frame less
    except PassportError as error:
        return problem(error)
    if found is not None:
        # request.passport, no longer the lazy object: each of the view's reads of it would
        # go through Django's LazyObject proxy.
        request.passport = found  # type: ignore[attr-defined]
    return None


async def arefusal(
    request: HttpRequest, policy: Policy | None, *, required: bool = True
) -> HttpResponseBase | None:
    """:func:`refusal` for async views."""
    # Not inlined as in refusal: an awaited verify dwarfs the frame.
    state = _state(request)
    try:
        found = await state.aget()
        _decide(found, policy, required)
    except PassportError as error:
        return problem(error)
    if found is not None:
        request.passport = found  # type: ignore[attr-defined]  # as in refusal
    return None


def _guard(policy: Policy | None, *, required: bool = True) -> Callable[[ViewT], ViewT]:
    def decorator(view: ViewT) -> ViewT:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def guarded_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                answer = await arefusal(request, policy, required=required)
                if answer is not None:
                    return answer
                return await view(request, *args, **kwargs)

            return cast(ViewT, guarded_async)

        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            answer = refusal(request, policy, required=required)
            if answer is not None:
                return answer
            return view(request, *args, **kwargs)

        return cast(ViewT, guarded)

    return decorator


def passport_required(view: ViewT) -> ViewT:
    """The view needs a verified passport (401 without one). Use it bare: ``@passport_required``."""
    return _guard(None)(view)


def optional_passport(view: ViewT) -> ViewT:
    """The view runs without a passport too (``request.passport`` falsy); a bad one is 401.

    Named like FastAPI's ``optional_passport`` and Flask's decorator.
    """
    return _guard(None, required=False)(view)


def require_policy(policy: Policy) -> Callable[[ViewT], ViewT]:
    """The view needs a passport that ``policy`` (any core policy) allows."""
    if not isinstance(policy, Policy):
        raise ConfigurationError("require_policy() needs a passport_core Policy")
    return _guard(policy)


def require_role(*roles: str) -> Callable[[ViewT], ViewT]:
    """The view needs a passport holding every one of ``roles``."""
    return _guard(role_policy(*roles))


def require_scope(*scopes: str) -> Callable[[ViewT], ViewT]:
    """The view needs a passport granting every one of ``scopes``."""
    return _guard(scope_policy(*scopes))


def require_permission(*permissions: str) -> Callable[[ViewT], ViewT]:
    """The view needs a passport granting every one of ``permissions``."""
    return _guard(permission_policy(*permissions))
