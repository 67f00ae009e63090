"""The Txn-Token Service as deployed: ``passport sts`` with only ``[txn_tokens]`` (a TTS, no
passport audiences), its own process on 127.0.0.1, asked over HTTP by ``TxnTokenClient``.

What it issues is checked by the library's own ``TransactionTokens`` verifier and by another
implementation: Node's ``jose`` (``tests/e2e/node/interop.mjs``) against the JWKS the service
publishes, requiring the draft's ``typ`` and REQUIRED claims.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from passport_core import (
    JWKS_PATH,
    ExchangeRefused,
    Key,
    Minter,
    Passport,
    TransactionTokens,
    TxnTokenClient,
    generate_key,
    load_jwks,
)
from passport_core.exchange import SELF_SIGNED_TOKEN_TYPE
from tests.conftest import require_component
from tests.sts_process import RunningSts, running_sts

pytestmark = pytest.mark.network

NODE_DIR = Path(__file__).resolve().parent / "node"
STS = "https://tts.trust-domain.test"
EDGE = "https://edge.trust-domain.test"
TRUST_DOMAIN = "trust-domain.test"
#: draft -10, "JWT Body Claims": the REQUIRED ones (iss too: this library always mints it)
REQUIRED = "iss,iat,aud,exp,txn,sub,scope,req_wl"

CONFIG = f"""
issuer = "{STS}"
ring = "sts-ring.json"

[trusted]
"{EDGE}" = {{ jwks = "edge-jwks.json" }}

[[clients]]
client_id = "gateway"
jwks = "gateway-jwks.json"

[[clients]]
client_id = "orders"
jwks = "orders-jwks.json"

[txn_tokens]
trust_domain = "{TRUST_DOMAIN}"
ttl = 60

[[txn_tokens.workloads]]
client_id = "gateway"
scopes = ["trade.stocks", "trade.view"]
subject_token_types = ["access_token", "self_signed"]

[[txn_tokens.workloads]]
client_id = "orders"
scopes = ["trade.view"]
subject_token_types = ["txn_token"]
"""


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {name: generate_key("ES256") for name in ("edge", "gateway", "orders")}


@pytest.fixture(scope="module")
def tts(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Key]) -> Iterator[RunningSts]:
    with running_sts(tmp_path_factory.mktemp("tts"), CONFIG, keys) as running:
        yield running
    # -10, "Logging": no token is logged verbatim (every JWT starts "eyJ", base64url of '{"')
    assert running.output, "the process said nothing"
    assert "eyJ" not in running.output[0]


def client(tts: RunningSts, keys: dict[str, Key], workload: str) -> TxnTokenClient:
    return TxnTokenClient(
        tts.token_endpoint,
        client_id=workload,
        client_key=keys[workload],
        trust_domain=TRUST_DOMAIN,
        assertion_audience=STS,
        allow_insecure=True,  # http to 127.0.0.1
        timeout=5,
    )


def verify(tts: RunningSts, token: str) -> Passport:
    # the keys as any workload gets them: the service's published JWKS
    jwks = load_jwks(httpx.get(tts.url + JWKS_PATH, timeout=5).text)
    return TransactionTokens(TRUST_DOMAIN, issuer=STS).verifier(jwks).verify(token)


def user_passport(keys: dict[str, Key]) -> str:
    edge = Minter(keys["edge"], issuer=EDGE)
    return edge.mint("user-42", audience="gateway", scopes=["trade.stocks", "trade.view"])


def test_a_workload_obtains_a_txn_token_and_a_replacement(
    tts: RunningSts, keys: dict[str, Key]
) -> None:
    passport = user_passport(keys)
    txn = client(tts, keys, "gateway").request(
        passport,
        scope="trade.stocks trade.view",
        request_context={"req_ip": "192.0.2.7", "authn": "face"},
        request_details={"action": "BUY", "ticker": "MSFT", "quantity": "100"},
    )
    issued = verify(tts, txn.token)
    assert issued.subject == "user-42"
    assert issued.scopes == {"trade.stocks", "trade.view"}
    assert issued.claims["req_wl"] == "gateway"
    assert issued.claims["tctx"] == {"action": "BUY", "ticker": "MSFT", "quantity": "100"}
    assert issued.claims["rctx"] == {"req_ip": "192.0.2.7", "authn": "face"}
    assert txn.scope == "trade.stocks trade.view"

    replacement = client(tts, keys, "orders").replace(txn.token, scope="trade.view")

    replaced = verify(tts, replacement.token)
    assert replaced.claims["txn"] == issued.claims["txn"]
    assert replaced.subject == issued.subject
    assert replaced.claims["tctx"] == issued.claims["tctx"]
    assert replaced.claims["req_wl"] == "gateway,orders"
    assert replaced.scopes == {"trade.view"}
    assert replaced.expires_at <= issued.expires_at


def test_a_scheduled_task_self_signs_its_subject(tts: RunningSts, keys: dict[str, Key]) -> None:
    gateway = client(tts, keys, "gateway")

    async def go() -> str:
        subject = gateway.self_signed("batch-user")
        issued = await gateway.arequest(
            subject, scope="trade.view", subject_token_type=SELF_SIGNED_TOKEN_TYPE
        )
        return issued.token

    token = asyncio.run(go())
    assert verify(tts, token).subject == "batch-user"


def test_a_refusal_carries_its_rfc_6749_error(tts: RunningSts, keys: dict[str, Key]) -> None:
    # orders may only replace a Txn-Token, not present a passport
    with pytest.raises(ExchangeRefused) as refused:
        client(tts, keys, "orders").request(user_passport(keys), scope="trade.view")
    assert refused.value.error == "unauthorized_client"
    # and a scope the subject does not grant
    edge = Minter(keys["edge"], issuer=EDGE)
    narrow = edge.mint("user-42", audience="gateway", scopes=["trade.view"])
    with pytest.raises(ExchangeRefused) as wider:
        client(tts, keys, "gateway").request(narrow, scope="trade.stocks")
    assert wider.value.error == "invalid_scope"


# -- another implementation: Node's jose ----------------------------------------------------


def test_node_verifies_a_txn_token_the_service_issued(
    tts: RunningSts, keys: dict[str, Key]
) -> None:
    require_component(shutil.which("node") is not None, "node (Node.js)")
    require_component(
        (NODE_DIR / "node_modules" / "jose").is_dir(),
        "the npm package jose in tests/e2e/node/node_modules (run: npm ci --prefix tests/e2e/node)",
    )
    txn = client(tts, keys, "gateway").request(
        user_passport(keys),
        scope="trade.stocks",
        request_details={"action": "BUY", "ticker": "MSFT"},
    )
    args = [tts.url + JWKS_PATH, STS, TRUST_DOMAIN, "txntoken+jwt", REQUIRED]

    result = subprocess.run(
        ["node", "interop.mjs", "verify", *args],
        cwd=NODE_DIR,
        input=txn.token,  # on stdin: never in a process list
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["sub"] == "user-42"
    assert payload["aud"] == TRUST_DOMAIN
    assert payload["scope"] == "trade.stocks"
    assert payload["req_wl"] == "gateway"
    assert payload["tctx"] == {"action": "BUY", "ticker": "MSFT"}
    # node told to expect a passport refuses it: the typ keeps the kinds apart
    as_passport = subprocess.run(
        ["node", "interop.mjs", "verify", tts.url + JWKS_PATH, STS, TRUST_DOMAIN],
        cwd=NODE_DIR,
        input=txn.token,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (as_passport.returncode, as_passport.stdout.strip()) == (
        1,
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    )
