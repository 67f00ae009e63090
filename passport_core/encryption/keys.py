"""Encryption keys: the audience's public key (to encrypt) and its private keys (to decrypt).

Each key is an EC key on P-256, P-384 or P-521 (ECDH-ES, RFC 7518 §4.6) or an
RSA key of at least 2048 bits (RSA-OAEP, RFC 7518 §4.3), read from a JWK, a JWK
Set, a ``cryptography`` key or a JSON file holding either. A JWK's ``use``, if
present, must be ``"enc"``; its ``alg``, if present, binds the key to that one
algorithm (RFC 7517 §4.4), as signing keys are bound (RFC 8725 §3.1).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, JWKRegistry, RSAKey

from passport_core.encryption.algorithms import EC_ALGORITHMS, RSA_ALGORITHMS
from passport_core.errors import (
    DuplicateKeyId,
    InvalidKey,
    KeyUsageForbidden,
    PrivateKeyInPublicSet,
    WeakKey,
)

__all__ = ["EncryptionKey", "EncryptionKeysLike", "load_encryption_key", "load_encryption_keys"]

_CURVES = frozenset({"P-256", "P-384", "P-521"})
_MIN_RSA_BITS = 2048
_MAX_KEY_FILE_BYTES = 1 << 20

#: one key: a JWK, or a ``cryptography`` EC / RSA key
OneKeyLike: TypeAlias = (
    Mapping[str, Any]
    | ec.EllipticCurvePrivateKey
    | ec.EllipticCurvePublicKey
    | rsa.RSAPrivateKey
    | rsa.RSAPublicKey
)
#: keys: one key, a JWK Set (``{"keys": [...]}``), a list of keys, or a path to a JSON file
EncryptionKeysLike: TypeAlias = "OneKeyLike | Iterable[OneKeyLike] | str | os.PathLike[str]"


@dataclass(frozen=True, eq=False)
class EncryptionKey:
    """A key with its ``kid`` and the key-management algorithms it may be used with."""

    kid: str
    jwk: ECKey | RSAKey
    algorithms: frozenset[str]

    @property
    def is_private(self) -> bool:
        return bool(self.jwk.is_private)


def _import(key: OneKeyLike) -> tuple[ECKey | RSAKey, Mapping[str, Any]]:
    with warnings.catch_warnings():
        # joserfc only warns about weak keys; load_encryption_key refuses them outright.
        warnings.simplefilter("ignore", SecurityWarning)
        return _import_quietly(key)


def _import_quietly(key: OneKeyLike) -> tuple[ECKey | RSAKey, Mapping[str, Any]]:
    try:
        if isinstance(key, Mapping):
            declared = dict(key)
            members = {k: v for k, v in declared.items() if k not in ("alg", "use", "key_ops")}
            imported = JWKRegistry.import_key(members)
        elif isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
            declared, imported = {}, ECKey.import_key(key)
        elif isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
            declared, imported = {}, RSAKey.import_key(key)
        else:
            raise InvalidKey(f"not an encryption key: {type(key).__name__}")
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidKey(f"the encryption key could not be read: {type(error).__name__}") from None
    if not isinstance(imported, (ECKey, RSAKey)):
        raise InvalidKey("an encryption key is an EC (P-256/384/521) or RSA key")
    return imported, declared


def load_encryption_key(key: OneKeyLike, *, kid: str | None = None) -> EncryptionKey:
    """Read one EC or RSA key; ``kid`` defaults to the JWK's, else its RFC 7638 thumbprint."""
    jwk, declared = _import(key)
    use = declared.get("use")
    if use is not None and use != "enc":
        raise KeyUsageForbidden(f"an encryption key's 'use' must be 'enc', not {str(use)[:20]!r}")
    if isinstance(jwk, ECKey):
        if jwk.curve_name not in _CURVES:
            raise InvalidKey(f"curve {jwk.curve_name!r} is not supported for ECDH-ES")
        algorithms = EC_ALGORITHMS
    else:
        if jwk.raw_value.key_size < _MIN_RSA_BITS:
            raise WeakKey(f"RSA encryption keys need at least {_MIN_RSA_BITS} bits")
        algorithms = RSA_ALGORITHMS
    alg = declared.get("alg")
    if alg is not None:
        if alg not in algorithms:
            raise InvalidKey(f"algorithm {str(alg)[:30]!r} is not supported for this key")
        algorithms = frozenset({alg})
    name = kid if kid is not None else declared.get("kid", jwk.thumbprint())
    if not isinstance(name, str) or not name:
        raise InvalidKey("an encryption key's 'kid' must be a non-empty string")
    return EncryptionKey(name, jwk, algorithms)


def _read_file(path: str | os.PathLike[str]) -> Any:
    file = Path(path)
    try:
        if file.stat().st_size > _MAX_KEY_FILE_BYTES:
            raise InvalidKey(f"the key file {file.name!r} is too large")
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidKey(f"the key file {file.name!r} could not be read: {error}") from None


def load_encryption_keys(keys: EncryptionKeysLike, *, private: bool) -> tuple[EncryptionKey, ...]:
    """Every key in ``keys``, all private (``private=True``) or all public, kids unique."""
    if isinstance(keys, (str, os.PathLike)):
        keys = _read_file(keys)
    if isinstance(keys, Mapping) and "keys" in keys:
        keys = keys["keys"]
        if not isinstance(keys, list):
            raise InvalidKey("a JWK Set's 'keys' must be a list")
    items = [keys] if isinstance(keys, Mapping) or not isinstance(keys, Iterable) else list(keys)
    loaded = tuple(load_encryption_key(item) for item in items)  # type: ignore[arg-type]
    if not loaded:
        raise InvalidKey("no encryption key was given")
    kids = [key.kid for key in loaded]
    if len(set(kids)) != len(kids):
        raise DuplicateKeyId("two encryption keys share a 'kid'")
    for key in loaded:
        if private and not key.is_private:
            raise InvalidKey(f"decryption needs the private key (kid {key.kid!r})")
        if not private and key.is_private:
            # The edge encrypts to the audience; it never needs to read what it sent.
            raise PrivateKeyInPublicSet(f"encrypt with the audience's public key ({key.kid!r})")
    return loaded
