"""Token fingerprints: what logs may show instead of a token."""

from __future__ import annotations

import hashlib

__all__ = ["fingerprint"]


def fingerprint(token: str | bytes) -> str:
    """A short, non-reversible tag of a token (first 12 hex digits of SHA-256)."""
    data = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return hashlib.sha256(data).hexdigest()[:12]
