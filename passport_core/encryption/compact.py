"""Splitting and reading a compact JWE (RFC 7516 §7.1) before any key is touched."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from passport_core.encryption.algorithms import NEVER_ALGORITHMS
from passport_core.errors import (
    AlgorithmNotAllowed,
    ForbiddenHeader,
    InvalidType,
    MalformedToken,
    TokenTooLarge,
    UnsupportedCritical,
)
from passport_core.token.encoding import b64url_decode, json_loads_object

__all__ = ["EncryptedParts", "is_encrypted", "split_encrypted"]

#: RFC 8725 §3.10: keys named or carried by the token are never trusted (``epk`` is the
#: sender's ephemeral key, RFC 7518 §4.6.1.1, and is what ECDH-ES needs)
_FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c")
#: RFC 7519 §5.2: a nested JWT says so with cty "JWT" (case-insensitive, RFC 7515 §4.1.10)
_NESTED_CTYS = frozenset({"jwt", "application/jwt"})
#: the GCM tag and IV sizes of RFC 7518 §5.3; CBC-HMAC's are checked by the primitive
_GCM_IV_BYTES = 12


def is_encrypted(token: str | bytes) -> bool:
    """Whether ``token`` has the five segments of a compact JWE (nothing else is checked)."""
    dot: Any = "." if isinstance(token, str) else b"."
    return token.count(dot) == 4


@dataclass(frozen=True, slots=True)
class EncryptedParts:
    """A compact JWE, its header read and checked; nothing here is decrypted."""

    data: bytes
    header: dict[str, Any]
    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes


def split_encrypted(
    token: str | bytes,
    *,
    max_bytes: int,
    algorithms: Collection[str],
    encryptions: Collection[str],
    nested: bool,
) -> EncryptedParts:
    """The five parts of a compact JWE, refusing what no key should be tried on.

    The order is by cost: size, structure, the protected header (``alg``/``enc``
    allowed, no ``zip``, no ``crit``, no key by reference), then the segments.
    ``nested`` requires ``cty: "JWT"`` (RFC 7519 §5.2): the plaintext is a signed token.
    """
    if len(token) > max_bytes:
        raise TokenTooLarge(f"the encrypted passport exceeds {max_bytes} bytes")
    if isinstance(token, str):
        try:
            data = token.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedToken("the encrypted passport is not ASCII") from None
    else:
        data = bytes(token)
    segments = data.split(b".")
    if len(segments) != 5:
        raise MalformedToken(f"a compact JWE has 5 segments, this has {len(segments)}")
    header_b64, key_b64, iv_b64, ciphertext_b64, tag_b64 = segments
    if not header_b64:
        raise MalformedToken("the JWE has no protected header")
    header = json_loads_object(b64url_decode(header_b64, "JWE header"), "JWE header")
    check_header(header, algorithms, encryptions, nested=nested)
    parts = EncryptedParts(
        data,
        header,
        b64url_decode(key_b64, "encrypted key"),
        b64url_decode(iv_b64, "initialization vector"),
        b64url_decode(ciphertext_b64, "ciphertext"),
        b64url_decode(tag_b64, "authentication tag"),
    )
    if not parts.ciphertext or not parts.tag or not parts.iv:
        raise MalformedToken("the JWE lacks its ciphertext, IV or authentication tag")
    if header["enc"].endswith("GCM") and len(parts.iv) != _GCM_IV_BYTES:
        raise MalformedToken("an AES-GCM IV is 96 bits (RFC 7518 §5.3)")
    return parts


def check_header(
    header: dict[str, Any],
    algorithms: Collection[str],
    encryptions: Collection[str],
    *,
    nested: bool,
) -> None:
    alg, enc = header.get("alg"), header.get("enc")
    if not isinstance(alg, str) or not isinstance(enc, str):
        raise MalformedToken("the JWE header needs string 'alg' and 'enc'")
    if alg not in algorithms:
        reason = NEVER_ALGORITHMS.get(alg, f"key management {alg[:30]!r} is not allowed")
        raise AlgorithmNotAllowed(reason)
    if enc not in encryptions:
        raise AlgorithmNotAllowed(f"content encryption {enc[:30]!r} is not allowed")
    if "zip" in header:
        # RFC 8725 §3.6: compression before encryption leaks the plaintext (and can bomb).
        raise ForbiddenHeader("compressed JWE ('zip') is not accepted")
    if "crit" in header:
        raise UnsupportedCritical
    for name in _FORBIDDEN_HEADERS:
        if name in header:
            raise ForbiddenHeader(f"header parameter {name!r} is never trusted")
    if nested:
        cty = header.get("cty")
        if not isinstance(cty, str) or cty.lower() not in _NESTED_CTYS:
            raise InvalidType("an encrypted passport's header needs cty 'JWT' (RFC 7519 §5.2)")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise MalformedToken("the JWE header 'kid' must be a non-empty string")
