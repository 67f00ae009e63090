"""Sender-constrained tokens: the edge accepts bearer tokens only.

A token with a ``cnf`` claim (RFC 7800) is bound to a key its holder must
prove: a DPoP proof (RFC 9449 §7.1, §6.1) or the TLS client certificate it was
issued to (RFC 8705 §3). The edge checks neither proof, so treating such a
token as a bearer token would let a thief who copied it use it — the very
attack the binding exists to stop. It is refused instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from passport_core.errors import InvalidCredential

__all__ = ["CONFIRMATION", "refuse_sender_constrained"]

#: RFC 7800 §3.1: the confirmation claim that binds a token to a key
CONFIRMATION = "cnf"


def refuse_sender_constrained(claims: Mapping[str, Any], what: str) -> None:
    """Raise :class:`InvalidCredential` when ``claims`` bind the token to a key."""
    if CONFIRMATION in claims:
        raise InvalidCredential(
            f"the {what} is sender-constrained ('cnf': DPoP or mutual TLS) and the edge "
            "accepts bearer tokens only"
        )
