"""The JWE algorithms an encrypted passport may use, and the strict defaults.

Only key management with the audience's *public* key is supported (RFC 7518
§4.3 RSA-OAEP, §4.6 ECDH-ES): the edge never holds a secret it shares with a
service. ``RSA1_5`` (RFC 8725 §3.2: padding oracles), ``dir``, AES key wrap with
a shared key and ``PBES2`` (passwords) are never accepted, whatever is configured.
"""

from __future__ import annotations

from collections.abc import Collection

from passport_core.errors import ConfigurationError

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_ENCRYPTION",
    "DEFAULT_ENCRYPTIONS",
    "EC_ALGORITHMS",
    "NEVER_ALGORITHMS",
    "RSA_ALGORITHMS",
    "SUPPORTED_ALGORITHMS",
    "SUPPORTED_ENCRYPTIONS",
    "allowed_set",
]

#: RFC 7518 §4.6: ECDH-ES, direct or with AES key wrap of the content key
EC_ALGORITHMS = frozenset({"ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"})
#: RFC 7518 §4.3: RSAES OAEP (SHA-1 or SHA-256)
RSA_ALGORITHMS = frozenset({"RSA-OAEP", "RSA-OAEP-256"})
SUPPORTED_ALGORITHMS = EC_ALGORITHMS | RSA_ALGORITHMS
#: RFC 7518 §5: every content encryption is an AEAD
SUPPORTED_ENCRYPTIONS = frozenset(
    {"A128GCM", "A192GCM", "A256GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512"}
)
#: what a Decrypter accepts unless told otherwise: what an Encrypter makes
DEFAULT_ALGORITHMS = frozenset({"ECDH-ES+A256KW", "RSA-OAEP-256"})
DEFAULT_ENCRYPTION = "A256GCM"
DEFAULT_ENCRYPTIONS = frozenset({DEFAULT_ENCRYPTION})
#: named in errors, so a sender learns why rather than a bare "not allowed"
NEVER_ALGORITHMS = {
    "RSA1_5": "RSA1_5 is never accepted (RFC 8725 §3.2: PKCS #1 v1.5 padding oracles)",
    "dir": "'dir' needs a key shared with the edge; passports are encrypted to a public key",
}


def allowed_set(values: Collection[str], supported: frozenset[str], what: str) -> frozenset[str]:
    """``values`` as a frozenset, refusing an empty set or anything outside ``supported``."""
    if isinstance(values, str):
        values = (values,)
    chosen = frozenset(values)
    if not chosen:
        raise ConfigurationError(f"{what} needs at least one value")
    unknown = chosen - supported
    if unknown:
        raise ConfigurationError(
            f"{what}: unsupported {sorted(unknown)}; choose from {sorted(supported)}"
        )
    return chosen
