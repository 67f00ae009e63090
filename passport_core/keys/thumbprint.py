"""RFC 7638 JWK thumbprints: the stable name of a public key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from passport_core.errors import InvalidKey
from passport_core.keys.key import Key
from passport_core.token.encoding import b64url_encode, json_dumps

__all__ = ["jwk_thumbprint"]

#: RFC 7638 §3.2 (RSA, EC), RFC 8037 §2 (OKP), RFC 7638 §3.2 (oct): the required members
_REQUIRED = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}


def jwk_thumbprint(key: Key | Mapping[str, Any]) -> str:
    """The base64url SHA-256 thumbprint of a key (RFC 7638 §3), as ``cnf.jkt`` carries it.

    Only the required members count, in lexicographic order, without whitespace
    (§3.3), so the same public key always has the same thumbprint, whatever
    ``kid``, ``alg`` or ``use`` a JWK also says. A private key's thumbprint is its
    public half's.
    """
    jwk: Mapping[str, Any] = key.public().to_jwk() if isinstance(key, Key) else key
    kty = jwk.get("kty")
    members = _REQUIRED.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise InvalidKey(f"no thumbprint for a JWK of kty {kty!r}")
    required: dict[str, str] = {}
    for name in members:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidKey(f"the JWK has no string {name!r} member")
        required[name] = value
    # json_dumps writes keys in insertion order, compact; the members above are sorted.
    return b64url_encode(hashlib.sha256(json_dumps(required)).digest())
