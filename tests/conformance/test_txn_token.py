"""Transaction Tokens: every adapter, configured with the preset, accepts Txn-Tokens alike.

The service is set up with :data:`~tests.conformance.apps.TXN_SETTINGS`
(``TransactionTokens.settings``: the preset's verifier and the ``Txn-Token``
header), and with the plain ``header``/``typ`` settings;
draft-ietf-oauth-transaction-tokens-10 says the token travels in that
header, never ``Authorization``, and is forwarded unmodified.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance.apps import AUDIENCE, ISSUER, RING, TRUST_DOMAIN, TXN, TXN_SETTINGS
from tests.conformance.conftest import Headers, Send, serving
from tests.conformance.test_conformance import MINTER
from tests.servers import RunningServer

TXN_MINTER = TXN.minter(RING)
#: the same with the plain settings every adapter already has: they accept the draft's
#: header and typ, but do not require its claims (txn, scope, req_wl), as the preset does
PLAIN_TXN_SETTINGS = {
    "issuer": ISSUER,
    "audience": TRUST_DOMAIN,
    "jwks": RING.public_jwks(),
    "header": "Txn-Token",
    "typ": "txntoken+jwt",
    "allowed_hosts": ["127.0.0.1"],
}


@pytest.fixture(params=["preset", "plain settings"])
def send_txn(adapter: str, request: pytest.FixtureRequest) -> Iterator[Send]:
    settings = TXN_SETTINGS if request.param == "preset" else PLAIN_TXN_SETTINGS
    with serving(adapter, settings) as sender:
        yield sender


def _txn_token(subject: str = "user-1") -> str:
    return TXN_MINTER.mint(
        subject,
        scope="orders.read",
        requesting_workload="gateway.trust-domain.test",
        transaction_context={"order": "o-1"},
        request_context={"req_ip": "192.0.2.7"},
    )


def _in_header(token: str) -> Headers:
    return [("Txn-Token", token)]


def test_a_txn_token_in_its_header_is_accepted(send_txn: Send) -> None:
    answer = send_txn("/required", _in_header(_txn_token()))
    assert (answer.status, answer.json()) == (200, {"subject": "user-1"})


def test_a_passport_in_the_txn_token_header_is_refused_by_its_typ(send_txn: Send) -> None:
    # RFC 8725 §3.11: signed by the same keys, for the same audience, still not a Txn-Token
    passport = MINTER.mint("user-1", audience=TRUST_DOMAIN, claims={"txn": "t", "req_wl": "w"})
    answer = send_txn("/required", _in_header(passport))
    assert answer.status == 401
    assert answer.json()["code"] == "invalid_typ"


@pytest.mark.parametrize(
    "headers",
    [[("Authorization", "Bearer {token}")], [("X-Passport", "{token}")]],
    ids=["authorization", "x-passport"],
)
def test_a_txn_token_anywhere_else_is_not_read(send_txn: Send, headers: Headers) -> None:
    token = _txn_token()
    answer = send_txn("/required", [(name, value.format(token=token)) for name, value in headers])
    assert answer.status == 401
    assert answer.json()["code"] == "missing_token"


def test_only_the_preset_requires_the_drafts_claims(adapter: str) -> None:
    bare = TXN_MINTER.minter.mint("user-1", audience=TRUST_DOMAIN)  # typ right, no txn/req_wl
    with serving(adapter, TXN_SETTINGS) as send:
        answer = send("/required", _in_header(bare))
        assert (answer.status, answer.json()["code"]) == (401, "missing_claim")
    with serving(adapter, PLAIN_TXN_SETTINGS) as send:
        assert send("/required", _in_header(bare)).status == 200


def test_a_txn_token_is_not_a_passport_for_a_passport_service(send: Send) -> None:
    token = TXN.minter(RING).minter.mint("user-1", audience=AUDIENCE)  # typ txntoken+jwt
    answer = send("/required", [("X-Passport", token)])
    assert answer.status == 401
    assert answer.json()["code"] == "invalid_typ"


def test_the_txn_token_is_forwarded_unmodified(send_txn: Send, echo: RunningServer) -> None:
    token = _txn_token("user-2")
    answer = send_txn(f"/forward?url={echo.url}/x", _in_header(token))
    assert answer.status == 200
    assert answer.json()["txn-token"] == token
    assert "authorization" not in answer.json()


def test_a_txn_token_of_the_wrong_shape_is_refused_every_time(adapter: str) -> None:
    # Signed, typed and addressed right, every claim present, but an empty txn and a
    # number for req_wl: the preset refuses it, also once its signature is in the cache.
    odd = TXN_MINTER.minter.mint(
        "user-1", audience=TRUST_DOMAIN, scopes=["orders.read"], claims={"txn": "", "req_wl": 7}
    )
    with serving(adapter, TXN_SETTINGS) as send:
        for _ in range(3):
            answer = send("/required", _in_header(odd))
            assert (answer.status, answer.json()["code"]) == (401, "invalid_claim")
