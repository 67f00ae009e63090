"""View decorators: require a passport, roles, scopes, permissions or any core policy.

They work on sync and async function views alike (and on methods through
``django.utils.decorators.method_decorator``)::

    @passport_required
    def profile(request): ...

    @require_role("admin")
    async def refunds(request): ...

    @require_policy(core.require_role("admin") | core.require_scope("orders:write"))
    def update(request): ...

The ``PassportMiddleware`` has already verified the passport; the decorators
only decide. No passport answers 401 with the ``Bearer`` challenge, a denial
403 with ``error="insufficient_scope"``, both as problem details. A view that
accepts a passport but does not need one takes no decorator at all: it reads
``request.passport``, which is ``None`` when absent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import ConfigurationError, MissingToken, Passport, PermissionDenied, Policy
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_django.responses import problem

__all__ = [
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


def request_passport(request: HttpRequest) -> Passport | None:
    """The passport ``PassportMiddleware`` verified for ``request`` (``None`` when absent)."""
    try:
        passport: Passport | None = request.passport  # type: ignore[attr-defined]
    except AttributeError:
        raise ConfigurationError(
            f"passport_django needs {_MIDDLEWARE!r} in MIDDLEWARE to check passports"
        ) from None
    return passport


def refusal(request: HttpRequest, policy: Policy | None) -> HttpResponseBase | None:
    """The 401/403 answer when ``request`` lacks a passport or ``policy`` denies it, else None."""
    passport = request_passport(request)
    if passport is None:
        return problem(MissingToken())
    if policy is not None:
        try:
            policy.check(passport)
        except PermissionDenied as denied:
            return problem(denied)
    return None


def _guard(policy: Policy | None) -> Callable[[ViewT], ViewT]:
    def decorator(view: ViewT) -> ViewT:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def guarded_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                answer = refusal(request, policy)
                if answer is not None:
                    return answer
                return await view(request, *args, **kwargs)

            return cast(ViewT, guarded_async)

        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            answer = refusal(request, policy)
            if answer is not None:
                return answer
            return view(request, *args, **kwargs)

        return cast(ViewT, guarded)

    return decorator


def passport_required(view: ViewT) -> ViewT:
    """The view needs a verified passport (401 without one). Use it bare: ``@passport_required``."""
    return _guard(None)(view)


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
