"""Protecting a whole group of URLs at once, the way ``include()`` groups them.

::

    from passport_core import require_role
    from passport_django import protect_urls

    urlpatterns = [
        path("admin-api/", protect_urls(include("billing.admin_urls"), require_role("admin"))),
        path("reports/", protect_urls([path("daily/", daily), path("weekly/", weekly)])),
    ]

Every view below the group then needs a passport (and, with a policy, must
satisfy it), exactly as if each were decorated with ``@passport_required`` or
``@require_policy(policy)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, TypeAlias

from django.urls import URLPattern, URLResolver

from passport_core import Policy
from passport_django.decorators import passport_required, require_policy

__all__ = ["protect_urls"]

Patterns: TypeAlias = Sequence[URLPattern | URLResolver]
#: what ``include()`` returns: (urlconf module or patterns, app_name, namespace)
Included: TypeAlias = tuple[Any, str | None, str | None]


def _guarded(patterns: Patterns, guard: Callable[[Any], Any]) -> list[URLPattern | URLResolver]:
    result: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLPattern):
            result.append(
                URLPattern(entry.pattern, guard(entry.callback), entry.default_args, entry.name)
            )
        else:
            result.append(
                URLResolver(
                    entry.pattern,
                    _guarded(entry.url_patterns, guard),
                    entry.default_kwargs,
                    entry.app_name,
                    entry.namespace,
                )
            )
    return result


def protect_urls(urls: Included | Patterns, policy: Policy | None = None) -> Included:
    """Require a passport (and ``policy``, if given) on every view of ``urls``.

    ``urls`` is what ``include(...)`` returns or a list of ``path()`` entries;
    the result goes where ``include(...)`` would, keeping app name and namespace.
    """
    guard = passport_required if policy is None else require_policy(policy)
    if isinstance(urls, tuple):
        urlconf, app_name, namespace = urls
        module: Any = import_module(urlconf) if isinstance(urlconf, str) else urlconf
        patterns: Patterns = getattr(module, "urlpatterns", module)
        return (_guarded(patterns, guard), app_name, namespace)
    return (_guarded(urls, guard), None, None)
