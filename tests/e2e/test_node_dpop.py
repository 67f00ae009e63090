"""DPoP interop: proofs a third-party client (Node.js ``jose``) signs pass our checks.

``tests/e2e/node/dpop.mjs`` signs the proof with jose in a real Node process, with the holder's
key handed over on stdin; here the passport bound to that key (``cnf.jkt``) and jose's proof
pass the inbound gate, and jose's RFC 7638 thumbprint is ours.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from passport_core import (
    HeaderGetter,
    InvalidProof,
    Key,
    KeyRing,
    Minter,
    PassportGate,
    ProofBinding,
    ProofReplayed,
    RequestTarget,
    Verifier,
    confirmation,
    generate_key,
    jwk_thumbprint,
)
from tests.conftest import require_component

pytestmark = pytest.mark.network

NODE_DIR = Path(__file__).resolve().parent / "node"
ISSUER = "https://edge.interop.test"
URL = "https://orders.interop.test/orders/7"
RING = KeyRing.generate()


def node_proof(holder: Key, htm: str, htu: str, passport: str) -> dict[str, Any]:
    """A proof signed by Node's jose with ``holder``'s private key."""
    require_component(shutil.which("node") is not None, "node (Node.js)")
    require_component(
        (NODE_DIR / "node_modules" / "jose").is_dir(),
        "the npm package jose in tests/e2e/node/node_modules (run: npm ci --prefix tests/e2e/node)",
    )
    spec = json.dumps({"alg": holder.alg, "htm": htm, "htu": htu})
    stdin = json.dumps({"jwk": holder.to_jwk(private=True), "passport": passport})
    result = subprocess.run(
        ["node", "dpop.mjs", spec],
        cwd=NODE_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def headers(passport: str, proof: str) -> HeaderGetter:
    return lambda name: {"X-Passport": [passport], "DPoP": [proof]}.get(name, [])


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256"])
def test_a_node_jose_proof_passes_the_gate(alg: str) -> None:
    holder = generate_key(alg)
    gate = PassportGate(
        Verifier(keys=RING, issuer=ISSUER, audience="orders"), binding=ProofBinding("required")
    )
    bound = Minter(RING, issuer=ISSUER).mint("alice", audience="orders", cnf=confirmation(holder))
    made = node_proof(holder, "GET", URL + "?page=2", bound)
    # our RFC 7638 thumbprint agrees with jose's calculateJwkThumbprint
    assert made["jkt"] == jwk_thumbprint(holder)
    target = RequestTarget("GET", URL + "?page=2")
    passport = gate.authenticate(headers(bound, made["proof"]), target=target)
    assert passport is not None
    assert passport.subject == "alice"
    with pytest.raises(ProofReplayed):
        gate.authenticate(headers(bound, made["proof"]), target=target)
    other = node_proof(holder, "POST", URL, bound)
    with pytest.raises(InvalidProof):
        gate.authenticate(headers(bound, other["proof"]), target=target)
