"""``PassportRequiredMixin`` for class-based views, sync or async.

::

    class RefundView(PassportRequiredMixin, View):
        required_roles = ["admin"]
        required_scopes = ["orders:write"]

        async def post(self, request): ...

Put it first among the bases, as with Django's ``LoginRequiredMixin``. Every
listed role, scope and permission is required, and ``passport_policy`` (any
core policy) too; with none of them the view needs just a passport. Override
:meth:`get_passport_policy` to decide per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import ConfigurationError, Policy, all_of
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_django.decorators import arefusal, refusal

__all__ = ["PassportRequiredMixin"]

if TYPE_CHECKING:
    from django.views import View

    _Base = View
else:
    _Base = object


def _names(view: object, attribute: str) -> tuple[str, ...]:
    values = getattr(view, attribute)
    if isinstance(values, str):
        # "admin" would otherwise become the roles "a", "d", "m", ...
        raise ConfigurationError(f"{type(view).__name__}.{attribute} must be a list, not a str")
    return tuple(values)


class PassportRequiredMixin(_Base):
    """Refuses the request (401/403) unless its passport meets the view's requirements."""

    required_roles: ClassVar[Sequence[str]] = ()
    required_scopes: ClassVar[Sequence[str]] = ()
    required_permissions: ClassVar[Sequence[str]] = ()
    passport_policy: ClassVar[Policy | None] = None

    def get_passport_policy(self) -> Policy | None:
        """Everything the view requires besides a passport, as one policy (``None``: nothing)."""
        policies: list[Policy] = []
        for attribute, build in (
            ("required_roles", role_policy),
            ("required_scopes", scope_policy),
            ("required_permissions", permission_policy),
        ):
            names = _names(self, attribute)
            if names:
                policies.append(build(*names))
        if self.passport_policy is not None:
            policies.append(self.passport_policy)
        if not policies:
            return None
        return policies[0] if len(policies) == 1 else all_of(*policies)

    # The stubs say HttpResponseBase, but an async view's dispatch returns an awaitable.
    def dispatch(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        policy = self.get_passport_policy()
        if getattr(self, "view_is_async", False):
            # An async view verifies without blocking the loop and hands Django an awaitable.
            async def checked() -> HttpResponseBase:
                answer = await arefusal(request, policy)
                if answer is not None:
                    return answer
                response = super(PassportRequiredMixin, self).dispatch(request, *args, **kwargs)
                return await cast(Awaitable[HttpResponseBase], response)

            return checked()
        answer = refusal(request, policy)
        if answer is None:
            return super().dispatch(request, *args, **kwargs)
        return answer
