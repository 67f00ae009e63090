"""Signing and verification keys, each bound to exactly one algorithm.

A :class:`Key` wraps a joserfc key with a fixed ``kid`` and ``alg``, and signs
and verifies through :mod:`~passport_core.keys.primitives`. Binding
the algorithm to the key (RFC 8725 §3.1) is what stops algorithm confusion:
a token may only be verified with the algorithm its key was made for.

Weak or misused keys are refused here, when they are configured, never later
while serving requests.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OctKey, OKPKey, RSAKey
from joserfc.jwk import Key as JoseKey

from passport_core.errors import (
    InvalidKey,
    KeyUsageForbidden,
    PrivateKeyInPublicSet,
    WeakKey,
)
from passport_core.keys.primitives import (
    Signer,
    VerifyFunction,
    signature_size,
    signer_for,
    verifier_for,
)
from passport_core.token.encoding import b64url_encode

__all__ = [
    "ALGORITHMS",
    "PRIVATE_MEMBERS",
    "Key",
    "generate_key",
    "load_key",
    "load_key_env",
    "load_key_file",
]


@dataclass(frozen=True)
class _AlgSpec:
    kty: str
    curve: str | None = None
    #: minimum size in bits (RSA modulus, HMAC secret)
    min_bits: int = 0


#: Every algorithm a key can be bound to. ``none`` is deliberately absent.
ALGORITHMS: Mapping[str, _AlgSpec] = {
    "EdDSA": _AlgSpec("OKP", "Ed25519"),
    "Ed25519": _AlgSpec("OKP", "Ed25519"),
    "ES256": _AlgSpec("EC", "P-256"),
    "ES384": _AlgSpec("EC", "P-384"),
    "ES512": _AlgSpec("EC", "P-521"),
    "RS256": _AlgSpec("RSA", min_bits=2048),
    "RS384": _AlgSpec("RSA", min_bits=2048),
    "RS512": _AlgSpec("RSA", min_bits=2048),
    "PS256": _AlgSpec("RSA", min_bits=2048),
    "PS384": _AlgSpec("RSA", min_bits=2048),
    "PS512": _AlgSpec("RSA", min_bits=2048),
    # RFC 7518 §3.2: the secret must be at least as long as the hash output.
    "HS256": _AlgSpec("oct", min_bits=256),
    "HS384": _AlgSpec("oct", min_bits=384),
    "HS512": _AlgSpec("oct", min_bits=512),
}

_DEFAULT_ALG = {"OKP": "EdDSA", "RSA": "RS256", "oct": "HS256"}
#: RFC 7518 §6: JWK members that carry private or secret key material
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CURVE_ALG = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "Ed25519": "EdDSA"}
_JWK_CLASSES: dict[str, type[JoseKey]] = {
    "OKP": OKPKey,
    "EC": ECKey,
    "RSA": RSAKey,
    "oct": OctKey,
}


@dataclass(frozen=True, eq=False)
class Key:
    """One key with a fixed ``kid`` and ``alg``; private or public.

    Build keys with :func:`generate_key`, :func:`load_key` or :func:`load_jwks`.
    """

    kid: str
    alg: str
    jwk: JoseKey = field(repr=False)
    _verify: VerifyFunction = field(init=False, repr=False)
    _sign: Signer | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Built once per key: the hot path calls the primitive with nothing left to derive.
        # The key material itself, not get_op_key(): a JWK whose key_ops names only
        # "sign" (RFC 7517 §4.3) still has a public half that verifies what it signed.
        public: Any = self.jwk.public_key
        private: Any = self.jwk.private_key
        object.__setattr__(self, "_verify", verifier_for(self.alg, public))
        object.__setattr__(
            self, "_sign", None if private is None else signer_for(self.alg, private)
        )

    @property
    def is_private(self) -> bool:
        """True if the key can sign (private or symmetric)."""
        return bool(self.jwk.is_private)

    @property
    def is_symmetric(self) -> bool:
        return self.jwk.key_type == "oct"

    @property
    def key_type(self) -> str:
        return str(self.jwk.key_type)

    def public(self) -> Key:
        """The public half, for publishing; symmetric keys have none."""
        if self.is_symmetric:
            raise InvalidKey("a symmetric (HMAC) key has no public half to publish")
        if not self.is_private:
            return self
        public_jwk = JWKRegistry.import_key(self.jwk.as_dict(private=False))
        return Key(self.kid, self.alg, public_jwk)

    def to_jwk(self, *, private: bool = False) -> dict[str, Any]:
        """The key as a JWK dict; private members only when asked for."""
        if private:
            data = dict(self.jwk.as_dict(private=True))
        else:
            data = dict(self.public().jwk.as_dict(private=False))
            if any(member in data for member in PRIVATE_MEMBERS):  # pragma: no cover
                raise PrivateKeyInPublicSet("refusing to export private key material")
            data["use"] = "sig"
            # RFC 7517 §4.3: a published public key only verifies; a private key's
            # ["sign"] copied here would make verifiers refuse it.
            data.pop("key_ops", None)
        data["kid"] = self.kid
        data["alg"] = self.alg
        return data

    def to_pem(self, *, private: bool = False) -> bytes:
        """PEM (PKCS#8 private or SubjectPublicKeyInfo public)."""
        if self.is_symmetric:
            raise InvalidKey("a symmetric (HMAC) key has no PEM form")
        if private and not self.is_private:
            raise InvalidKey("this is a public key")
        if isinstance(self.jwk, OctKey):  # pragma: no cover - excluded above
            raise InvalidKey("a symmetric (HMAC) key has no PEM form")
        return bytes(self.jwk.as_pem(private=private))

    def sign(self, signing_input: bytes) -> bytes:
        """Sign with this key's bound algorithm."""
        if self._sign is None:
            raise InvalidKey("a public key cannot sign")
        return self._sign(signing_input)

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        """Check a signature made with this key's bound algorithm."""
        return self._verify(signing_input, signature)

    def warm_up(self) -> None:
        """Run the signature check once (on a signature that fails), so a first request
        does not pay for what the primitive sets up on first use."""
        self._verify(b"warm-up", b"\x01" * signature_size(self.alg, self.jwk.public_key))


def _bits(jwk: JoseKey) -> int:
    if isinstance(jwk, RSAKey):
        return int(jwk.raw_value.key_size)
    if isinstance(jwk, OctKey):
        return len(jwk.raw_value) * 8
    return 0


def _bind(jwk: JoseKey, alg: str | None, kid: str | None, declared: Mapping[str, Any]) -> Key:
    """Check the key against its algorithm and wrap it."""
    kty = str(jwk.key_type)
    curve = getattr(jwk, "curve_name", None)
    declared_alg = declared.get("alg")
    if declared_alg is not None and not isinstance(declared_alg, str):
        raise InvalidKey("the JWK 'alg' member must be a string")
    if alg is None:
        alg = declared_alg or (_CURVE_ALG.get(curve) if curve else None) or _DEFAULT_ALG.get(kty)
    elif declared_alg is not None and declared_alg != alg:
        raise InvalidKey(f"the key is declared for {declared_alg}, not {alg}")
    if alg is None or alg not in ALGORITHMS:
        raise InvalidKey(f"unsupported algorithm {alg!r}; use one of {', '.join(ALGORITHMS)}")
    spec = ALGORITHMS[alg]
    if spec.kty != kty:
        raise InvalidKey(f"{alg} needs a {spec.kty} key, not {kty}")
    if spec.curve is not None and spec.curve != curve:
        raise InvalidKey(f"{alg} needs curve {spec.curve}, not {curve}")
    if _bits(jwk) < spec.min_bits:
        raise WeakKey(f"{alg} needs a key of at least {spec.min_bits} bits, got {_bits(jwk)}")
    _check_usage(declared)
    if kid is None:
        declared_kid = declared.get("kid")
        if declared_kid is not None and not isinstance(declared_kid, str):
            raise InvalidKey("the JWK 'kid' member must be a string")
        kid = declared_kid or jwk.thumbprint()
    if not kid:
        raise InvalidKey("the key id must not be empty")
    return Key(kid, alg, jwk)


def _check_usage(declared: Mapping[str, Any]) -> None:
    use = declared.get("use")
    if use is not None and use != "sig":
        raise KeyUsageForbidden(f"the key's use is {use!r}, not 'sig'")
    ops = declared.get("key_ops")
    if ops is not None:
        if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
            raise InvalidKey("the JWK 'key_ops' member must be a list of strings")
        if not {"sign", "verify"} & set(ops):
            raise KeyUsageForbidden("the key's key_ops allow neither 'sign' nor 'verify'")


def generate_key(alg: str = "EdDSA", *, kid: str | None = None, bits: int | None = None) -> Key:
    """Generate a new private key for ``alg`` (default EdDSA with Ed25519)."""
    spec = ALGORITHMS.get(alg)
    if spec is None:
        raise InvalidKey(f"unsupported algorithm {alg!r}; use one of {', '.join(ALGORITHMS)}")
    size: str | int | None
    if spec.kty in ("RSA", "oct"):
        size = bits or max(spec.min_bits, 2048 if spec.kty == "RSA" else spec.min_bits)
        if size < spec.min_bits:
            raise WeakKey(f"{alg} needs at least {spec.min_bits} bits")
    else:
        size = spec.curve
    try:
        jwk = JWKRegistry.generate_key(spec.kty, size)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidKey(f"cannot generate a {alg} key of {size} bits: {exc}") from exc
    return _bind(jwk, alg, kid, {})


def _native_from_pem(data: bytes) -> Any:
    try:
        if b"PRIVATE KEY" in data:
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InvalidKey("the PEM data is not a supported, unencrypted key") from exc


def _jwk_from_native(native: Any) -> JoseKey:
    if isinstance(native, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        if native.key_size < 2048:
            raise WeakKey(f"RSA keys need at least 2048 bits, got {native.key_size}")
        key: JoseKey = RSAKey.import_key(native)
    elif isinstance(native, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        key = ECKey.import_key(native)
    elif isinstance(native, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        key = OKPKey.import_key(native)
    else:
        raise InvalidKey(f"unsupported key type {type(native).__name__}")
    return key


def _jwk_from_dict(data: Mapping[str, Any]) -> JoseKey:
    kty = data.get("kty")
    if not isinstance(kty, str) or kty not in _JWK_CLASSES:
        raise InvalidKey(f"unsupported or missing JWK 'kty': {kty!r}")
    # Before joserfc parses it: joserfc refuses a 'use' it does not know with a generic error.
    _check_usage(data)
    if kty == "RSA":
        modulus = data.get("n")
        # Refuse before joserfc parses it, so a weak key is an error, not a warning.
        if isinstance(modulus, str) and len(modulus.rstrip("=")) * 6 < 2048 - 6:
            raise WeakKey("RSA keys need at least 2048 bits")
    if kty == "oct":
        secret = data.get("k")
        # joserfc versions differ on short or empty secrets (a warning, or ValueError).
        if isinstance(secret, str) and len(secret.rstrip("=")) * 6 < 256 - 6:
            raise WeakKey("HMAC secrets need at least 256 bits")
    with warnings.catch_warnings():
        # joserfc only warns about weak keys; _bind refuses them outright.
        warnings.simplefilter("ignore")
        key: JoseKey = _JWK_CLASSES[kty].import_key(dict(data))
    if isinstance(key, OKPKey) and key.private_key is not None:
        _check_okp_public(key, data.get("x"))
    return key


def _check_okp_public(key: OKPKey, x: Any) -> None:
    """An OKP private key's ``x`` must be its public key (RFC 8037 §2).

    cryptography checks EC and RSA private keys against their public members;
    joserfc keeps an OKP key's ``x`` as given, and publishes it: a mismatch would
    sign passports that the published key never verifies.
    """
    private = key.private_key
    assert private is not None  # noqa: S101 - checked by the caller
    derived = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if not isinstance(x, str) or b64url_encode(derived) != x.rstrip("="):
        raise InvalidKey("the JWK's public key 'x' does not belong to its private key 'd'")


def load_key(
    data: str | bytes | Mapping[str, Any],
    *,
    alg: str | None = None,
    kid: str | None = None,
) -> Key:
    """Load one key from PEM, a JWK (dict or JSON text) or raw HMAC secret bytes.

    ``alg`` binds the key; without it the JWK's ``alg`` is used, else the
    natural algorithm of the key type (EdDSA, ES256/384/512, RS256, HS256).
    """
    try:
        if isinstance(data, Mapping):
            return _bind(_jwk_from_dict(data), alg, kid, data)
        value: object = data
        if isinstance(value, str):
            raw = value.encode("utf-8")
        elif isinstance(value, (bytes, bytearray)):
            raw = bytes(value)
        else:
            # bytes(123) would silently make a 123-byte secret of zeros.
            raise InvalidKey(
                f"key data must be text, bytes or a JWK mapping, not {type(value).__name__}"
            )
        stripped = raw.strip()
        if stripped.startswith(b"-----BEGIN"):
            return _bind(_jwk_from_native(_native_from_pem(stripped)), alg, kid, {})
        if stripped.startswith(b"{"):
            parsed = json.loads(stripped)
            if not isinstance(parsed, dict):
                raise InvalidKey("a JWK must be a JSON object")
            if "keys" in parsed:
                raise InvalidKey("this is a JWKS; use load_jwks()")
            return _bind(_jwk_from_dict(parsed), alg, kid, parsed)
        if alg is not None and alg.startswith("HS"):
            needed = ALGORITHMS[alg].min_bits if alg in ALGORITHMS else 256
            if len(raw) * 8 < needed:
                raise WeakKey(f"{alg} needs a secret of at least {needed} bits")
            with warnings.catch_warnings():
                # joserfc only warns about short secrets; _bind refuses them outright.
                warnings.simplefilter("ignore")
                secret = OctKey.import_key(raw)
            return _bind(secret, alg, kid, {})
        raise InvalidKey("key data is neither PEM nor JWK (pass alg='HS256' for a raw secret)")
    except InvalidKey:
        raise
    except (JoseError, ValueError, TypeError, KeyError, RecursionError) as exc:
        # RecursionError: json.loads on absurdly nested text.
        raise InvalidKey(f"the key cannot be loaded: {type(exc).__name__}") from exc


def load_key_file(path: str | os.PathLike[str], *, alg: str | None = None) -> Key:
    """Load one key from a PEM or JWK file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidKey(f"cannot read key file {os.fspath(path)!r}: {exc.strerror}") from exc
    return load_key(data, alg=alg)


def load_key_env(name: str, *, alg: str | None = None) -> Key:
    """Load one key from an environment variable holding PEM or JWK text."""
    value = os.environ.get(name)
    if not value:
        raise InvalidKey(f"environment variable {name} is not set")
    return load_key(value, alg=alg)
