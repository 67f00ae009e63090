"""What ``edge.toml`` names by ``"module:attribute"``: the key store and the roles enricher.

``passport edge`` imports these from ``--app-dir`` (default: the current directory).
"""

from __future__ import annotations

from passport_core import APIKey, Identity, api_key_digest

# Digests only; in production, your key store looked up by digest.
KEYS = {api_key_digest("demo-key-alice"): "alice", api_key_digest("demo-key-bob"): "bob"}
# In production: your directory (or an HTTPEnricher, built in Python).
ROLES = {"alice": ["clerk"], "bob": ["clerk", "admin"]}
TENANTS = {"alice": "acme", "bob": "acme"}


def by_digest(digest: str) -> APIKey | None:
    """The ``lookup`` of the ``api_key`` authenticator: the key's holder, or ``None``."""
    subject = KEYS.get(digest)
    return APIKey(digest, subject) if subject else None


def directory(identity: Identity) -> dict[str, object]:
    """An enricher: roles and tenant of the authenticated subject."""
    return {
        "roles": ROLES.get(identity.subject, []),
        "tenant": TENANTS.get(identity.subject),
    }
