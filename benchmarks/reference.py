"""Hand-written references: the raw primitives, a minimal full verify and a minimal signer.

They are the floors the tables divide by. The raw primitive checks the
signature only (with the ECDSA signature already in DER): no JWT library can
go below it. The minimal verify does what any correct JWT verify must do and
nothing more: strict base64url (``bytes.translate``), orjson, the header's
``alg``/``typ``/``kid``, the signature, then ``exp``/``nbf``/``iat``/``iss``/``aud``/
``sub``. It has no error types, no policy, no configuration: the "1.00" of the
verify table. The minimal signer is json + base64url + the primitive's sign.
"""

from __future__ import annotations

import binascii
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from benchmarks.sample import AUDIENCE, ISSUER, Sample, common_data

Verify = Callable[[str], object]

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: RFC 4648 §5 → §4: base64url to the alphabet binascii decodes
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_URLSAFE = bytes.maketrans(b"+/", b"-_")
_LEEWAY = 30
_ES256_HALF = 32


class Rejected(Exception):
    """The minimal verify refuses the token."""


def b64url_decode(segment: bytes) -> bytes:
    """Strict base64url (RFC 7515 §2: no padding, no other character)."""
    if segment.translate(None, _ALPHABET) or len(segment) % 4 == 1:
        raise Rejected("not base64url")
    padded = segment.translate(_TO_STANDARD) + b"=" * (-len(segment) % 4)
    return binascii.a2b_base64(padded)


def b64url_encode(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_URLSAFE)


def _public(sample: Sample) -> Any:
    return serialization.load_pem_public_key(sample.public_pem)


def _private(sample: Sample) -> Any:
    return serialization.load_pem_private_key(sample.private_pem, password=None)


def signature_check(sample: Sample) -> Callable[[bytes, bytes], None]:
    """The raw primitive: raises unless ``signature`` (JWS form) signs ``message``."""
    alg = sample.alg
    if alg.startswith("HS"):
        secret = sample.secret

        def check_hmac(message: bytes, signature: bytes) -> None:
            if not hmac.compare_digest(hmac.digest(secret, message, "sha256"), signature):
                raise Rejected("bad signature")

        return check_hmac
    public = _public(sample)
    if isinstance(public, ed25519.Ed25519PublicKey):
        return lambda message, signature: public.verify(signature, message)
    if isinstance(public, ec.EllipticCurvePublicKey):
        curve = ec.ECDSA(hashes.SHA256())

        def check_ecdsa(message: bytes, signature: bytes) -> None:
            # RFC 7518 §3.4: JWS carries R || S; cryptography wants DER.
            r = int.from_bytes(signature[:_ES256_HALF], "big")
            s = int.from_bytes(signature[_ES256_HALF:], "big")
            public.verify(encode_dss_signature(r, s), message, curve)

        return check_ecdsa
    assert isinstance(public, rsa.RSAPublicKey)
    pad: padding.AsymmetricPadding = (
        padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        if alg.startswith("PS")
        else padding.PKCS1v15()
    )
    sha256 = hashes.SHA256()

    def check_rsa(message: bytes, signature: bytes) -> None:
        public.verify(signature, message, pad, sha256)

    return check_rsa


def _split(token: str) -> tuple[bytes, bytes, bytes]:
    header, payload, signature = token.encode("ascii").split(b".")
    return header, payload, signature


def primitive(sample: Sample) -> Verify:
    """The signature check alone, on inputs prepared in advance (DER for ECDSA)."""
    header, payload, encoded = _split(sample.token)
    message = header + b"." + payload
    signature = b64url_decode(encoded)
    public = None if sample.is_symmetric else _public(sample)
    if isinstance(public, ec.EllipticCurvePublicKey):
        der = encode_dss_signature(
            int.from_bytes(signature[:_ES256_HALF], "big"),
            int.from_bytes(signature[_ES256_HALF:], "big"),
        )
        curve = ec.ECDSA(hashes.SHA256())
        return lambda _token: public.verify(der, message, curve)
    check = signature_check(sample)
    return lambda _token: check(message, signature)


def pynacl(sample: Sample) -> Verify:
    """libsodium's Ed25519 verify (PyNaCl), signature only; raises ImportError without it."""
    from nacl.signing import VerifyKey  # noqa: PLC0415 - optional

    raw = _public(sample).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    verify_key = VerifyKey(raw)
    header, payload, encoded = _split(sample.token)
    message = header + b"." + payload
    signature = b64url_decode(encoded)
    return lambda _token: verify_key.verify(message, signature)


