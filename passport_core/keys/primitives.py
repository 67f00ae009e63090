"""The signature primitives, called directly: one sign and one verify per key, built once.

joserfc's JWS layer re-derives the padding, hash and curve objects and re-encodes
an ECDSA signature through Python integers on every call; for a verifier that
runs on every request that is a large share of the non-crypto cost. Here each
:class:`~passport_core.keys.key.Key` gets two closures at load time that call
``cryptography`` (or libsodium, see below) with everything precomputed. The key
material itself still comes from joserfc's strict JWK import.

Ed25519 uses libsodium through PyNaCl when the ``[fast]`` extra is installed:
it verifies in about 0.6x the time of ``cryptography``'s OpenSSL build here,
and is stricter, not laxer (it refuses non-canonical ``S`` and small-order
points, RFC 8032 §5.1.7 and its errata). Both backends run against Project
Wycheproof's Ed25519 vectors (``tests/core/test_wycheproof.py``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

try:  # the optional [fast] extra
    from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
    from nacl.exceptions import CryptoError

    HAVE_LIBSODIUM = True
except ImportError:  # pragma: no cover - exercised where PyNaCl is not installed
    HAVE_LIBSODIUM = False

__all__ = [
    "HAVE_LIBSODIUM",
    "Signer",
    "VerifyFunction",
    "ed25519_verifier",
    "signature_size",
    "signer_for",
    "verifier_for",
]

#: ``verify(signing_input, signature) -> bool``; never raises for a bad signature
VerifyFunction = Callable[[bytes, bytes], bool]
#: ``sign(signing_input) -> signature`` in the JWS encoding of its algorithm
Signer = Callable[[bytes], bytes]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
#: RFC 7518 §3.4: the fixed size of R and of S in an ECDSA JWS signature
_EC_COORDINATE_BYTES = {"ES256": 32, "ES384": 48, "ES512": 66}


def _hash(alg: str) -> hashes.HashAlgorithm:
    return _HASHES[alg[-3:]]()


def _hmac_verifier(secret: bytes, digest: str) -> VerifyFunction:
    def verify(signing_input: bytes, signature: bytes) -> bool:
        # RFC 7518 §3.2: compared in constant time; a truncated MAC never matches.
        return hmac.compare_digest(hmac.digest(secret, signing_input, digest), signature)

    return verify


def ed25519_verifier(
    public: ed25519.Ed25519PublicKey, *, libsodium: bool = HAVE_LIBSODIUM
) -> VerifyFunction:
    """Ed25519 verify through libsodium (when installed and asked for) or OpenSSL."""
    if libsodium:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

        def verify_sodium(signing_input: bytes, signature: bytes) -> bool:
            if len(signature) != 64:
                return False
            try:
                crypto_sign_open(signature + signing_input, raw)
            except (CryptoError, ValueError):
                return False
            return True

        return verify_sodium

    def verify_openssl(signing_input: bytes, signature: bytes) -> bool:
        try:
            public.verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True

    return verify_openssl


def _ecdsa_verifier(public: ec.EllipticCurvePublicKey, alg: str) -> VerifyFunction:
    size = _EC_COORDINATE_BYTES[alg]
    algorithm = ec.ECDSA(_hash(alg))

    def verify(signing_input: bytes, signature: bytes) -> bool:
        # RFC 7518 §3.4: exactly R || S, each of the curve's size; no DER, no other length.
        if len(signature) != 2 * size:
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
        try:
            public.verify(der, signing_input, algorithm)
        except InvalidSignature:
            return False
        return True

    return verify


def _rsa_padding(alg: str) -> padding.AsymmetricPadding:
    if alg.startswith("PS"):
        # RFC 7518 §3.5: MGF1 with the same hash, and a salt as long as the hash output.
        digest = _hash(alg)
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()


def _rsa_verifier(public: rsa.RSAPublicKey, alg: str) -> VerifyFunction:
    pad = _rsa_padding(alg)
    digest = _hash(alg)

    def verify(signing_input: bytes, signature: bytes) -> bool:
        try:
            public.verify(signature, signing_input, pad, digest)
        except InvalidSignature:
            return False
        return True

    return verify


def signature_size(alg: str, public: Any) -> int:
    """How many bytes a JWS signature of ``alg`` by this key has (RFC 7518 §3)."""
    if alg.startswith("HS"):
        return int(alg[2:]) // 8
    if alg in _EC_COORDINATE_BYTES:
        return 2 * _EC_COORDINATE_BYTES[alg]
    if isinstance(public, rsa.RSAPublicKey):
        return (public.key_size + 7) // 8
    return 64  # Ed25519 (RFC 8032 §5.1.6)


def verifier_for(alg: str, public: Any) -> VerifyFunction:
    """The verify function of ``alg`` for a ``cryptography`` public key (HMAC: the secret)."""
    if alg.startswith("HS"):
        return _hmac_verifier(bytes(public), f"sha{alg[2:]}")
    if isinstance(public, ed25519.Ed25519PublicKey):
        return ed25519_verifier(public)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return _ecdsa_verifier(public, alg)
    if isinstance(public, rsa.RSAPublicKey):
        return _rsa_verifier(public, alg)
    raise TypeError(f"no {alg} verifier for {type(public).__name__}")  # pragma: no cover


def signer_for(alg: str, private: Any) -> Signer:
    """The sign function of ``alg`` for a ``cryptography`` private key (HMAC: the secret)."""
    if alg.startswith("HS"):
        secret, digest_name = bytes(private), f"sha{alg[2:]}"
        return lambda signing_input: hmac.digest(secret, signing_input, digest_name)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        if HAVE_LIBSODIUM:
            seed = private.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            _, expanded = crypto_sign_seed_keypair(seed)
            # crypto_sign returns signature || message; Ed25519 is deterministic
            # (RFC 8032 §5.1.6), so both backends give the same bytes.
            return lambda signing_input: crypto_sign(signing_input, expanded)[:64]
        return private.sign
    if isinstance(private, ec.EllipticCurvePrivateKey):
        size = _EC_COORDINATE_BYTES[alg]
        algorithm = ec.ECDSA(_hash(alg))

        def sign_ecdsa(signing_input: bytes) -> bytes:
            r, s = decode_dss_signature(private.sign(signing_input, algorithm))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")

        return sign_ecdsa
    if isinstance(private, rsa.RSAPrivateKey):
        pad, digest = _rsa_padding(alg), _hash(alg)
        return lambda signing_input: private.sign(signing_input, pad, digest)
    raise TypeError(f"no {alg} signer for {type(private).__name__}")  # pragma: no cover
