"""Decrypting encrypted passports: a compact JWE around a signed passport (RFC 7519 §5.2).

What is accepted by default is exactly what :class:`~passport_core.Encrypter`
makes: ``ECDH-ES+A256KW`` or ``RSA-OAEP-256`` with ``A256GCM``. Everything is
checked before a key is touched (structure, size, header); every failure of
the decryption itself is one error, so padding or tag failures cannot be told
apart (RFC 8725 §3.2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from joserfc import jwe

from passport_core.encryption.algorithms import (
    DEFAULT_ALGORITHMS,
    DEFAULT_ENCRYPTIONS,
    SUPPORTED_ALGORITHMS,
    SUPPORTED_ENCRYPTIONS,
    allowed_set,
)
from passport_core.encryption.compact import EncryptedParts, split_encrypted
from passport_core.encryption.keys import EncryptionKey, EncryptionKeysLike, load_encryption_keys
from passport_core.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    ConfigurationError,
    MalformedToken,
    TokenTooLarge,
    UnknownKey,
)

__all__ = ["DEFAULT_MAX_ENCRYPTED_BYTES", "DEFAULT_MAX_PLAINTEXT_BYTES", "Decrypter"]

#: an encrypted passport of at most this many bytes is parsed at all: a passport of the
#: verifier's default cap (8 KiB) grows by a third in base64url, plus header and key
DEFAULT_MAX_ENCRYPTED_BYTES = 16384
#: the largest plaintext decrypted; checked on the ciphertext first (AEAD ciphertexts are
#: never shorter than their plaintext, and ``zip`` is refused), then on the plaintext
DEFAULT_MAX_PLAINTEXT_BYTES = 16384
_FAILED = "the encrypted passport does not decrypt with our keys (altered, or for another key)"


class Decrypter:
    """Opens encrypted passports with this service's private keys.

    ::

        Decrypter(private_jwks)                       # ECDH-ES+A256KW / RSA-OAEP-256, A256GCM
        Decrypter(keys, algorithms={"ECDH-ES"}, encryptions={"A256GCM", "A128GCM"})

    :param keys: the private keys (JWK, JWK Set, ``cryptography`` keys, or a JSON file);
        a JWE naming a ``kid`` is opened with that key only, one without with the
        one key that can do its ``alg`` (several: refused, never tried in turn).
    :param algorithms: accepted ``alg`` (key management), from ``ECDH-ES``,
        ``ECDH-ES+A128KW/A192KW/A256KW``, ``RSA-OAEP``, ``RSA-OAEP-256``.
    :param encryptions: accepted ``enc``, from ``A128GCM``, ``A192GCM``, ``A256GCM``,
        ``A128CBC-HS256``, ``A192CBC-HS384``, ``A256CBC-HS512``.
    :param max_token_bytes: longer JWEs are refused unparsed.
    :param max_plaintext_bytes: larger plaintexts are refused, before decrypting.
    """

    def __init__(
        self,
        keys: EncryptionKeysLike,
        *,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        encryptions: Collection[str] = DEFAULT_ENCRYPTIONS,
        max_token_bytes: int = DEFAULT_MAX_ENCRYPTED_BYTES,
        max_plaintext_bytes: int = DEFAULT_MAX_PLAINTEXT_BYTES,
    ) -> None:
        self.keys: tuple[EncryptionKey, ...] = load_encryption_keys(keys, private=True)
        self._by_kid: Mapping[str, EncryptionKey] = {key.kid: key for key in self.keys}
        self.algorithms = allowed_set(algorithms, SUPPORTED_ALGORITHMS, "Decrypter algorithms")
        self.encryptions = allowed_set(encryptions, SUPPORTED_ENCRYPTIONS, "Decrypter encryptions")
        if not any(key.algorithms & self.algorithms for key in self.keys):
            raise ConfigurationError(
                "no {decryption_keys} key can do any of the allowed algorithms",
                setting="decryption_keys",
            )
        if max_token_bytes < 256 or max_plaintext_bytes < 64:
            raise ConfigurationError("the decryption size caps are too small to hold a passport")
        self.max_token_bytes = max_token_bytes
        self.max_plaintext_bytes = max_plaintext_bytes

    def decrypt(self, token: str | bytes) -> bytes:
        """The signed passport (a compact JWS, still to be verified) inside ``token``."""
        plaintext = self._open(token, nested=True)
        if plaintext.count(b".") != 2:
            # RFC 7519 §5.2: a nested JWT; an encrypted bare payload is signed by no one.
            raise MalformedToken("an encrypted passport must hold a signed passport (JWS)")
        return plaintext

    def decrypt_content(self, token: str | bytes) -> bytes:
        """The plaintext of any JWE we accept, without requiring ``cty: "JWT"``.

        For tests and tools: a service reads passports through :meth:`decrypt`.
        """
        return self._open(token, nested=False)

    def _open(self, token: str | bytes, *, nested: bool) -> bytes:
        if not isinstance(token, (str, bytes)):
            raise MalformedToken("the encrypted passport must be a string")
        parts = split_encrypted(
            token,
            max_bytes=self.max_token_bytes,
            algorithms=self.algorithms,
            encryptions=self.encryptions,
            nested=nested,
        )
        if len(parts.ciphertext) > self.max_plaintext_bytes:
            raise TokenTooLarge(f"the encrypted content exceeds {self.max_plaintext_bytes} bytes")
        key = self._key_for(parts.header)
        plaintext = self._decrypt(parts, key)
        if len(plaintext) > self.max_plaintext_bytes:  # pragma: no cover - AEAD: never longer
            raise TokenTooLarge(f"the encrypted content exceeds {self.max_plaintext_bytes} bytes")
        return plaintext

    def _key_for(self, header: Mapping[str, Any]) -> EncryptionKey:
        alg = header["alg"]
        kid = header.get("kid")
        if kid is not None:
            key = self._by_kid.get(kid)
            if key is None:
                raise UnknownKey("the encrypted passport is for a key we do not hold")
            if alg not in key.algorithms:
                # RFC 8725 §3.1: the key decides the algorithm, never the token.
                raise AlgorithmNotAllowed("the JWE algorithm does not match the key's")
            return key
        candidates = [key for key in self.keys if alg in key.algorithms]
        if len(candidates) != 1:
            raise UnknownKey("the encrypted passport names no 'kid' and no single key fits")
        return candidates[0]

    def _decrypt(self, parts: EncryptedParts, key: EncryptionKey) -> bytes:
        header = parts.header
        try:
            result = jwe.decrypt_compact(
                parts.data, key.jwk, algorithms=[header["alg"], header["enc"]]
            )
        except Exception:  # noqa: BLE001 - hostile input must never become a 500
            # joserfc, cryptography and the padding checks raise many kinds; one answer for
            # all (a distinguishable padding error is an oracle, RFC 8725 §3.2).
            raise BadSignature(_FAILED) from None
        plaintext = result.plaintext
        if plaintext is None:  # pragma: no cover - a decrypted compact JWE has one
            raise BadSignature(_FAILED)
        return bytes(plaintext)
