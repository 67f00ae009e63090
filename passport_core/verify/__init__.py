"""Verification: the only way a token becomes a :class:`~passport_core.Passport`."""

from __future__ import annotations

from passport_core.verify.verifier import (
    DEFAULT_REQUIRED_CLAIMS,
    MAX_LEEWAY,
    TrustedIssuer,
    Verifier,
)

__all__ = ["DEFAULT_REQUIRED_CLAIMS", "MAX_LEEWAY", "TrustedIssuer", "Verifier"]
