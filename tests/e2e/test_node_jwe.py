"""Encrypted passports across ecosystems: Node's jose encrypts, we decrypt, and back.

``tests/e2e/node/jwe.mjs`` runs jose's ``CompactEncrypt`` / ``compactDecrypt`` in a
real Node process; keys and tokens go over stdin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from passport_core import (
    BadSignature,
    Decrypter,
    Encrypter,
    KeyRing,
    Minter,
    Verifier,
)
from tests.conftest import require_component

pytestmark = pytest.mark.network

NODE_DIR = Path(__file__).resolve().parent / "node"
ISSUER = "https://edge.interop.test"
RING = KeyRing.generate()
KEYS = {
    "ECDH-ES+A256KW": ECKey.generate_key("P-256", parameters={"kid": "node-ec"}),
    "RSA-OAEP-256": RSAKey.generate_key(2048, parameters={"kid": "node-rsa"}),
}


def node(command: str, spec: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    require_component(shutil.which("node") is not None, "node (Node.js)")
    require_component(
        (NODE_DIR / "node_modules" / "jose").is_dir(),
        "the npm package jose in tests/e2e/node/node_modules (run: npm ci --prefix tests/e2e/node)",
    )
    result = subprocess.run(
        ["node", "jwe.mjs", command],
        cwd=NODE_DIR,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result


def passport() -> str:
    return Minter(RING, issuer=ISSUER).mint("user-7", audience="orders", roles=["clerk"])


def verifier(alg: str) -> Verifier:
    decryption = Decrypter(KEYS[alg].as_dict(private=True))
    return Verifier(keys=RING, issuer=ISSUER, audience="orders", decryption=decryption)


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_a_passport_node_encrypted_verifies_here(alg: str) -> None:
    signed = passport()
    spec = {
        "jwk": KEYS[alg].as_dict(private=False),
        "alg": alg,
        "enc": "A256GCM",
        "plaintext": signed,
    }
    result = node("encrypt", spec)
    assert result.returncode == 0
    token = result.stdout.strip()

    verified = verifier(alg).verify(token)
    assert verified.subject == "user-7"
    assert verified.token == token


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_a_passport_we_encrypt_decrypts_in_node(alg: str) -> None:
    signed = passport()
    token = Encrypter(KEYS[alg].as_dict(private=False)).encrypt(signed)
    spec = {
        "jwk": KEYS[alg].as_dict(private=True),
        "algs": [alg],
        "encs": ["A256GCM"],
        "token": token,
    }
    result = node("decrypt", spec)
    assert result.returncode == 0, result.stdout
    opened = json.loads(result.stdout)
    assert opened["plaintext"] == signed
    assert opened["header"]["cty"] == "JWT"
    assert opened["header"]["typ"] == "passport+jwt"


def test_node_refuses_a_tampered_passport_we_encrypted() -> None:
    alg = "ECDH-ES+A256KW"
    segments = Encrypter(KEYS[alg].as_dict(private=False)).encrypt(passport()).split(".")
    segments[3] = ("A" if segments[3][0] != "A" else "B") + segments[3][1:]
    spec = {
        "jwk": KEYS[alg].as_dict(private=True),
        "algs": [alg],
        "encs": ["A256GCM"],
        "token": ".".join(segments),
    }
    result = node("decrypt", spec)
    assert result.returncode == 1
    assert result.stdout.strip().startswith("ERR_JWE")


def test_we_refuse_a_node_token_for_another_key() -> None:
    alg = "ECDH-ES+A256KW"
    other = ECKey.generate_key("P-256", parameters={"kid": "node-ec"})  # same kid, other key
    spec = {"jwk": other.as_dict(private=False), "alg": alg, "enc": "A256GCM", "plaintext": "x"}
    token = node("encrypt", spec).stdout.strip()

    with pytest.raises(BadSignature):
        verifier(alg).verify(token)
