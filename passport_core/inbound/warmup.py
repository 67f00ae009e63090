"""Warming a gate up at start-up, so the first request does not pay for loading keys.

Every adapter calls it where the app starts; it never fails that start: a key
server that is down is retried by the first request that needs it, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from passport_core.errors import PassportError
from passport_core.inbound.gate import Gate

__all__ = ["awarm_up_gate", "warm_up_gate"]

logger = logging.getLogger("passport_core")


def _verifier_step(gate: Gate, name: str) -> Callable[[], object] | None:
    # Only a verifying gate has keys to warm; the topmost service's EdgeGate mints.
    verifier = getattr(gate, "verifier", None)
    step = getattr(verifier, name, None)
    return cast("Callable[[], object] | None", step) if callable(step) else None


def _not_warmed(error: PassportError) -> None:
    # The message names what failed (a URL, a status), never a token or key material.
    logger.warning(
        "passport keys not warmed up at start-up (the first request retries): code=%s: %s",
        error.code,
        error.message,
    )


def warm_up_gate(gate: Gate) -> bool:
    """Load ``gate``'s keys and run each key's verify once; ``False`` when it could not.

    Never raises a :class:`~passport_core.PassportError`: an unreachable key
    server is logged as a warning and left to the first request.
    """
    step = _verifier_step(gate, "warm_up")
    if step is None:
        return False
    try:
        step()
    except PassportError as error:
        _not_warmed(error)
        return False
    return True


async def awarm_up_gate(gate: Gate) -> bool:
    """:func:`warm_up_gate` without blocking the event loop on key fetches."""
    step = _verifier_step(gate, "awarm_up")
    if step is None:
        return False
    try:
        await cast(Awaitable[object], step())
    except PassportError as error:
        _not_warmed(error)
        return False
    return True
