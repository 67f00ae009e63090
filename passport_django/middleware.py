"""``PassportMiddleware``: verify the request's passport, if any, and make it current.

Add it to ``MIDDLEWARE`` after ``AuthenticationMiddleware`` (when that is used)::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "passport_django.middleware.PassportMiddleware",
    ]

For every request it

* verifies the passport when one is presented (``X-Passport``, or
  ``Authorization: Bearer`` when ``BEARER`` is set) and answers a present
  but invalid one with 401 at once: optional means "may be absent", never
  "may be forged", so a forged passport is never silently ignored;
* sets ``request.passport`` (``None`` when absent) and, with a passport,
  ``request.user`` to a :class:`~passport_django.users.PassportUser`;
* makes the passport current for core (:func:`passport_core.get_passport`,
  outbound clients) while the view runs, and resets it afterwards, also when
  the view raises.

A streaming response's body is produced after the middleware has returned,
so its iterator no longer sees the context: hand it ``request.passport``
(e.g. ``with use_passport(passport):`` inside the generator).

Whether a view *needs* a passport, and which roles, is the decorators' and
the mixin's job. The middleware runs natively in both sync and async stacks;
in async mode key fetches never block the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import Token
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from passport_core import HeaderGetter, Passport, PassportError, reset_passport, set_passport
from passport_django.conf import conf
from passport_django.responses import PassportHttpRequest, problem
from passport_django.users import PassportUser

__all__ = ["PassportMiddleware"]

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


def header_getter(request: HttpRequest) -> HeaderGetter:
    """Every value of a header; Django folds repeated headers into one comma-joined value."""

    def get(name: str) -> Sequence[str]:
        value = request.headers.get(name)
        return [] if value is None else [value]

    return get


def _attach(request: HttpRequest, passport: Passport | None) -> Token[Passport | None]:
    cast(PassportHttpRequest, request).passport = passport
    if passport is not None:
        # The passport is the caller's identity behind the edge; see the module docstring
        # for why this middleware goes after AuthenticationMiddleware.
        cast(Any, request).user = PassportUser(passport)
    return set_passport(passport)


class PassportMiddleware:
    """Verifies an optional passport and sets it on the request and in core's context."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        try:
            passport = conf.gate.authenticate(header_getter(request), required=False)
        except PassportError as error:
            return problem(error)
        token = _attach(request, passport)
        try:
            return self.get_response(request)
        finally:
            reset_passport(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            passport = await conf.gate.aauthenticate(header_getter(request), required=False)
        except PassportError as error:
            return problem(error)
        token = _attach(request, passport)
        try:
            response = self.get_response(request)
            return await cast(Awaitable[HttpResponseBase], response)
        finally:
            reset_passport(token)
