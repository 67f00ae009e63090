"""Encrypted passports: a signed passport nested in a JWE (RFC 7516, RFC 7519 §5.2).

The edge signs, then encrypts to the audience's public key (:class:`Encrypter`);
a service holding the private key opens it (:class:`Decrypter`) and verifies the
signed passport inside as any other (``Verifier(decryption=...)``). A hop that
cannot read it forwards the opaque token unchanged.
"""

from __future__ import annotations

from passport_core.encryption.compact import is_encrypted
from passport_core.encryption.decrypter import (
    DEFAULT_MAX_ENCRYPTED_BYTES,
    DEFAULT_MAX_PLAINTEXT_BYTES,
    Decrypter,
)
from passport_core.encryption.encrypter import Encrypter

__all__ = [
    "DEFAULT_MAX_ENCRYPTED_BYTES",
    "DEFAULT_MAX_PLAINTEXT_BYTES",
    "Decrypter",
    "Encrypter",
    "is_encrypted",
]
