"""Django REST framework integration (install the ``[drf]`` extra).

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["passport_django.drf.PassportAuthentication"],
        "EXCEPTION_HANDLER": "passport_django.drf.exception_handler",  # optional
    }

    class RefundView(APIView):
        permission_classes = [HasRole.with_roles("admin") & HasScope.with_scopes("orders:write")]

    class ReportView(APIView):
        permission_classes = [HasRole]  # reads the view's attribute instead
        required_roles = ["auditor"]

* :class:`PassportAuthentication` hands DRF the passport ``PassportMiddleware``
  verified: ``request.user`` is a :class:`~passport_django.users.PassportUser`
  (no database row), ``request.auth`` the :class:`~passport_core.Passport`.
  Its ``authenticate_header`` is the ``Bearer`` challenge, so DRF answers a
  request without a passport 401 with ``WWW-Authenticate``, not 403.
* Permission classes are configured in one of two ways: a subclass made by
  ``HasRole.with_roles(...)`` / ``HasScope.with_scopes(...)`` /
  ``HasPermission.with_permissions(...)`` / ``HasPolicy.with_policy(...)``
  (composable with DRF's ``&``, ``|``, ``~``), or the bare class, which reads
  ``required_roles`` / ``required_scopes`` / ``required_permissions`` /
  ``passport_policy`` from the view. Without a passport they fail, which DRF
  turns into 401; a denial is DRF's 403 whose detail says what is missing,
  with the code ``permission_denied`` (DRF's generic message when classes
  are composed with ``&``/``|``: DRF reads no message from composed classes).
* :class:`HasObjectPolicy` runs an object-level policy (``require_object``)
  on the object the view passes to ``check_object_permissions``.
* :func:`exception_handler` answers any core :class:`~passport_core.PassportError`
  a view raises (``policy.check(request.auth, obj)``, ``get_passport_or_raise()``)
  with core's status and problem-details body instead of a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import (
    ConfigurationError,
    MissingToken,
    Passport,
    PassportError,
    PermissionDenied,
    Policy,
    problem_response,
)
from passport_core import require_permission as permission_policy
from passport_core import require_role as role_policy
from passport_core import require_scope as scope_policy
from passport_django.conf import conf
from passport_django.decorators import request_passport
from passport_django.responses import problem
from passport_django.users import PassportUser

try:
    # DRF ships no type information; its classes are Any to mypy.
    from rest_framework.authentication import BaseAuthentication  # type: ignore[import-untyped]
    from rest_framework.permissions import BasePermission  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "passport_django.drf needs Django REST framework: pip install 'service-passport[drf]'"
    ) from exc

__all__ = [
    "HasObjectPolicy",
    "HasPassport",
    "HasPermission",
    "HasPolicy",
    "HasRole",
    "HasScope",
    "PassportAuthentication",
    "exception_handler",
]


class PassportAuthentication(BaseAuthentication):  # type: ignore[misc] # DRF ships no types
    """``request.user``/``request.auth`` from the passport ``PassportMiddleware`` verified."""

    def authenticate(self, request: Any) -> tuple[PassportUser, Passport] | None:
        # A present but invalid passport never gets here: the middleware answered 401.
        django_request: HttpRequest = request._request  # DRF's documented wrapper
        passport = request_passport(django_request)
        if passport is None:
            return None  # let other authenticators try; permissions then answer 401
        return PassportUser(passport), passport

    def authenticate_header(self, request: Any) -> str:
        """The challenge that makes DRF answer 401 rather than 403."""
        return problem_response(MissingToken(), realm=conf.realm).headers["WWW-Authenticate"]


class HasPassport(BasePermission):  # type: ignore[misc] # DRF ships no types
    """Allows requests authenticated by a passport that meets :meth:`get_policy`.

    The base class needs just a passport; subclasses add requirements.
    """

    code: ClassVar[str] = PermissionDenied.code
    message: str | None = None

    def get_policy(self, view: Any) -> Policy | None:
        """What the passport must also satisfy (``None``: nothing)."""
        return None

    def _decide(self, request: Any, view: Any, obj: Any = None) -> bool:
        passport = request.auth
        if not isinstance(passport, Passport):
            return False  # DRF: 401 when unauthenticated, 403 when another scheme logged in
        policy = self.get_policy(view)
        if policy is None:
            return True
        decision = policy.evaluate(passport, obj)
        if not decision.allowed:
            # Set on the instance, not raised: raising would break DRF's ``|`` composition.
            self.message = decision.reason
        return decision.allowed

    def has_permission(self, request: Any, view: Any) -> bool:
        return self._decide(request, view)


class _NamesPermission(HasPassport):
    """Every name listed on the class (``with_...``) or on the view must be held."""

    view_attribute: ClassVar[str]
    names: ClassVar[tuple[str, ...]] = ()

    #: the core policy factory for the listed names (require_role, require_scope...)
    build: ClassVar[Callable[..., Policy]]

    def get_policy(self, view: Any) -> Policy:
        names = self.names or getattr(view, self.view_attribute, ())
        if isinstance(names, str) or not names:
            raise ConfigurationError(
                f"{type(self).__name__} needs names: use {type(self).__name__}.with_...(...) "
                f"or set a list {self.view_attribute!r} on {type(view).__name__}"
            )
        return self.build(*names)

    @classmethod
    def _with(cls, names: tuple[str, ...]) -> type[HasPassport]:
        cls.build(*names)  # refuse empty or non-string names now, not per request
        label = ", ".join(map(repr, names))
        return type(f"{cls.__name__}({label})", (cls,), {"names": names})


class HasRole(_NamesPermission):
    """Every role of ``with_roles(...)`` or of the view's ``required_roles``."""

    view_attribute = "required_roles"
    build = staticmethod(role_policy)

    @classmethod
    def with_roles(cls, *roles: str) -> type[HasPassport]:
        return cls._with(roles)


