"""Interoperability with another ecosystem: Node.js and its ``jose`` library, in real processes.

A Node service verifies our passports against the JWKS we publish over HTTP (127.0.0.1), and
tokens Node signs verify here. ``tests/e2e/node/interop.mjs`` is the Node side; its
dependencies are installed by ``npm ci --prefix tests/e2e/node`` (``.ci/run`` does it).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from passport_core import (
    JWKS_CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    TXN_TOKEN_TYPE,
    InvalidType,
    Key,
    KeyRing,
    Minter,
    PassportError,
    TransactionTokens,
    Verifier,
    generate_key,
    load_key,
)
from passport_core.token.encoding import b64url_encode
from tests.conftest import require_component
from tests.servers import RunningServer, serve

pytestmark = pytest.mark.network

NODE_DIR = Path(__file__).resolve().parent / "node"
ISSUER = "https://edge.interop.test"
AUDIENCE = "orders"

RunNode = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def node() -> RunNode:
    """Runs ``interop.mjs`` with node, bounded by a timeout; the token goes in on stdin."""
    # Tests never install anything: `.ci/run` (or you) runs `npm ci --prefix tests/e2e/node`.
    require_component(shutil.which("node") is not None, "node (Node.js)")
    require_component(
        (NODE_DIR / "node_modules" / "jose").is_dir(),
        "the npm package jose in tests/e2e/node/node_modules (run: npm ci --prefix tests/e2e/node)",
    )

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["node", "interop.mjs", *args],
            cwd=NODE_DIR,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    return run


@pytest.fixture(params=["EdDSA", "ES256"])
def ring(request: pytest.FixtureRequest) -> KeyRing:
    """A rotated ring: the JWKS holds the active key and a retiring one, so node picks by kid."""
    ring = KeyRing(generate_key(request.param, kid=f"old-{request.param}"))
    ring.prepare(
        generate_key(request.param, kid=f"new-{request.param}")
    )  # immediate: not what is tested
    ring.promote(force=True)
    return ring


@pytest.fixture
def jwks_server(ring: KeyRing) -> Iterator[RunningServer]:
    """The ring's JWKS at the well-known path, served as the adapters serve it."""

    def route(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.path != JWKS_PATH:
            return 404, {}, b""
        headers = {"Content-Type": JWKS_CONTENT_TYPE, "Cache-Control": JWKS_CACHE_CONTROL}
        return 200, headers, json.dumps(ring.public_jwks()).encode()

    with serve(route) as server:
        yield server


def node_verify(node: RunNode, server: RunningServer, token: str) -> tuple[int, str]:
    """Node's verdict on ``token``: (exit code, stdout); any other exit is a broken harness."""
    result = node("verify", server.url + JWKS_PATH, ISSUER, AUDIENCE, stdin=token)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, result.stdout.strip()


def test_node_verifies_our_passport_with_the_published_jwks(
    node: RunNode, ring: KeyRing, jwks_server: RunningServer
) -> None:
    minter = Minter(ring, issuer=ISSUER)
    token = minter.mint("user-42", audience=AUDIENCE, roles=["admin"], tenant="acme")

    code, output = node_verify(node, jwks_server, token)

    assert code == 0, output
    payload = json.loads(output)
    ours = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE).verify(token)
    assert payload["sub"] == ours.subject == "user-42"
    assert payload["jti"] == ours.jti
    assert payload["roles"] == ["admin"]
    assert payload["tenant"] == "acme"
    assert [path for path, _ in jwks_server.requests] == [JWKS_PATH]


def test_node_verifies_a_passport_of_the_retiring_key(
    node: RunNode, ring: KeyRing, jwks_server: RunningServer
) -> None:
    (retiring,) = ring.retiring
    token = Minter(KeyRing(retiring), issuer=ISSUER).mint("user-7", audience=AUDIENCE)

    code, output = node_verify(node, jwks_server, token)

    assert code == 0, output
    assert json.loads(output)["sub"] == "user-7"


def test_node_refuses_a_tampered_passport(
    node: RunNode, ring: KeyRing, jwks_server: RunningServer
) -> None:
    token = Minter(ring, issuer=ISSUER).mint("user-42", audience=AUDIENCE)
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode_padded(payload))
    claims["sub"] = "admin"
    tampered = f"{header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"

    code, output = node_verify(node, jwks_server, tampered)

    assert code == 1
    assert output == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


def b64url_decode_padded(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def node_sign(node: RunNode, alg: str, typ: str) -> tuple[str, dict[str, Any]]:
    """A token node signs with a key pair it generates, and that key's public JWK."""
    spec = {
        "alg": alg,
        "kid": f"node-{alg}",
        "typ": typ,
        "ttl": 300,
        "claims": {"iss": ISSUER, "sub": "node-user", "aud": AUDIENCE, "jti": "node-jti"},
    }
    result = node("sign", json.dumps(spec))
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)
    return signed["token"], signed["jwk"]


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519", "ES256"])
def test_a_token_node_signs_verifies_here(node: RunNode, alg: str) -> None:
    token, jwk = node_sign(node, alg, "passport+jwt")
    key = load_key(jwk)
    assert (key.kid, key.alg, key.is_private) == (f"node-{alg}", alg, False)

    passport = Verifier(keys=[key], issuer=ISSUER, audience=AUDIENCE).verify(token)

    assert passport.subject == "node-user"
    assert passport.jti == "node-jti"
    assert passport.token == token


