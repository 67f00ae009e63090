"""Per-audience encryption at the edge: an audience with ``encrypt_to`` gets a nested JWE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from joserfc.jwk import ECKey

from passport_core import (
    Audience,
    ConfigurationError,
    Decrypter,
    EdgeGate,
    EncryptedPassport,
    FunctionEnricher,
    KeyRing,
    PassportTooLarge,
    Verifier,
)
from passport_core.encryption import is_encrypted
from tests.core.edge.conftest import ISSUER, MakeEdge, ManualClock, Mint, with_key

PRIVATE = ECKey.generate_key("P-256", parameters={"kid": "billing-enc"}).as_dict(private=True)
PUBLIC: dict[str, Any] = {k: v for k, v in PRIVATE.items() if k != "d"}
DATA = FunctionEnricher(lambda identity: {"tenant": "acme", "salary": "secret"}, name="hr")


def test_only_the_encrypted_audience_gets_a_jwe(
    make_edge: MakeEdge,
    mint: Mint,
    edge_verifier: Callable[[str], Verifier],
    ring: KeyRing,
    edge_clock: ManualClock,
) -> None:
    edge = make_edge(enrichers=[DATA], audiences=["orders", Audience("billing", encrypt_to=PUBLIC)])

    orders = mint(edge, with_key()).token
    billing = mint(edge, with_key(), "billing").token
    assert not is_encrypted(orders)
    assert is_encrypted(billing)
    assert "secret" not in billing

    plain = edge_verifier("billing")
    with pytest.raises(EncryptedPassport):
        plain.verify(billing)
    opened = Verifier(
        keys=ring.public_jwks(),
        issuer=ISSUER,
        audience="billing",
        clock=edge_clock,
        decryption=Decrypter(PRIVATE),
    ).verify(billing)
    assert opened.claims["salary"] == "secret"
    assert opened.token == billing


def test_the_cache_serves_the_same_jwe(make_edge: MakeEdge, mint: Mint) -> None:
    edge = make_edge(audiences=[Audience("billing", encrypt_to=PUBLIC)])

    first = mint(edge, with_key())
    again = mint(edge, with_key())
    assert again.cached
    assert again.token == first.token


def test_the_size_budget_holds_for_the_jwe(make_edge: MakeEdge, mint: Mint) -> None:
    big = FunctionEnricher(lambda identity: {"profile": {"bio": "x" * 4000}}, name="bio")
    plain = make_edge(enrichers=[big], audiences=["billing"], max_passport_bytes=7000)
    assert len(mint(plain, with_key()).token) <= 7000
    edge = make_edge(
        enrichers=[big],
        audiences=[Audience("billing", encrypt_to=PUBLIC)],
        max_passport_bytes=7000,
    )
    with pytest.raises(PassportTooLarge):
        mint(edge, with_key())


def test_an_edge_gate_refuses_an_encrypted_audience(make_edge: MakeEdge) -> None:
    edge = make_edge(audiences=[Audience("billing", encrypt_to=PUBLIC), "orders"])

    with pytest.raises(ConfigurationError):
        EdgeGate(edge)
    assert EdgeGate(edge, audience="orders").audience == "orders"
