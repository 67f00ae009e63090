"""Audience shaping: only the fields, profile members and claims an audience may see."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest

from passport_core import (
    Audience,
    CommonData,
    ConfigurationError,
    FunctionEnricher,
    Verifier,
    passport_budget,
)
from tests.core.edge.conftest import MakeEdge, Mint, with_key

FULL = CommonData(
    roles=frozenset({"staff"}),
    scopes=frozenset({"orders:read"}),
    permissions=frozenset({"orders.refund"}),
    tenant="acme",
    profile=MappingProxyType({"name": "Ada", "email": "ada@x.test", "phone": "123"}),
    claims=MappingProxyType({"team": "red", "cost_center": "42"}),
)


def test_by_default_an_audience_sees_everything() -> None:
    assert Audience("orders").shape(FULL) == FULL


@pytest.mark.parametrize(
    ("audience", "claims"),
    [
        (
            Audience("billing", fields={"tenant"}, claims={"cost_center"}),
            {"tenant": "acme", "cost_center": "42"},
        ),
        (
            Audience("mail", fields={"profile"}, profile={"email"}, claims=()),
            {"profile_data": {"email": "ada@x.test"}},
        ),
        (
            Audience("audit", fields={"roles", "permissions"}, claims=()),
            {"roles": ["staff"], "permissions": ["orders.refund"]},
        ),
        (
            Audience("ui", profile={"name", "nickname"}, fields={"profile", "scopes"}),
            {
                "scope": "orders:read",
                "profile_data": {"name": "Ada"},
                "team": "red",
                "cost_center": "42",
            },
        ),
    ],
)
def test_only_what_an_audience_may_see_is_kept(audience: Audience, claims: dict[str, Any]) -> None:
    assert audience.shape(FULL).as_claims() == claims


def test_shaping_reaches_the_passport(
    make_edge: MakeEdge, mint: Mint, edge_verifier: Callable[[str], Verifier]
) -> None:
    data = FunctionEnricher(
        lambda identity: {
            "roles": ["staff"],
            "tenant": "acme",
            "profile": {"name": "Ada", "email": "ada@x.test"},
            "team": "red",
        },
        name="directory",
    )
    edge = make_edge(
        enrichers=[data],
        audiences=["orders", Audience("billing", fields={"tenant"}, claims=())],
    )
    orders = edge_verifier("orders").verify(mint(edge, with_key()).token)
    assert orders.roles == {"staff"}
    assert orders.profile == {"name": "Ada", "email": "ada@x.test"}
    billing = edge_verifier("billing").verify(mint(edge, with_key(), "billing").token)
    assert billing.tenant == "acme"
    assert billing.roles == frozenset()
    assert billing.profile == {}
    assert "team" not in billing.claims
    assert "profile_data" not in billing.claims


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fields": {"roles", "groups"}}, "unknown common-data fields groups"),
        ({"fields": "roles"}, "not one string"),
        ({"profile": "email"}, "not one string"),
        ({"claims": "team"}, "not one string"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": -5}, "ttl"),
        ({"ttl": float("inf")}, "ttl"),
        ({"ttl": True}, "ttl"),
    ],
)
def test_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Audience("orders", **options)


def test_an_audience_needs_a_name() -> None:
    with pytest.raises(ConfigurationError, match="name"):
        Audience("")


@pytest.mark.parametrize(
    ("header", "line"),
    [("X-Passport", "X-Passport: "), ("Authorization", "Authorization: Bearer ")],
)
def test_the_budget_fits_one_header_line_of_default_proxies(header: str, line: str) -> None:
    # gunicorn's limit_request_field_size is 8190 for "Name: value"; a passport forwarded in
    # Authorization carries its "Bearer " scheme on that line too (audit gap 6).
    assert len(line) + passport_budget(header) == 8190
    assert passport_budget("Authorization", bearer=True) == 8190 - len("Authorization: Bearer ")
    with pytest.raises(ConfigurationError, match="Authorization"):
        passport_budget("X-Passport", bearer=True)
