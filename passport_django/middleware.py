"""``PassportMiddleware``: a lazy ``request.passport``, verified where a view looks.

Add it to ``MIDDLEWARE`` after ``AuthenticationMiddleware`` (when that is used)::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "passport_django.middleware.PassportMiddleware",
    ]

The rule, the same in every adapter (see :mod:`passport_core.inbound`): a
passport is verified only where a view asks for it. Like ``request.user``,
the middleware verifies nothing up front; for every request it sets

* ``request.passport``: ``None`` when no passport was sent (knowing that
  needs no verification), else a lazy object, verified on first access
  (``X-Passport``, or ``Authorization: Bearer`` when ``BEARER`` is set), that
  then is the verified :class:`~passport_core.Passport`. So
  ``request.passport is None`` means "none sent", and touching a forged one
  answers 401; :func:`~passport_django.request_passport` gives a plain
  ``Passport | None``;
* ``request.apassport()``: the same, awaited (``await request.apassport()``),
  for async views: key fetches never block the event loop (like ``auser()``);
* with ``AuthenticationMiddleware``, a lazy ``request.user`` (and
  ``request.auser()``): a :class:`~passport_django.users.PassportUser` when a
  valid passport was sent, else the user ``AuthenticationMiddleware`` found. It
  never refuses: a forged passport is not a user.

The decorators, the mixin and the DRF classes read the passport, so a route
that needs one verifies it; an open route that never looks pays nothing, and a
forged passport sent to it is ignored. Where a view does look (also an
optional one), a present but invalid passport is refused with 401: optional
means "may be absent", never "may be forged". Refusals raised while a view
runs are answered by :meth:`PassportMiddleware.process_exception` as
``application/problem+json``.

Once verified, the passport is current for core
(:func:`passport_core.get_passport`, outbound clients) until the request ends;
the middleware resets core's context afterwards, also when the view raises. A
streaming response's body is produced after that reset: hand it the passport
(``with use_passport(passport):`` inside the generator). A passport first
verified after the middleware returned (an outer middleware reading
``request.user``) is never made current: nothing would reset it.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import LazyObject, SimpleLazyObject, empty

from passport_core import (
    ConfigurationError,
    EdgeGate,
    HeaderGetter,
    InvalidProof,
    Passport,
    PassportError,
    RequestTarget,
    environ_header_getter,
    environ_token,
    get_passport,
    reset_passport,
    set_passport,
    warm_path_of,
    warm_up_gate,
)
from passport_django.conf import conf
from passport_django.responses import problem
from passport_django.users import PassportUser

__all__ = ["PassportMiddleware", "RequestPassport"]

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]

#: where the middleware keeps a request's :class:`RequestPassport`
STATE_ATTRIBUTE = "_passport_django_state"


class RequestPassport:
    """One request's passport, verified at most once, sync or async, on first use.

    The outcome (a passport, ``None`` or the refusal) is kept, so every later
    access agrees with the first; a verified passport is made current for core.
    """

    # Class-level defaults: every request builds one, and on a route that never looks at its
    # passport nothing else is ever stored, so an instance holds only its request and META.
    _settled = False
    #: True while the middleware serves the request: only then is its context reset
    serving = False
    _passport: Passport | None = None
    _error: PassportError | None = None

    def __init__(self, request: HttpRequest) -> None:
        # The request holds this state: a strong reference back would make every request a
        # reference cycle, left for the cyclic collector to find.
        self._request = weakref.ref(request)
        # Kept for a passport verified after the request ended (a task kept apassport).
        self._meta = request.META

    @property
    def headers(self) -> HeaderGetter:
        """Every value of a header, read from the request's ``META`` as it is when asked (a
        middleware in between that edits it counts): Django folds a repeated header into one
        comma-joined value, and ``request.headers`` would copy every header first."""
        return environ_header_getter(self._meta)

    def target(self) -> RequestTarget:
        """The request's method and absolute URI, built only when a DPoP proof is checked.

        ``build_absolute_uri`` is Django's view of the URI: behind a proxy, set
        ``SECURE_PROXY_SSL_HEADER`` / ``USE_X_FORWARDED_HOST`` so it names the public one.
        """
        request = self._request()
        if request is None:
            # Verified after its request was gone (a task kept request.apassport): there is
            # no request for a proof to match, so a bound passport cannot pass (RFC 9449 §4.3).
            raise InvalidProof("the request this passport came with has ended")
        # The path as sent: gunicorn's RAW_URI, other WSGI servers' REQUEST_URI, ASGI's raw_path.
        raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
        scope = getattr(request, "scope", None)
        if raw is None and isinstance(scope, dict) and isinstance(scope.get("raw_path"), bytes):
            raw = scope["raw_path"].decode("latin-1")
        return RequestTarget.of(
            request.method or "GET", request.scheme or "http", request.get_host(), request.path,
            raw_path=raw,
        )  # fmt: skip

    def _settle(self, passport: Passport | None, error: PassportError | None) -> None:
        self._settled = True
        self._passport, self._error = passport, error
        if passport is not None and self.serving:
            # Reset with the rest of the request's context by the middleware. Verified
            # after the middleware returned (an outer middleware reading request.user,
            # a streaming body), nothing would reset it: it would stay current for the
            # next request the thread serves.
            set_passport(passport)

    def get(self) -> Passport | None:
        """The verified passport or ``None``; raises the refusal of a bad one."""
        if not self._settled:
            try:
                # The headers as they are now: what a middleware in between changed counts.
                found = conf.gate.authenticate(self.headers, required=False, target=self.target)
            except PassportError as error:
                self._settle(None, error)
            else:
                # self._settle(found, None), inlined: a sync server's every request is here.
                # (_error is None already: nothing was settled.) Keep it in step with _settle.
                self._settled = True
                self._passport = found
                if found is not None and self.serving:
                    set_passport(found)  # why only while serving: see _settle
        if self._error is not None:
            raise self._error
        return self._passport

    async def aget(self) -> Passport | None:
        """:meth:`get` without blocking the event loop on key fetches."""
        if not self._settled:
            try:
                gate = conf.gate
                # A passport the verifier settled before: no coroutine to build and await.
                found = warm_path_of(gate)(self.headers)
                if found is None:
                    found = await gate.aauthenticate(
                        self.headers, required=False, target=self.target
                    )
            except PassportError as error:
                self._settle(None, error)
            else:
                self._settle(found, None)
        if self._error is not None:
            raise self._error
        return self._passport

    def user(self, fallback: Any) -> Any:
        """``request.user``: the passport's user, else ``fallback``; never raises a refusal."""
        try:
            found = self.get()
        except PassportError:
            found = None
        return PassportUser(found) if found is not None else fallback

    async def auser(self, fallback: Callable[[], Awaitable[Any]] | None, user: Any) -> Any:
        try:
            found = await self.aget()
        except PassportError:
            found = None
        if found is not None:
            return PassportUser(found)
        if fallback is not None:
            return await fallback()
        # Django < 5.0 has no request.auser(): resolve its lazy user off the event loop,
        # since loading it may query the session store or the database.
        return await sync_to_async(_resolved)(user)


