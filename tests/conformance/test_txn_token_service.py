"""Txn-Tokens issued by the Txn-Token Service (``passport sts`` with ``[txn_tokens]``, a real
process) are accepted by every adapter set up with the ``TransactionTokens`` preset, the keys
fetched from the JWKS the service publishes; a replacement too, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from passport_core import (
    JWKS_PATH,
    Key,
    Minter,
    RemoteJWKS,
    TransactionTokens,
    TxnTokenClient,
    generate_key,
)
from tests.conformance.conftest import serving
from tests.sts_process import RunningSts, running_sts

STS = "https://tts.conformance.test"
EDGE = "https://edge.conformance.test"
TRUST_DOMAIN = "trust-domain.conformance.test"

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

[[txn_tokens.workloads]]
client_id = "gateway"
scopes = ["orders.read", "orders.write"]

[[txn_tokens.workloads]]
client_id = "orders"
scopes = ["orders.read"]
"""


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {name: generate_key("ES256") for name in ("edge", "gateway", "orders")}


@pytest.fixture(scope="module")
def tts(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Key]) -> Iterator[RunningSts]:
    with running_sts(tmp_path_factory.mktemp("tts"), CONFIG, keys) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(tts: RunningSts, keys: dict[str, Key]) -> dict[str, str]:
    """One Txn-Token from the gateway, and its replacement by orders."""

    def client(workload: str) -> TxnTokenClient:
        return TxnTokenClient(
            tts.token_endpoint,
            client_id=workload,
            client_key=keys[workload],
            trust_domain=TRUST_DOMAIN,
            assertion_audience=STS,
            allow_insecure=True,
        )

    passport = Minter(keys["edge"], issuer=EDGE).mint(
        "user-1", audience="gateway", scopes=["orders.read", "orders.write"]
    )
    issued = client("gateway").request(
        passport, scope="orders.read orders.write", request_details={"order": "o-1"}
    )
    replaced = client("orders").replace(issued.token, scope="orders.read")
    return {"issued": issued.token, "replaced": replaced.token, "passport": passport}


def settings(tts: RunningSts, trust_domain: str = TRUST_DOMAIN) -> dict[str, Any]:
    preset = TransactionTokens(trust_domain, issuer=STS)
    return {**preset.settings(RemoteJWKS(tts.url + JWKS_PATH)), "allowed_hosts": ["127.0.0.1"]}


@pytest.mark.parametrize("which", ["issued", "replaced"])
def test_every_adapter_accepts_what_the_service_issued(
    adapter: str, tts: RunningSts, tokens: dict[str, str], which: str
) -> None:
    with serving(adapter, settings(tts)) as send:
        answer = send("/required", [("Txn-Token", tokens[which])])
    assert (answer.status, answer.json()) == (200, {"subject": "user-1"})


def test_another_trust_domain_refuses_it(
    adapter: str, tts: RunningSts, tokens: dict[str, str]
) -> None:
    # -10, "JWT Body Claims": a Txn-Token MUST NOT be accepted outside its trust domain
    with serving(adapter, settings(tts, "other-domain.test")) as send:
        answer = send("/required", [("Txn-Token", tokens["issued"])])
    assert answer.status == 401
    assert answer.json()["code"] == "invalid_audience"


def test_the_subject_passport_is_no_txn_token(
    adapter: str, tts: RunningSts, tokens: dict[str, str]
) -> None:
    with serving(adapter, settings(tts)) as send:
        answer = send("/required", [("Txn-Token", tokens["passport"])])
    assert answer.status == 401
