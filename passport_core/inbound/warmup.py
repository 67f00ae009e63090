"""Warming a gate up at start-up, so the first request does not pay for loading keys.

Every adapter calls it where the app starts; it never fails that start: a key
server that is down is left to the first request that needs it (its usual 503).
"""

from __future__ import annotations

import logging

from passport_core.errors import PassportError
from passport_core.inbound.gate import Gate, PassportGate
from passport_core.verify.verifier import Verifier

__all__ = ["awarm_up_gate", "warm_up_gate"]

logger = logging.getLogger("passport_core")


def _verifiers(gate: Gate) -> list[Verifier]:
    # Only a verifying gate has keys to warm; the topmost service's EdgeGate mints.
    if not isinstance(gate, PassportGate):
        return []
    companions = gate.companions.companions if gate.companions is not None else ()
    return [gate.verifier, *(companion.verifier for companion in companions)]


def _not_warmed(error: PassportError) -> None:
    # The message names what failed (a URL, a status), never a token or key material.
    logger.warning(
        "passport keys not warmed up at start-up (the first request retries): code=%s: %s",
        error.code,
        error.message,
    )


def warm_up_gate(gate: Gate) -> None:
    """Load the keys of ``gate``'s verifiers and run each key's check once.

    See :meth:`Verifier.warm_up <passport_core.Verifier.warm_up>`.

    Never raises a :class:`~passport_core.PassportError`: whatever could not
    be loaded is logged as a warning and left to the first request.
    """
    for verifier in _verifiers(gate):
        try:
            verifier.warm_up()
        except PassportError as error:
            _not_warmed(error)


async def awarm_up_gate(gate: Gate) -> None:
    """:func:`warm_up_gate` without blocking the event loop on key fetches."""
    for verifier in _verifiers(gate):
        try:
            await verifier.awarm_up()
        except PassportError as error:
            _not_warmed(error)
