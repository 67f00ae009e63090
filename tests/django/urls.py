"""URLconf of the test project: every guard on a sync and an async function view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, URLResolver, include, path

from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_django import (
    optional_passport,
    passport_required,
    protect_urls,
    require_permission,
    require_policy,
    require_role,
    require_scope,
)
from tests.django import views

Guard = Callable[[Callable[..., Any]], Callable[..., Any]]

#: route name -> decorator; "open" takes none but its view reads the passport
GUARDS: dict[str, Guard] = {
    "open": lambda view: view,
    "optional": optional_passport,
    "required": passport_required,
    "role": require_role("admin"),
    "scope": require_scope("orders:write"),
    "permission": require_permission("orders.refund"),
    "policy": require_policy(role_policy("admin") | scope_policy("orders:admin")),
}

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{mode}/{name}/", guard(view))
    for mode, view in (("sync", views.sync_view), ("async", views.async_view))
    for name, guard in GUARDS.items()
]

urlpatterns += [
    path(f"{mode}/identity/{name}/", guard(view))
    for mode, view in (("sync", views.sync_identity), ("async", views.async_identity))
    for name, guard in GUARDS.items()
    if name != "open"
]

urlpatterns += [
    path("", include("passport_django.urls")),
    path("boom/", views.boom),
    path("sync/silent/", views.silent),
    path("async/silent/", views.async_silent),
    path("sync/user-only/", views.user_only),
    path("async/user-only/", views.async_user_only),
    path("outbound/", views.outbound),
    path("async-outbound/", views.async_outbound),
    path("sync/items/<path:name>", passport_required(views.named)),
    path("async/items/<path:name>", passport_required(views.async_named)),
    path("overlap/", views.overlapping),
    path("async-overlap/", views.async_overlapping),
    path("cbv/admin/", views.AdminView.as_view()),
    path("cbv/async-admin/", views.AsyncAdminView.as_view()),
    path("cbv/any/", views.AnyPassportView.as_view()),
    path("cbv/combined/", views.CombinedView.as_view()),
    path("cbv/string-roles/", views.StringRolesView.as_view()),
    path("drf/whoami/", views.DrfWhoAmI.as_view()),
    path("drf/admin/", views.DrfAdmin.as_view()),
    path("drf/view-roles/", views.DrfViewRoles.as_view()),
    path("drf/scope/", views.DrfScope.as_view()),
    path("drf/view-scopes/", views.DrfViewScopes.as_view()),
    path("drf/permission/", views.DrfPermission.as_view()),
    path("drf/view-permissions/", views.DrfViewPermissions.as_view()),
    path("drf/policy/", views.DrfPolicy.as_view()),
    path("drf/view-policy/", views.DrfViewPolicy.as_view()),
    path("drf/either/", views.DrfEither.as_view()),
    path("drf/both/", views.DrfBoth.as_view()),
    path("drf/unconfigured/", views.DrfUnconfigured.as_view()),
    path("drf/orders/<str:tenant>/", views.DrfObject.as_view()),
    path("drf/raises/", views.DrfRaises.as_view()),
    path("drf/refuses/", views.DrfRefuses.as_view()),
    path("drf/drf-refuses/", views.DrfOwnRefusal.as_view()),
    path("drf/either-then-refuses/", views.DrfOwnRefusalAfterAnEitherCheck.as_view()),
]

#: per-group protection, the way include() groups URLs
GROUP = [path("any/", views.sync_view), path("deep/", include([path("inner/", views.async_view)]))]
urlpatterns += [
    path("group/", protect_urls(GROUP)),
    path("admin-group/", protect_urls(include(GROUP), role_policy("admin"))),
]
