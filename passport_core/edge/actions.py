"""Passport actions: a trusted service tells the edge its passport is out of date.

A service that changes what a passport says (roles granted, profile edited,
account locked) answers with ``Passport-Action: remint`` or ``drop``; the
edge forgets the cached passport of that request's credential, so the next
request mints afresh. The edge honours the header only on answers from the
upstreams it forwards to, and strips it from clients' requests and from what
it returns to them.
"""

from __future__ import annotations

import enum

__all__ = ["PASSPORT_ACTION_HEADER", "PassportAction"]

PASSPORT_ACTION_HEADER = "Passport-Action"


class PassportAction(enum.Enum):
    """What a ``Passport-Action`` header asks."""

    #: the common data changed: mint a new passport on the next request
    REMINT = "remint"
    #: the identity changed (log-out, lock): drop the cached passport
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
