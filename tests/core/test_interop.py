"""Interoperability with other JWT libraries: PyJWT and joserfc, in both directions.

Users compare service-passport with these libraries and run services built on them: a
passport must verify there with nothing but our published keys, and a token they sign with
the same claims and header must verify here, while our refusals (``typ``, ``alg: none``) hold.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError, SecurityWarning
from joserfc.jwk import KeySet, OctKey

from passport_core import (
    AlgorithmNotAllowed,
    InvalidType,
    Key,
    KeyRing,
    Minter,
    Verifier,
    generate_key,
)
from passport_core.token.encoding import b64url_encode
from tests.core.conftest import AUDIENCE, ISSUER, assert_rejected

ALGORITHMS = ["EdDSA", "ES256", "RS256", "PS256", "HS256"]
ASYMMETRIC = [alg for alg in ALGORITHMS if not alg.startswith("HS")]
REQUIRED = ["iss", "sub", "aud", "iat", "exp"]


@pytest.fixture(scope="session")
def interop_keys() -> dict[str, Key]:
    """One private key per algorithm, made once: RSA keys are slow to generate."""
    return {alg: generate_key(alg, kid=f"interop-{alg.lower()}") for alg in ALGORITHMS}


def secret_of(key: Key) -> bytes:
    """The raw HMAC secret, as another library's user would configure it."""
    k = key.to_jwk(private=True)["k"]
    return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))


def mint(key: Key, subject: str = "user-1") -> str:
    """A passport minted on the real clock: the other libraries check ``exp`` against it."""
    return Minter(KeyRing(key), issuer=ISSUER).mint(subject, audience=AUDIENCE, jti="jti-interop")


def tamper(token: str) -> str:
    """The same passport with another subject, still carrying the original signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    return f"{header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"


@contextlib.contextmanager
def joserfc_warnings(alg: str) -> Iterator[None]:
    """joserfc warns that EdDSA is deprecated (RFC 9864); expect exactly that, nothing else."""
    if alg == "EdDSA":
        with pytest.warns(SecurityWarning, match="EdDSA"):
            yield
    else:
        yield


# --- our passports, verified by the other libraries -----------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_verifies_a_passport_with_the_published_jwk(
    interop_keys: dict[str, Key], alg: str
) -> None:
    key = interop_keys[alg]
    token = mint(key)
    verifying_key: Any = secret_of(key) if key.is_symmetric else jwt.PyJWK.from_dict(key.to_jwk())

    decoded = jwt.decode_complete(
        token,
        verifying_key,
        algorithms=[alg],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": REQUIRED},
    )

    assert decoded["header"] == {"alg": alg, "typ": "passport+jwt", "kid": key.kid}
    assert decoded["payload"]["sub"] == "user-1"
    assert decoded["payload"]["jti"] == "jti-interop"
    assert decoded["payload"]["exp"] - decoded["payload"]["iat"] == 300


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_pyjwt_verifies_a_passport_with_the_pem_public_key(
    interop_keys: dict[str, Key], alg: str
) -> None:
    key = interop_keys[alg]
    claims = jwt.decode(mint(key), key.to_pem(), algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
    assert claims["sub"] == "user-1"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_refuses_a_tampered_passport(interop_keys: dict[str, Key], alg: str) -> None:
    key = interop_keys[alg]
    verifying_key: Any = secret_of(key) if key.is_symmetric else jwt.PyJWK.from_dict(key.to_jwk())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tamper(mint(key)), verifying_key, algorithms=[alg], audience=AUDIENCE)


def test_pyjwt_refuses_a_passport_for_another_audience(interop_keys: dict[str, Key]) -> None:
    key = interop_keys["EdDSA"]
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(mint(key), key.to_pem(), algorithms=["EdDSA"], audience="billing")


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_joserfc_verifies_a_passport_with_the_published_jwks(
    interop_keys: dict[str, Key], alg: str
) -> None:
    key = interop_keys[alg]
    token = mint(key)
    # A public JWKS, looked up by kid; HMAC keys are never published, so the raw secret.
    verifying_key: Any = (
        OctKey.import_key(secret_of(key))
        if key.is_symmetric
        else KeySet.import_key_set(KeyRing(key).public_jwks())  # type: ignore[arg-type]
    )

    with joserfc_warnings(alg):
        decoded = jose_jwt.decode(token, verifying_key, algorithms=[alg])
    jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True, "value": "user-1"},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(decoded.claims)

    assert decoded.header == {"alg": alg, "typ": "passport+jwt", "kid": key.kid}
    assert decoded.claims["jti"] == "jti-interop"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_joserfc_refuses_a_tampered_passport(interop_keys: dict[str, Key], alg: str) -> None:
    key = interop_keys[alg]
    verifying_key: Any = (
        OctKey.import_key(secret_of(key))
        if key.is_symmetric
        else KeySet.import_key_set(KeyRing(key).public_jwks())  # type: ignore[arg-type]
    )
    with joserfc_warnings(alg), pytest.raises(BadSignatureError):
        jose_jwt.decode(tamper(mint(key)), verifying_key, algorithms=[alg])


# --- tokens signed by PyJWT, verified here ----------------------------------------------------


def pyjwt_claims(subject: str = "user-9") -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": subject, "aud": AUDIENCE, "iat": now, "exp": now + 300}


def pyjwt_sign(key: Key, headers: dict[str, Any] | None = None) -> str:
    """Sign with PyJWT from the exported private key (PEM) or the raw HMAC secret."""
    signing_key: Any = secret_of(key) if key.is_symmetric else key.to_pem(private=True)
    return jwt.encode(pyjwt_claims(), signing_key, algorithm=key.alg, headers=headers)


def our_verifier(key: Key, **options: Any) -> Verifier:
    """Trusts the published JWKS of a ring holding ``key`` (HMAC: the secret itself)."""
    keys: Any = key if key.is_symmetric else KeyRing(key).public_jwks()
    return Verifier(keys=keys, issuer=ISSUER, audience=AUDIENCE, **options)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_pyjwt_token_with_the_passport_type_verifies(
    interop_keys: dict[str, Key], alg: str
) -> None:
    key = interop_keys[alg]
    token = pyjwt_sign(key, {"typ": "passport+jwt", "kid": key.kid})

    passport = our_verifier(key).verify(token)

    assert passport.subject == "user-9"
    assert passport.issuer == ISSUER
    assert passport.token == token


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_pyjwt_token_typed_jwt_is_refused_unless_typ_is_relaxed(
    interop_keys: dict[str, Key], alg: str
) -> None:
    key = interop_keys[alg]
    token = pyjwt_sign(key, {"kid": key.kid})
    assert jwt.get_unverified_header(token)["typ"] == "JWT"  # PyJWT's default

    # RFC 8725 §3.11: an ordinary JWT (an ID or access token) is not a passport.
    assert_rejected(our_verifier(key), token, InvalidType)
    assert our_verifier(key, typ=None).verify(token).subject == "user-9"


def test_a_pyjwt_token_with_alg_none_is_refused(interop_keys: dict[str, Key]) -> None:
    key = interop_keys["EdDSA"]
    token = jwt.encode(
        pyjwt_claims(), "", algorithm="none", headers={"typ": "passport+jwt", "kid": key.kid}
    )
    assert token.endswith(".")  # really unsigned

    assert_rejected(our_verifier(key), token, AlgorithmNotAllowed)
    assert_rejected(our_verifier(key, typ=None), token, AlgorithmNotAllowed)