def _sent_nothing(meta: dict[str, Any]) -> bool:
    """True when the request carries no passport at all: nothing to verify, nothing to refuse."""
    try:
        config = conf.config
        if config.edge is not None:
            gate = conf.gate
            if isinstance(gate, EdgeGate):
                # The topmost service mints: what counts is a credential, never a passport.
                return not gate.presented(environ_header_getter(meta))
        return environ_token(meta, config.location) is None
    except PassportError:
        return False  # a duplicate, or broken settings: refused (or reported) on access


def _resolved(user: Any) -> Any:
    """The object behind Django's lazy ``request.user``."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


if TYPE_CHECKING:  # generic in django-stubs only; Django's class takes no subscript
    _LazyBase = SimpleLazyObject[Passport | None]
else:
    _LazyBase = SimpleLazyObject


class _LazyPassport(_LazyBase):
    """Django's ``SimpleLazyObject``: ``request.passport`` of a request that carries one.

    ``_install`` builds it by hand, setting ``_setupfunc`` as Django's ``__init__`` does; the
    other attribute that sets, ``_wrapped = empty``, is this class's default until
    ``_setup`` stores the passport (``LazyObject.__setattr__`` writes it to the instance).
    ``copy.copy`` of one not yet read still builds a new lazy object through Django's own
    ``__init__`` (``SimpleLazyObject.__copy__``).
    """

    _wrapped = empty


def _install(request: HttpRequest) -> RequestPassport:
    state = RequestPassport(request)
    target: Any = request
    setattr(target, STATE_ATTRIBUTE, state)
    if _sent_nothing(request.META):
        # A plain None, so ``request.passport is None`` keeps its meaning.
        target.passport = None
    else:
        # SimpleLazyObject(state.get), built without a Python frame: its __init__ goes
        # through LazyObject's __init__ and __setattr__, and LazyObject.__getattribute__
        # answers even __dict__; every request that carries a passport builds one.
        lazy = object.__new__(_LazyPassport)
        object.__setattr__(lazy, "_setupfunc", state.get)
        target.passport = lazy
    target.apassport = state.aget
    if hasattr(request, "user"):
        # The passport is the caller's identity behind the edge; see checks.W001 for
        # why this middleware goes after AuthenticationMiddleware.
        previous = request.__dict__.get("user")
        previous_auser = request.__dict__.get("auser")
        target.user = SimpleLazyObject(lambda: state.user(previous))

        async def auser() -> Any:
            return await state.auser(previous_auser, previous)

        target.auser = auser
    return state


def _warm_up() -> None:
    """Build the gate and load its keys as the server starts (Django builds middleware then).

    Broken settings are left to the system checks and to the requests that need the
    gate; a key server that is down is logged and retried by the first such request.
    """
    try:
        gate = conf.gate
    except ConfigurationError:
        return
    warm_up_gate(gate)


class PassportMiddleware:
    """Installs the lazy ``request.passport`` and resets core's context after the request."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        _warm_up()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        state = _install(request)
        # Whatever the view's thread makes current, this restores the value from before.
        baseline = set_passport(get_passport())
        state.serving = True
        try:
            return self.get_response(request)
        finally:
            state.serving = False
            reset_passport(baseline)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        state = _install(request)
        baseline = set_passport(get_passport())
        state.serving = True
        try:
            response = self.get_response(request)
            return await cast(Awaitable[HttpResponseBase], response)
        finally:
            state.serving = False
            reset_passport(baseline)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """A refusal raised while the view ran (``request.passport`` of a forged one): 401."""
        if isinstance(exception, PassportError):
            return problem(exception)
        return None