def test_a_token_node_types_jwt_is_refused_by_default(node: RunNode) -> None:
    token, jwk = node_sign(node, "EdDSA", "JWT")
    keys = [load_key(jwk)]

    with pytest.raises(PassportError) as info:
        Verifier(keys=keys, issuer=ISSUER, audience=AUDIENCE).verify(token)

    assert type(info.value) is InvalidType
    relaxed = Verifier(keys=keys, issuer=ISSUER, audience=AUDIENCE, typ=None)
    assert relaxed.verify(token).subject == "node-user"


# -- Transaction Tokens (draft-ietf-oauth-transaction-tokens-10) with another implementation --

TRUST_DOMAIN = "trust-domain.example"
#: the draft's REQUIRED claims, which node's jwtVerify is told to require too
TXN_REQUIRED = "iat,aud,exp,txn,sub,scope,req_wl"


def test_node_verifies_our_txn_token_as_the_draft_describes(
    node: RunNode, ring: KeyRing, jwks_server: RunningServer
) -> None:
    preset = TransactionTokens(TRUST_DOMAIN, issuer=ISSUER)
    token = preset.minter(ring).mint(
        "d084sdrt234fsaw34tr23t",
        scope="trade.stocks",
        requesting_workload="apigateway.trust-domain.example",
        transaction_context={"action": "BUY", "ticker": "MSFT"},
        request_context={"req_ip": "192.0.2.7", "authn": "face"},
    )
    url = jwks_server.url + JWKS_PATH

    result = node("verify", url, ISSUER, TRUST_DOMAIN, TXN_TOKEN_TYPE, TXN_REQUIRED, stdin=token)

    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["sub"] == "d084sdrt234fsaw34tr23t"
    assert payload["aud"] == TRUST_DOMAIN
    assert payload["scope"] == "trade.stocks"
    assert payload["req_wl"] == "apigateway.trust-domain.example"
    assert payload["tctx"] == {"action": "BUY", "ticker": "MSFT"}
    assert payload["rctx"] == {"req_ip": "192.0.2.7", "authn": "face"}
    # ...and node, asked for a Txn-Token, refuses one of our passports (RFC 8725 §3.11)
    passport = Minter(ring, issuer=ISSUER).mint("user-1", audience=TRUST_DOMAIN)
    refused = node("verify", url, ISSUER, TRUST_DOMAIN, TXN_TOKEN_TYPE, stdin=passport)
    assert (refused.returncode, refused.stdout.strip()) == (1, "ERR_JWT_CLAIM_VALIDATION_FAILED")


def _node_txn_token(node: RunNode, alg: str, typ: str = TXN_TOKEN_TYPE) -> tuple[str, Key]:
    """A Txn-Token node signs with jose's SignJWT, shaped per the draft's example body."""
    spec = {
        "alg": alg,
        "kid": f"node-tts-{alg}",
        "typ": typ,
        "ttl": 60,
        "claims": {
            "iss": ISSUER,
            "aud": TRUST_DOMAIN,
            "txn": "97053963-771d-49cc-a4e3-20aad399c312",
            "sub": "d084sdrt234fsaw34tr23t",
            "req_wl": "apigateway.trust-domain.example",
            "scope": "trade.stocks",
            "rctx": {"req_ip": "69.151.72.123", "authn": "face"},
            "tctx": {"action": "BUY", "ticker": "MSFT", "customer_type": {"geo": "US"}},
        },
    }
    result = node("sign", json.dumps(spec))
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)
    return signed["token"], load_key(signed["jwk"])


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_a_txn_token_node_signs_verifies_here(node: RunNode, alg: str) -> None:
    token, key = _node_txn_token(node, alg)
    preset = TransactionTokens(TRUST_DOMAIN, issuer=ISSUER)

    passport = preset.verifier([key]).verify(token)

    assert passport.subject == "d084sdrt234fsaw34tr23t"
    assert passport.scopes == {"trade.stocks"}
    assert passport.claims["txn"] == "97053963-771d-49cc-a4e3-20aad399c312"
    assert passport.claims["tctx"]["customer_type"] == {"geo": "US"}
    assert passport.claims["rctx"]["authn"] == "face"
    assert passport.jti is None  # the draft requires none
    # a passport verifier refuses it: the same key, the wrong kind of token
    with pytest.raises(InvalidType):
        Verifier(keys=[key], issuer=ISSUER, audience=TRUST_DOMAIN).verify(token)


def test_a_node_token_typed_jwt_is_no_txn_token(node: RunNode) -> None:
    token, key = _node_txn_token(node, "EdDSA", typ="JWT")
    with pytest.raises(InvalidType):
        TransactionTokens(TRUST_DOMAIN, issuer=ISSUER).verifier([key]).verify(token)
