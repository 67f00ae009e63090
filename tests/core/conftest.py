"""Core fixtures: keys, a minter and a verifier on a fixed clock, and a hand forger."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import Key, KeyRing, Minter, Passport, Verifier, generate_key
from passport_core.encoding import b64url_encode

ISSUER = "https://edge.test"
AUDIENCE = "orders"
NOW = 1_800_000_000.0

Forge = Callable[..., str]


@pytest.fixture
def now() -> float:
    return NOW


@pytest.fixture
def clock() -> Callable[[], float]:
    return lambda: NOW


@pytest.fixture(scope="session")
def ed_key() -> Key:
    return generate_key("EdDSA", kid="ed-1")


@pytest.fixture
def ring(ed_key: Key) -> KeyRing:
    return KeyRing(ed_key)


@pytest.fixture
def minter(ring: KeyRing, clock: Callable[[], float]) -> Minter:
    return Minter(ring, issuer=ISSUER, clock=clock)


@pytest.fixture
def verifier(ring: KeyRing, clock: Callable[[], float]) -> Verifier:
    return Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=clock)


def good_claims(**overrides: Any) -> dict[str, Any]:
    """Claims that verify at NOW; override or drop (value ``...``) any of them."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 300,
        "jti": "jti-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def good_header(key: Key, **overrides: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": key.alg, "typ": "passport+jwt", "kid": key.kid}
    header.update(overrides)
    return {k: v for k, v in header.items() if v is not ...}


def _segment(part: dict[str, Any] | bytes | str) -> str:
    if isinstance(part, str):
        return part  # already encoded, used verbatim
    raw = part if isinstance(part, bytes) else json.dumps(part).encode()
    return b64url_encode(raw)


def forge_token(
    header: dict[str, Any] | bytes | str,
    payload: dict[str, Any] | bytes | str,
    key: Key | None = None,
    signature: bytes | str | None = None,
) -> str:
    """Build a compact JWS by hand, without the library's minter.

    ``header``/``payload`` may be dicts (JSON-encoded), raw bytes (encoded as
    given) or strings (used verbatim as the segment). With ``key`` the token is
    signed; ``signature`` overrides the signature (bytes, or a verbatim string).
    """
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    if isinstance(signature, str):
        sig = signature
    elif signature is not None:
        sig = b64url_encode(signature)
    elif key is not None:
        sig = b64url_encode(key.sign(signing_input.encode("ascii")))
    else:
        sig = ""
    return f"{signing_input}.{sig}"


@pytest.fixture
def forge() -> Forge:
    return forge_token


# --- added for the key, minting, policy and passport tests ---------------------------------------

KeyOfAlg = Callable[[str], Key]
PassportFor = Callable[..., Passport]


@pytest.fixture(scope="session")
def key_of_alg() -> KeyOfAlg:
    """One generated private key per algorithm (default kid), cached: RSA keys are slow to make."""
    cache: dict[str, Key] = {}

    def get(alg: str) -> Key:
        if alg not in cache:
            cache[alg] = generate_key(alg)
        return cache[alg]

    return get


@pytest.fixture
def passport_for(minter: Minter, verifier: Verifier) -> PassportFor:
    """Mint a real passport for ``subject`` (keyword args go to ``mint``) and verify it."""

    def make(subject: str = "user-1", **mint_kwargs: Any) -> Passport:
        mint_kwargs.setdefault("audience", AUDIENCE)
        return verifier.verify(minter.mint(subject, **mint_kwargs))

    return make
