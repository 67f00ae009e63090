"""The Transaction Tokens preset: the draft's shape minted, only that shape accepted."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    TXN_TOKEN_CLAIMS,
    TXN_TOKEN_HEADER,
    TXN_TOKEN_TYPE,
    ConfigurationError,
    InvalidAudience,
    InvalidClaim,
    InvalidType,
    KeyRing,
    Minter,
    MintingError,
    MissingClaim,
    PassportError,
    TokenLocation,
    TransactionTokenMinter,
    TransactionTokens,
    Verifier,
    extract_token,
)
from passport_core.token.encoding import b64url_decode
from tests.core.conftest import ISSUER, NOW, forge_token, good_header

TRUST_DOMAIN = "trust-domain.example"
TCTX = {"action": "BUY", "ticker": "MSFT", "quantity": "100", "customer_type": {"geo": "US"}}
RCTX = {"req_ip": "192.0.2.7", "authn": "face"}


@pytest.fixture
def preset() -> TransactionTokens:
    return TransactionTokens(TRUST_DOMAIN, issuer=ISSUER)


@pytest.fixture
def txn_minter(
    preset: TransactionTokens, ring: KeyRing, clock: Callable[[], float]
) -> TransactionTokenMinter:
    return preset.minter(ring, clock=clock)


@pytest.fixture
def txn_verifier(preset: TransactionTokens, ring: KeyRing, clock: Callable[[], float]) -> Verifier:
    return preset.verifier(ring.public_jwks(), clock=clock)


def _mint(txn_minter: TransactionTokenMinter, **overrides: Any) -> str:
    options: dict[str, Any] = {
        "scope": "trade.stocks",
        "requesting_workload": "apigateway.trust-domain.example",
        "txn": "97053963-771d-49cc-a4e3-20aad399c312",
        "transaction_context": TCTX,
        "request_context": RCTX,
    }
    options.update(overrides)
    return txn_minter.mint("d084sdrt234fsaw34tr23t", **options)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def test_a_minted_txn_token_has_the_drafts_header_and_claims(
    txn_minter: TransactionTokenMinter, ring: KeyRing
) -> None:
    header, claims = _parts(_mint(txn_minter))
    assert header == {"alg": "EdDSA", "typ": "txntoken+jwt", "kid": ring.active.kid}
    assert claims["aud"] == TRUST_DOMAIN
    assert claims["txn"] == "97053963-771d-49cc-a4e3-20aad399c312"
    assert claims["sub"] == "d084sdrt234fsaw34tr23t"
    assert claims["scope"] == "trade.stocks"
    assert claims["req_wl"] == "apigateway.trust-domain.example"
    assert claims["tctx"] == TCTX
    assert claims["rctx"] == RCTX
    assert claims["iat"] == int(NOW)
    assert claims["exp"] == int(NOW) + 60  # short by default
    # draft -10 "JWT Body Claims": every REQUIRED claim (and iss, which we always set)
    assert {"iss", "iat", "aud", "exp", "txn", "sub", "scope", "req_wl"} == TXN_TOKEN_CLAIMS
    assert claims.keys() >= TXN_TOKEN_CLAIMS


def test_a_txn_token_verifies_into_a_passport(
    txn_minter: TransactionTokenMinter, txn_verifier: Verifier
) -> None:
    token = _mint(txn_minter, scope=["trade.stocks", "trade.read"])
    passport = txn_verifier.verify(token)
    assert passport.subject == "d084sdrt234fsaw34tr23t"
    assert passport.audience == (TRUST_DOMAIN,)
    assert passport.scopes == {"trade.stocks", "trade.read"}
    assert passport.header["typ"] == TXN_TOKEN_TYPE
    assert passport.claims["tctx"] == TCTX
    assert passport.claims["rctx"]["req_ip"] == "192.0.2.7"
    assert passport.token == token
    assert asyncio.run(txn_verifier.averify(token)).claims["txn"] == passport.claims["txn"]


def test_each_txn_token_gets_its_own_transaction_id(txn_minter: TransactionTokenMinter) -> None:
    first = _parts(_mint(txn_minter, txn=None))[1]["txn"]
    second = _parts(_mint(txn_minter, txn=None))[1]["txn"]
    assert first != second
    assert uuid.UUID(first).version == 4


def test_a_passport_is_not_a_txn_token_and_a_txn_token_is_not_a_passport(
    minter: Minter, verifier: Verifier, txn_minter: TransactionTokenMinter, txn_verifier: Verifier
) -> None:
    # RFC 8725 §3.11: the same keys sign both; only the explicit typ tells them apart.
    passport = minter.mint("user-1", audience=TRUST_DOMAIN, claims={"txn": "t", "req_wl": "w"})
    with pytest.raises(InvalidType):
        txn_verifier.verify(passport)
    with pytest.raises(InvalidType):
        verifier.verify(_mint(txn_minter))


def test_a_txn_token_of_another_trust_domain_is_refused(
    ring: KeyRing, clock: Callable[[], float], txn_verifier: Verifier
) -> None:
    other = TransactionTokens("other-domain.example", issuer=ISSUER).minter(ring, clock=clock)
    with pytest.raises(InvalidAudience):
        txn_verifier.verify(_mint(other))


@pytest.mark.parametrize("missing", sorted(TXN_TOKEN_CLAIMS - {"iss", "sub", "aud", "exp"}))
def test_every_required_claim_of_the_draft_is_required(
    missing: str, ring: KeyRing, txn_verifier: Verifier
) -> None:
    claims = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": TRUST_DOMAIN,
        "iat": int(NOW),
        "exp": int(NOW) + 60,
        "txn": "t-1",
        "scope": "trade.stocks",
        "req_wl": "gateway",
    }
    del claims[missing]
    token = forge_token(good_header(ring.active, typ="txntoken+jwt"), claims, ring.active)
    with pytest.raises(MissingClaim):
        txn_verifier.verify(token)


@pytest.mark.parametrize(
    ("name", "value"),
    [("txn", 7), ("txn", ""), ("req_wl", ["gateway"]), ("tctx", "BUY"), ("rctx", ["192.0.2.7"])],
)
def test_the_drafts_claims_must_have_their_types(
    name: str, value: Any, ring: KeyRing, txn_verifier: Verifier
) -> None:
    claims = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": TRUST_DOMAIN,
        "iat": int(NOW),
        "exp": int(NOW) + 60,
        "txn": "t-1",
        "scope": "trade.stocks",
        "req_wl": "gateway",
        name: value,
    }
    token = forge_token(good_header(ring.active, typ="txntoken+jwt"), claims, ring.active)
    for _ in range(2):  # the second answer may come from the verified-token cache
        with pytest.raises(InvalidClaim) as caught:
            txn_verifier.verify(token)
        assert caught.value.status == 401


def test_a_long_lived_txn_token_is_refused(
    ring: KeyRing, preset: TransactionTokens, clock: Callable[[], float]
) -> None:
    with pytest.raises(MintingError):
        _mint(preset.minter(ring, clock=clock), ttl=3600)
    long = Minter(ring, issuer=ISSUER, clock=clock, typ=TXN_TOKEN_TYPE, max_ttl=3600)
    token = TransactionTokenMinter(long, TRUST_DOMAIN).mint(
        "user-1", scope="s", requesting_workload="w", ttl=3600
    )
    with pytest.raises(PassportError) as caught:
        preset.verifier(ring.public_jwks(), clock=clock).verify(token)
    assert caught.value.code == "lifetime_too_long"


def test_the_txn_token_is_read_from_the_txn_token_header_only(
    preset: TransactionTokens,
) -> None:
    assert preset.location == TokenLocation(header="Txn-Token", bearer=False)
    headers = {"txn-token": ["t.o.k"], "authorization": ["Bearer other"]}
    assert extract_token(lambda name: headers.get(name.lower(), []), preset.location) == "t.o.k"
    assert TXN_TOKEN_HEADER == "Txn-Token"


@pytest.mark.parametrize(
    "mint",
    [
        lambda m: m.mint("u", scope="", requesting_workload="w"),
        lambda m: m.mint("u", scope=[], requesting_workload="w"),
        lambda m: m.mint("u", scope="s", requesting_workload=""),
        lambda m: m.mint("u", scope="s", requesting_workload="w", txn=""),
        lambda m: m.mint("u", scope="s", requesting_workload="w", transaction_context=["x"]),
        lambda m: m.mint("u", scope="s", requesting_workload="w", claims={"aud": "x"}),
        lambda m: m.mint("u", scope="s", requesting_workload="w", claims={"req_wl": "x"}),
        lambda m: m.mint("u", scope="s", requesting_workload="w", claims={"txn": "x"}),
    ],
)
def test_bad_txn_token_arguments_are_minting_errors(
    mint: Callable[[TransactionTokenMinter], str], txn_minter: TransactionTokenMinter
) -> None:
    with pytest.raises(MintingError):
        mint(txn_minter)


def test_the_preset_fixes_what_the_draft_fixes(preset: TransactionTokens, ring: KeyRing) -> None:
    for fixed in ("typ", "audience", "required_claims", "issuer"):
        with pytest.raises(ConfigurationError):
            preset.verifier(ring.public_jwks(), **{fixed: "x"})
    with pytest.raises(ConfigurationError):
        TransactionTokens("", issuer=ISSUER)
    with pytest.raises(ConfigurationError):
        TransactionTokenMinter(Minter(ring, issuer=ISSUER), TRUST_DOMAIN)  # a passport minter
    with pytest.raises(ConfigurationError):
        Minter(ring, issuer=ISSUER, typ="")


def test_a_minter_keeps_passport_typ_by_default(minter: Minter) -> None:
    assert _parts(minter.mint("user-1", audience="orders"))[0]["typ"] == "passport+jwt"
