"""Django REST framework integration (install the ``[drf]`` extra).

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["passport_django.drf.PassportAuthentication"],
        "EXCEPTION_HANDLER": "passport_django.drf.exception_handler",
    }

    class RefundView(APIView):
        permission_classes = [HasRole.with_roles("admin") & HasScope.with_scopes("orders:write")]

    class ReportView(APIView):
        permission_classes = [HasRole]  # reads the view's attribute instead
        required_roles = ["auditor"]

With this setup DRF refuses the way every adapter does: a missing passport
answers 401, a denial 403 ``insufficient_scope``, an invalid passport 401, all
as RFC 9457 ``application/problem+json`` with the same ``WWW-Authenticate``
challenge and body as the plain-Django decorators.

* :class:`PassportAuthentication` verifies the request's passport (the lazy
  one ``PassportMiddleware`` installed): ``request.user`` is a
  :class:`~passport_django.users.PassportUser` (no database row),
  ``request.auth`` the :class:`~passport_core.Passport`. A present but
  invalid passport is refused with 401; with none, other authenticators may
  try. Its ``authenticate_header`` is the ``Bearer`` challenge, so DRF answers
  401 rather than 403 to a request without a passport.
* Permission classes are configured in one of two ways: a subclass made by
  ``HasRole.with_roles(...)`` / ``HasScope.with_scopes(...)`` /
  ``HasPermission.with_permissions(...)`` / ``HasPolicy.with_policy(...)``
  (composable with DRF's ``&``, ``|``, ``~``), or the bare class, which reads
  ``required_roles`` / ``required_scopes`` / ``required_permissions`` /
  ``passport_policy`` from the view. Without a passport they fail, which DRF
  turns into 401; a denial is a 403 whose detail says what is missing, and a
  ``require_authentication`` denial the 401 step-up challenge
  (``insufficient_user_authentication``, RFC 9470) every adapter answers. The
  classes record that error rather than raise it, so DRF's ``|`` still asks
  the other operand; :func:`exception_handler` answers it.
* :class:`HasObjectPolicy` runs an object-level policy (``require_object``)
  on the object the view passes to ``check_object_permissions``.
* :func:`exception_handler` answers DRF's ``NotAuthenticated`` (when
  :class:`PassportAuthentication` is the first authenticator, whose challenge
  DRF sends) and the ``PermissionDenied`` a passport permission class caused
  with core's problem response, and any core
  :class:`~passport_core.PassportError` a view raises
  (``policy.check(request.auth, obj)``, ``get_passport_or_raise()``) with its
  own status; everything else is left to DRF's handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import (
    ConfigurationError,
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


#: set on a DRF request whose passport a permission class here refused, with the reason
_DENIAL_ATTRIBUTE = "_passport_denial"
#: the error that refusal stands for (a step-up challenge is a 401, not DRF's 403)
_DENIAL_ERROR_ATTRIBUTE = "_passport_denial_error"


class PassportAuthentication(BaseAuthentication):  # type: ignore[misc] # DRF ships no types
    """``request.user``/``request.auth`` from the request's passport (verified here, once)."""

    def authenticate(self, request: Any) -> tuple[PassportUser, Passport] | None:
        # A present but invalid passport raises its PassportError: 401 problem details
        # from exception_handler (or, without it, from PassportMiddleware).
        django_request: HttpRequest = request._request  # DRF's documented wrapper
        passport = request_passport(django_request)
        if passport is None:
            return None  # let other authenticators try; permissions then answer 401
        return PassportUser(passport), passport

    def authenticate_header(self, request: Any) -> str:
        """The challenge that makes DRF answer 401 rather than 403."""
        return problem_response(conf.missing(), realm=conf.realm).headers["WWW-Authenticate"]


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
            # Set, not raised: raising would break DRF's ``|`` composition. The request
            # remembers it for exception_handler (composed classes carry no message).
            self.message = decision.reason
            setattr(request, _DENIAL_ATTRIBUTE, decision.reason)
            # The policy's own error when it has one: require_authentication's step-up
            # challenge (RFC 9470 §3) must reach the client as a 401, not as a 403.
            setattr(request, _DENIAL_ERROR_ATTRIBUTE, decision.error)
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


def _passport_refusal(exc: Exception, request: Any) -> PassportError | None:
    """The core error behind a DRF refusal that a passport caused, else ``None``."""
    from rest_framework import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    if isinstance(exc, exceptions.NotAuthenticated):
        authenticators = getattr(request, "authenticators", None) or ()
        if authenticators and isinstance(authenticators[0], PassportAuthentication):
            return conf.missing()  # DRF sends our challenge: say it our way
    if isinstance(exc, exceptions.PermissionDenied):
        reason = getattr(request, _DENIAL_ATTRIBUTE, None)
        # Only the refusal the denial caused: DRF raises it with the permission's message
        # (ours), or its default one for composed classes. A denial that an ``|`` overruled
        # stays recorded; a later refusal of the view's own keeps its own detail.
        caused = (reason, str(exceptions.PermissionDenied.default_detail))
        if isinstance(reason, str) and str(exc.detail) in caused:
            error = getattr(request, _DENIAL_ERROR_ATTRIBUTE, None)
            return error if isinstance(error, PassportError) else PermissionDenied(reason)
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponseBase | None:
    """DRF's handler, with passport refusals answered as core's problem details.

    Core errors (a view's ``policy.check``) get their own status; DRF's
    ``NotAuthenticated`` and ``PermissionDenied`` raised for passport reasons
    become core's 401 / 403 problem response; anything else is DRF's.
    """
    if isinstance(exc, PassportError):
        return problem(exc)
    refused = _passport_refusal(exc, context.get("request"))
    if refused is not None:
        return problem(refused)
    # Imported here: rest_framework.views reads settings, and this module must import without.
    from rest_framework.views import (  # type: ignore[import-untyped]  # noqa: PLC0415
        exception_handler as drf_exception_handler,
    )

    response: HttpResponseBase | None = drf_exception_handler(exc, context)
    return response
