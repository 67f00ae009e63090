"""The passport of the request being served, in a :mod:`contextvars` variable.

Adapters set it for the duration of a request and always reset it, also on
errors. Threads started during a request (``threading.Thread``, a
``ThreadPoolExecutor``, ``loop.run_in_executor``) do not inherit it unless the
code hands it over explicitly (``contextvars.copy_context().run`` or
:func:`use_passport` inside the worker). asyncio tasks and ``asyncio.to_thread``
run in a *copy* of the context taken when they start: they see the passport of
that moment, and what they set never leaks back to the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from passport_core.errors import NoPassport
from passport_core.passport import Passport

__all__ = [
    "get_passport",
    "get_passport_or_raise",
    "reset_passport",
    "set_passport",
    "use_passport",
]

_current: ContextVar[Passport | None] = ContextVar("passport_core.current", default=None)


#: The current request's passport, or ``None``. (This and :func:`set_passport` /
#: :func:`reset_passport` are the variable's own methods, not Python functions around them:
#: every adapter calls them on every request, and a Python frame costs more than the call.)
get_passport: Callable[[], Passport | None] = _current.get


def get_passport_or_raise() -> Passport:
    """The current request's passport; raises :class:`NoPassport` when none is set.

    The raising twin of :func:`get_passport` (named apart from Flask's
    ``current_passport`` proxy, which is an object, not a function).
    """
    passport = _current.get()
    if passport is None:
        raise NoPassport("no passport is set: call this while serving a request with a passport")
    return passport


#: Set the current passport; pass the returned token to :func:`reset_passport`.
set_passport: Callable[[Passport | None], Token[Passport | None]] = _current.set

#: Undo the :func:`set_passport` call that returned ``token``.
reset_passport: Callable[[Token[Passport | None]], None] = _current.reset


@contextmanager
def use_passport(passport: Passport | None) -> Iterator[Passport | None]:
    """Make ``passport`` current inside the ``with`` block, and restore after."""
    token = _current.set(passport)
    try:
        yield passport
    finally:
        _current.reset(token)
