"""Verification: the only way a token becomes a :class:`~passport_core.Passport`."""

from __future__ import annotations

from passport_core.verify.bundle import (
    Companion,
    Companions,
    PassportBundle,
    companion_claims,
    request_binding,
)
from passport_core.verify.verifier import (
    DEFAULT_REQUIRED_CLAIMS,
    MAX_LEEWAY,
    TrustedIssuer,
    Verifier,
)

__all__ = [
    "DEFAULT_REQUIRED_CLAIMS",
    "MAX_LEEWAY",
    "Companion",
    "Companions",
    "PassportBundle",
    "TrustedIssuer",
    "Verifier",
    "companion_claims",
    "request_binding",
]
