"""Core fixtures: keys, a minter and a verifier on a fixed clock, and a hand forger."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import Key, KeyRing, Minter, Verifier, generate_key
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
