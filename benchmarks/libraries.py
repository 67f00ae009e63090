"""Other JWT libraries as verify contenders, each configured as strictly as it allows.

Each builder takes a :class:`~benchmarks.sample.Sample` and returns a function
that verifies one token of it (signature, ``exp``/``nbf``, ``iss``, ``aud``, the
required claims where the library can require them) and raises on any
rejection. A library that is not installed raises ``ImportError``; one that
does not support the algorithm raises :class:`Unsupported`. Imports stay inside
the builders: every contender is optional.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.sample import AUDIENCE, ISSUER, Sample

Verify = Callable[[str], object]
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]
_LEEWAY = 30


class Unsupported(Exception):
    """The library cannot verify this algorithm."""


@dataclass(frozen=True)
class Library:
    """A contender: its row label, its distribution's name (for versions) and its builder."""

    label: str
    distribution: str
    build: Callable[[Sample], Verify]


def _joserfc(sample: Sample) -> Verify:
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import KeySet, OctKey  # noqa: PLC0415

    keys: Any = (
        OctKey.import_key(sample.secret)
        if sample.is_symmetric
        else KeySet.import_key_set(sample.ring.public_jwks())
    )
    registry = jwt.JWTClaimsRegistry(
        leeway=_LEEWAY,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    algorithms = [sample.alg]

    def verify(token: str) -> object:
        decoded = jwt.decode(token, keys, algorithms=algorithms)
        registry.validate(decoded.claims)
        return decoded.claims

    return verify


def _pyjwt(sample: Sample) -> Verify:
    import jwt  # noqa: PLC0415

    key = jwt.PyJWK.from_dict(sample.key.to_jwk(private=sample.is_symmetric)).key
    options: Any = {"require": _REQUIRED}
    algorithms = [sample.alg]

    def verify(token: str) -> object:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=_LEEWAY,
            options=options,
        )

    return verify


def _authlib(sample: Sample) -> Verify:
    with warnings.catch_warnings():
        # authlib.jose points its users to joserfc; it is measured as it ships. Its
        # deprecate module installs an "always" filter on import: ignore after it.
        import authlib.deprecate  # noqa: F401, PLC0415

        warnings.simplefilter("ignore")
        from authlib.jose import JsonWebKey, JsonWebToken  # noqa: PLC0415

    key = JsonWebKey.import_key(sample.key.to_jwk(private=sample.is_symmetric))
    decoder = JsonWebToken([sample.alg])
    options = {
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": AUDIENCE},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }

    def verify(token: str) -> object:
        claims = decoder.decode(token, key, claims_options=options)
        claims.validate(leeway=_LEEWAY)
        return claims

    return verify


def _python_jose(sample: Sample) -> Verify:
    from jose import jwt  # noqa: PLC0415

    if sample.alg == "EdDSA" or sample.alg.startswith("PS"):
        raise Unsupported(f"python-jose has no {sample.alg}")
    key: Any = sample.secret if sample.is_symmetric else sample.public_pem.decode()
    options = {"leeway": _LEEWAY, **{f"require_{claim}": True for claim in _REQUIRED}}
    algorithms = [sample.alg]

    def verify(token: str) -> object:
        return jwt.decode(
            token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER, options=options
        )

    return verify


def _jwcrypto(sample: Sample) -> Verify:
    from jwcrypto import jwk, jwt  # noqa: PLC0415

    key = jwk.JWK(**sample.key.to_jwk(private=sample.is_symmetric))
    checks = {"iss": ISSUER, "aud": AUDIENCE, "exp": None, "iat": None, "sub": None}
    algorithms = [sample.alg]

    def verify(token: str) -> object:
        return jwt.JWT(jwt=token, key=key, algs=algorithms, check_claims=checks).claims

    return verify


def _oxyjwt(sample: Sample) -> Verify:
    import oxyjwt  # noqa: PLC0415

    if sample.is_symmetric:
        key: Any = oxyjwt.DecodingKey.from_secret(sample.secret)
    elif sample.alg == "EdDSA":
        key = oxyjwt.DecodingKey.from_ed_pem(sample.public_pem)
    elif sample.alg.startswith("ES"):
        key = oxyjwt.DecodingKey.from_ec_pem(sample.public_pem)
    else:
        key = oxyjwt.DecodingKey.from_rsa_pem(sample.public_pem)
    options: Any = {"require": _REQUIRED}
    algorithms = [sample.alg]

    def verify(token: str) -> object:
        return oxyjwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=_LEEWAY,
            typ="passport+jwt",
            options=options,
        )

    return verify


def _ryjwt(sample: Sample) -> Verify:
    import ryjwt  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415

    key: Any
    if sample.is_symmetric:
        key = ryjwt.SecretKey(
            sample.secret, algorithms=[sample.alg], audience=AUDIENCE, issuer=ISSUER
        )
    else:
        key = ryjwt.PublicKey(
            sample.public_pem, algorithms=[sample.alg], audience=AUDIENCE, issuer=ISSUER
        )

    def verify(token: str) -> object:
        # ryjwt does not require exp: a token without one would pass (its documented default).
        return key.decode(token, leeway=_LEEWAY)

    return verify


#: every third-party contender, in table order (pure Python first, then Rust-backed)
LIBRARIES = (
    Library("joserfc + claims registry", "joserfc", _joserfc),
    Library("PyJWT (require)", "pyjwt", _pyjwt),
    Library("Authlib (decode + validate)", "authlib", _authlib),
    Library("python-jose", "python-jose", _python_jose),
    Library("jwcrypto", "jwcrypto", _jwcrypto),
    Library("oxyjwt (Rust)", "oxyjwt", _oxyjwt),
    Library("ryjwt (Rust)", "ryjwt", _ryjwt),
)