def minimal_verify(sample: Sample, *, clock: Callable[[], float] = time.time) -> Verify:
    """A minimal, complete verify of ``sample``'s passports; raises :class:`Rejected`."""
    check = signature_check(sample)
    alg, kid = sample.alg, sample.key.kid

    def verify(token: str) -> dict[str, Any]:
        header_b64, payload_b64, signature_b64 = _split(token)
        header = orjson.loads(b64url_decode(header_b64))
        if header.get("alg") != alg or header.get("kid") != kid:
            raise Rejected("wrong alg or kid")
        if header.get("typ") != "passport+jwt" or "crit" in header:
            raise Rejected("wrong typ or crit")
        try:
            check(header_b64 + b"." + payload_b64, b64url_decode(signature_b64))
        except Exception as exc:
            raise Rejected("bad signature") from exc
        claims = orjson.loads(b64url_decode(payload_b64))
        now = clock()
        exp, nbf, iat = claims.get("exp"), claims.get("nbf", 0), claims.get("iat")
        for value in (exp, nbf, iat):
            if type(value) not in (int, float):
                raise Rejected("a time claim is not a number")
        if exp <= now - _LEEWAY or nbf > now + _LEEWAY or iat > now + _LEEWAY:
            raise Rejected("expired or not yet valid")
        if claims.get("iss") != ISSUER:
            raise Rejected("wrong issuer")
        aud = claims.get("aud")
        if aud != AUDIENCE and not (isinstance(aud, list) and AUDIENCE in aud):
            raise Rejected("wrong audience")
        sub = claims.get("sub")
        if type(sub) is not str or not sub:
            raise Rejected("no subject")
        return claims  # type: ignore[no-any-return]

    return verify


def minimal_signer(sample: Sample) -> Callable[[], str]:
    """Mint ``sample``'s passport by hand: claims, orjson, base64url, the primitive's sign."""
    key = sample.key
    header = b64url_encode(orjson.dumps({"alg": key.alg, "typ": "passport+jwt", "kid": key.kid}))
    data = common_data()
    static = {
        "iss": ISSUER,
        "sub": "user-42",
        "aud": AUDIENCE,
        "roles": data["roles"],
        "scope": " ".join(data["scopes"]),
        "permissions": data["permissions"],
        "tenant": data["tenant"],
        "profile": data["profile"],
        "amr": data["auth_methods"],
        "acr": data["auth_context"],
    }
    sign = _signer(sample)

    def mint() -> str:
        now = int(time.time())
        claims = {
            **static,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "auth_time": now - 60,
            "jti": secrets.token_urlsafe(16),
        }
        message = header + b"." + b64url_encode(orjson.dumps(claims))
        return (message + b"." + b64url_encode(sign(message))).decode("ascii")

    return mint


def without_exp(sample: Sample) -> str:
    """``sample``'s passport re-signed by its own key without ``exp``: a lax library takes it."""
    header_b64, payload_b64, _ = _split(sample.token)
    claims = orjson.loads(b64url_decode(payload_b64))
    del claims["exp"]
    message = header_b64 + b"." + b64url_encode(orjson.dumps(claims))
    return (message + b"." + b64url_encode(_signer(sample)(message))).decode("ascii")


def _signer(sample: Sample) -> Callable[[bytes], bytes]:
    if sample.is_symmetric:
        secret = sample.secret
        return lambda message: hmac.digest(secret, message, "sha256")
    private = _private(sample)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign
    if isinstance(private, ec.EllipticCurvePrivateKey):
        curve = ec.ECDSA(hashes.SHA256())

        def sign_ecdsa(message: bytes) -> bytes:
            r, s = decode_dss_signature(private.sign(message, curve))
            return r.to_bytes(_ES256_HALF, "big") + s.to_bytes(_ES256_HALF, "big")

        return sign_ecdsa
    assert isinstance(private, rsa.RSAPrivateKey)
    pad: padding.AsymmetricPadding = (
        padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        if sample.alg.startswith("PS")
        else padding.PKCS1v15()
    )
    return lambda message: private.sign(message, pad, hashes.SHA256())


__all__ = [
    "Rejected",
    "b64url_decode",
    "minimal_signer",
    "minimal_verify",
    "primitive",
    "pynacl",
    "signature_check",
    "without_exp",
]
