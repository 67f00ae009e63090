"""Core errors as Django responses, and the typed request the middleware fills in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponse

from passport_core import ConfigurationError, Passport, PassportError, problem_response
from passport_django.conf import conf

__all__ = ["PassportHttpRequest", "problem"]

logger = logging.getLogger("passport_django")


class PassportHttpRequest(HttpRequest):
    """For type hints only: a request that went through ``PassportMiddleware``.

    ``passport`` is a lazy object standing for ``Passport | None``: test it with
    ``if request.passport:`` (a lazy object is never ``is None``)::

        @passport_required
        def orders(request: PassportHttpRequest) -> HttpResponse:
            return JsonResponse({"user": request.passport.subject})
    """

    passport: Passport
    apassport: Callable[[], Awaitable[Passport | None]]


def problem(error: PassportError) -> HttpResponse:
    """The problem-details answer for ``error`` (401, 403, 503 or 500), never with a token."""
    if isinstance(error, ConfigurationError):
        # The client only learns "500"; the operator needs the reason.
        logger.error("passport settings are wrong: %s", error.message)
    answer = problem_response(error, realm=conf.realm)
    response = HttpResponse(answer.content, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response[name] = value
    return response
