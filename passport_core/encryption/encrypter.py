"""Encrypting a signed passport for one audience: a nested JWT (RFC 7519 §5.2, §A.2)."""

from __future__ import annotations

from joserfc import jwe

from passport_core import claims as c
from passport_core.encryption.algorithms import (
    DEFAULT_ENCRYPTION,
    SUPPORTED_ENCRYPTIONS,
    allowed_set,
)
from passport_core.encryption.keys import EncryptionKeysLike, load_encryption_keys
from passport_core.errors import ConfigurationError, InvalidKey
from passport_core.token.compact import split_segments

__all__ = ["Encrypter"]

#: the algorithm an audience's key gets unless its JWK or the caller says otherwise
_DEFAULT_ALG = {"EC": "ECDH-ES+A256KW", "RSA": "RSA-OAEP-256"}


class Encrypter:
    """Encrypts signed passports to one audience's public key.

    ::

        Encrypter(orders_public_jwk)                    # ECDH-ES+A256KW or RSA-OAEP-256, A256GCM

    The JWE header is ``{"alg", "enc", "kid", "cty": "JWT", "typ": "passport+jwt"}``:
    ``cty`` says the plaintext is a JWT (RFC 7519 §5.2), ``typ`` our passport type.

    :param key: the audience's public key (a JWK, a one-key JWK Set, a
        ``cryptography`` public key, or a JSON file); never a private key.
    :param alg: the key management algorithm (default: the JWK's ``alg``, else
        ``ECDH-ES+A256KW`` for EC and ``RSA-OAEP-256`` for RSA keys).
    :param enc: the content encryption (default ``A256GCM``).
    """

    def __init__(
        self, key: EncryptionKeysLike, *, alg: str | None = None, enc: str = DEFAULT_ENCRYPTION
    ) -> None:
        keys = load_encryption_keys(key, private=False)
        if len(keys) != 1:
            raise InvalidKey("a compact JWE has one recipient: give one public key")
        self.key = keys[0]
        kty = self.key.jwk.key_type
        chosen = alg or (_DEFAULT_ALG[kty] if len(self.key.algorithms) > 1 else None)
        if chosen is None:
            (chosen,) = self.key.algorithms
        if chosen not in self.key.algorithms:
            raise ConfigurationError(f"algorithm {chosen!r} does not fit this {kty} key")
        self.alg = chosen
        (self.enc,) = allowed_set((enc,), SUPPORTED_ENCRYPTIONS, "Encrypter enc")
        self._header = {
            "alg": self.alg,
            "enc": self.enc,
            "kid": self.key.kid,
            "cty": "JWT",
            "typ": c.TOKEN_TYPE,
        }

    @property
    def kid(self) -> str:
        return self.key.kid

    def encrypt(self, passport: str) -> str:
        """``passport`` (a signed compact JWS) as a compact JWE for this audience."""
        split_segments(passport)  # only a signed passport is nested (RFC 7519 §5.2)
        return jwe.encrypt_compact(
            dict(self._header), passport.encode("ascii"), self.key.jwk,
            algorithms=[self.alg, self.enc],
        )  # fmt: skip
