"""View decorators and blueprint-wide protection, built on core's policies.

Every decorator works on sync and async views: the check runs first, in the
request's thread, then the view is called through ``current_app.ensure_sync``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, current_app, request

import passport_core
from passport_core import ConfigurationError, Policy
from passport_flask.extension import JWKS_ENDPOINT, verify_request

__all__ = [
    "optional_passport",
    "passport_required",
    "protect",
    "require_permission",
    "require_policy",
    "require_role",
    "require_scope",
]

View = TypeVar("View", bound=Callable[..., Any])


def _guarded(view: View, *, required: bool, policy: Policy | None) -> View:
    # Decided once: a sync view is called as is, an async one through Flask's ensure_sync.
    is_async = inspect.iscoroutinefunction(view)

    @functools.wraps(view)
    def check_then_call(*args: Any, **kwargs: Any) -> Any:
        passport = verify_request(required=required)
        if policy is not None and passport is not None:
            policy.check(passport)
        if is_async:
            return current_app.ensure_sync(view)(*args, **kwargs)
        return view(*args, **kwargs)

    return cast(View, check_then_call)


def passport_required(view: View) -> View:
    """The view needs a valid passport: 401 without one. Use as ``@passport_required``."""
    return _guarded(view, required=True, policy=None)


def optional_passport(view: View) -> View:
    """The view runs without a passport (``g.passport`` is ``None``); a bad one is still 401.

    Named like FastAPI's ``optional_passport`` dependency and Django's decorator.
    """
    return _guarded(view, required=False, policy=None)


def require_policy(policy: Policy) -> Callable[[View], View]:
    """The view needs a valid passport that ``policy`` allows: 401 without one, 403 if denied.

    ``policy`` is any :class:`passport_core.Policy`, e.g.
    ``any_of(require_role("admin"), require_scope("orders:write"))``.
    """
    if not isinstance(policy, Policy):
        raise ConfigurationError("require_policy() needs a passport_core Policy")

    def decorate(view: View) -> View:
        return _guarded(view, required=True, policy=policy)

    return decorate


def require_role(*roles: str) -> Callable[[View], View]:
    """The passport must hold every one of ``roles`` (403 otherwise)."""
    return require_policy(passport_core.require_role(*roles))


def require_scope(*scopes: str) -> Callable[[View], View]:
    """The passport must grant every one of ``scopes`` (403 otherwise)."""
    return require_policy(passport_core.require_scope(*scopes))


def require_permission(*permissions: str) -> Callable[[View], View]:
    """The passport must grant every one of ``permissions`` (403 otherwise)."""
    return require_policy(passport_core.require_permission(*permissions))


def protect(
    target: Blueprint | Flask, policy: Policy | None = None, *, required: bool = True
) -> None:
    """Check the passport before every view of a blueprint (or of a whole app).

    ::

        admin = Blueprint("admin", __name__)
        protect(admin, require_role("admin"))

    Registers a ``before_request`` function on ``target``; it may be called
    before the blueprint is registered on any app. ``required=False`` lets
    requests without a passport through (a bad passport is still 401) and
    cannot be combined with a ``policy``. Decorators on the views add their
    checks on top; the passport is verified once per request. Automatic
    ``OPTIONS`` answers (CORS preflight) and the JWKS view are not checked.
    """
    if policy is not None and not isinstance(policy, Policy):
        raise ConfigurationError("protect() needs a passport_core Policy or None")
    if policy is not None and not required:
        raise ConfigurationError("protect(): a policy needs a passport, so required must be True")

    def check_passport() -> None:
        # The request behind the proxy, once: each read through werkzeug's proxy is 3 frames.
        current = request._get_current_object()  # type: ignore[attr-defined]
        rule = current.url_rule  # what Request.endpoint reads, without its frame
        if rule is not None and rule.endpoint == JWKS_ENDPOINT:
            return
        if current.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return
        passport = verify_request(required=required)
        if policy is not None and passport is not None:
            policy.check(passport)

    target.before_request(check_passport)
