"""Keys and passports for the encryption tests: a real signing key, real EC and RSA keys."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from passport_core import Minter, Verifier, generate_key
from passport_core.keys import Key

ISSUER = "https://edge.example"
AUDIENCE = "orders"


@pytest.fixture(scope="session")
def signing_key() -> Key:
    return generate_key("ES256", kid="sign-1")


@pytest.fixture(scope="session")
def ec_private() -> dict[str, Any]:
    return ECKey.generate_key("P-256", parameters={"kid": "enc-ec"}).as_dict(private=True)


@pytest.fixture(scope="session")
def rsa_private() -> dict[str, Any]:
    return RSAKey.generate_key(2048, parameters={"kid": "enc-rsa"}).as_dict(private=True)


def public(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}


@pytest.fixture
def passport(signing_key: Key) -> str:
    return Minter(signing_key, issuer=ISSUER).mint("user-1", audience=AUDIENCE, roles=["admin"])


def verifier(signing_key: Key, **options: Any) -> Verifier:
    return Verifier(keys=[signing_key.public()], issuer=ISSUER, audience=AUDIENCE, **options)