class HasScope(_NamesPermission):
    """Every scope of ``with_scopes(...)`` or of the view's ``required_scopes``."""

    view_attribute = "required_scopes"
    build = staticmethod(scope_policy)

    @classmethod
    def with_scopes(cls, *scopes: str) -> type[HasPassport]:
        return cls._with(scopes)


class HasPermission(_NamesPermission):
    """Every permission of ``with_permissions(...)`` or of ``required_permissions``."""

    view_attribute = "required_permissions"
    build = staticmethod(permission_policy)

    @classmethod
    def with_permissions(cls, *permissions: str) -> type[HasPassport]:
        return cls._with(permissions)


class HasPolicy(HasPassport):
    """Any core policy: ``with_policy(policy)`` or the view's ``passport_policy``."""

    policy: ClassVar[Policy | None] = None

    def get_policy(self, view: Any) -> Policy:
        policy = self.policy or getattr(view, "passport_policy", None)
        if not isinstance(policy, Policy):
            raise ConfigurationError(
                f"HasPolicy needs a policy: HasPolicy.with_policy(...) or "
                f"{type(view).__name__}.passport_policy"
            )
        return policy

    @classmethod
    def with_policy(cls, policy: Policy) -> type[HasPassport]:
        if not isinstance(policy, Policy):
            raise ConfigurationError("HasPolicy.with_policy() needs a passport_core Policy")
        return type(f"{cls.__name__}({policy!r})", (cls,), {"policy": policy})


class HasObjectPolicy(HasPolicy):
    """An object-level core policy (``require_object``), checked for each object.

    The view-level check needs just a passport; the policy runs when the view
    calls ``self.check_object_permissions(request, obj)`` (DRF's generic views
    do it in ``get_object()``) and gets that object.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, Passport)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return self._decide(request, view, obj)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponseBase | None:
    """DRF's handler, plus core errors answered with their own status as problem details."""
    if isinstance(exc, PassportError):
        return problem(exc)
    # Imported here: rest_framework.views reads settings, and this module must import without.
    from rest_framework.views import (  # type: ignore[import-untyped]  # noqa: PLC0415
        exception_handler as drf_exception_handler,
    )

    response: HttpResponseBase | None = drf_exception_handler(exc, context)
    return response
