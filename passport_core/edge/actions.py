"""Passport actions: a trusted service tells the edge its passport is out of date.

A service that changes what a passport says answers with ``Passport-Action``:
``remint`` (roles granted, profile edited) makes the edge forget the cached
passports of that request's credential; ``drop`` (account locked, logged out
everywhere) every cached passport of its subject, whichever credential it came
with. Either way the next request mints afresh. The edge honours the header only on answers from the
upstreams it forwards to, and strips it from clients' requests and from what
it returns to them.
"""

from __future__ import annotations

import enum

__all__ = ["PASSPORT_ACTION_HEADER", "PassportAction"]

PASSPORT_ACTION_HEADER = "Passport-Action"


class PassportAction(enum.Enum):
    """What a ``Passport-Action`` header asks."""

    #: the common data changed: this credential's next request mints a new passport
    REMINT = "remint"
    #: the identity changed (log-out everywhere, lock): drop every passport of the subject
    DROP = "drop"

    @classmethod
    def parse(cls, value: str | None) -> PassportAction | None:
        """The action in a header value; ``None`` for none or one we do not know."""
        if not value:
            return None
        try:
            return cls(value.strip().lower())
        except ValueError:
            return None
