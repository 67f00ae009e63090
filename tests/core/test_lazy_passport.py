"""A verified passport computes its times, sets and read-only claims on first read.

What a user relies on: each such field has the value and type an eager build gives,
is computed once (the same object on every read, from any thread), and the passport
stays immutable before and after.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import pytest

from passport_core import Actor, Minter, Passport, Verifier
from passport_core.passport import carries
from passport_core.token.frozen import FrozenDict, FrozenList
from tests.core.conftest import AUDIENCE, ISSUER, NOW

#: the fields a verified passport leaves empty until they are read
LAZY = (
    "issued_at",
    "expires_at",
    "not_before",
    "auth_time",
    "roles",
    "scopes",
    "permissions",
    "auth_methods",
    "claims",
    "profile",
    "actor",
)


@pytest.fixture
def token(minter: Minter) -> str:
    return minter.mint(
        "alice",
        audience=[AUDIENCE, "billing"],
        ttl=120,
        roles=["staff", "admin"],
        scopes=["orders:read", "orders:write"],
        permissions=["orders.refund"],
        tenant="acme",
        profile={"name": "Alice", "teams": ["a", {"id": 7}]},
        actor={"sub": "gateway", "act": {"sub": "edge"}},
        auth_methods=["pwd", "otp"],
        auth_context="urn:acr:mfa",
        auth_time=int(NOW) - 60,
        claims={"department": "sales"},
        cnf={"jkt": "x" * 43},
        jti="jti-42",
    )


@pytest.fixture
def fresh(verifier: Verifier, token: str) -> Callable[[], Passport]:
    """A passport nobody has read yet, each call (the cache would share one)."""
    verifier.cache.clear()
    return lambda: Verifier(
        keys=verifier.issuers[ISSUER].keys, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW
    ).verify(token)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def test_every_lazy_field_has_the_value_and_type_of_an_eager_build(
    fresh: Callable[[], Passport],
) -> None:
    passport = fresh()
    expected: dict[str, Any] = {
        "issued_at": _at(NOW),
        "expires_at": _at(NOW + 120),
        "not_before": _at(NOW),
        "auth_time": _at(int(NOW) - 60),
        "roles": frozenset({"staff", "admin"}),
        "scopes": frozenset({"orders:read", "orders:write"}),
        "permissions": frozenset({"orders.refund"}),
        "auth_methods": frozenset({"pwd", "otp"}),
        "profile": {"name": "Alice", "teams": ["a", {"id": 7}]},
    }
    for name, value in expected.items():
        got = getattr(passport, name)
        assert got == value, name
        assert type(got) is (MappingProxyType if name == "profile" else type(value)), name
    assert passport.expires_at.tzinfo is timezone.utc
    assert type(passport.claims) is MappingProxyType
    assert type(passport.claims["roles"]) is FrozenList
    assert type(passport.profile["teams"][1]) is FrozenDict
    assert passport.actor == (
        Actor("gateway", None, MappingProxyType({"sub": "gateway", "act": {"sub": "edge"}})),
        Actor("edge", None, MappingProxyType({"sub": "edge"})),
    )
    # the same passport built eagerly, field by field, is equal to it
    eager = Passport(**{f.name: getattr(passport, f.name) for f in dataclasses.fields(Passport)})
    assert eager == passport
    assert repr(eager) == repr(passport)


def test_an_unread_passport_equals_a_read_one(fresh: Callable[[], Passport]) -> None:
    read = fresh()
    for name in LAZY:
        getattr(read, name)
    assert fresh() == read
    assert repr(fresh()) == repr(read)
    assert copy.copy(fresh()) == read


@pytest.mark.parametrize("name", LAZY)
def test_a_lazy_field_is_computed_once(fresh: Callable[[], Passport], name: str) -> None:
    passport = fresh()
    first = getattr(passport, name)
    assert getattr(passport, name) is first
    if name in {"profile", "actor"}:  # built from the read-only claims: those are shared
        assert passport.claims is passport.claims


@pytest.mark.parametrize("name", LAZY)
def test_a_lazy_field_cannot_be_set_or_deleted_before_or_after_its_read(
    fresh: Callable[[], Passport], name: str
) -> None:
    passport = fresh()
    for _ in range(2):  # unread, then read
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(passport, name, "changed")
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(passport, name)
        assert getattr(passport, name) != "changed"


def test_threads_reading_an_unread_passport_see_one_object_per_field(
    fresh: Callable[[], Passport],
) -> None:
    for _ in range(20):
        passport = fresh()
        seen: list[tuple[int, ...]] = []
        start = threading.Barrier(8)

        def read(
            passport: Passport = passport,
            start: threading.Barrier = start,
            seen: list[tuple[int, ...]] = seen,
        ) -> None:
            start.wait()
            seen.append(tuple(id(getattr(passport, name)) for name in LAZY))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(seen) == 8
        assert len(set(seen)) == 1


def test_claims_are_read_only_from_their_first_read(fresh: Callable[[], Passport]) -> None:
    passport = fresh()
    assert passport.roles == {"staff", "admin"}  # a set read first: claims still unread
    with pytest.raises(TypeError, match="read-only"):
        passport.claims["roles"].append("root")
    with pytest.raises(TypeError):
        passport.claims["new"] = 1  # type: ignore[index]
    assert passport.claims["roles"] == ["staff", "admin"]
    assert passport.roles == {"staff", "admin"}


def test_carries_answers_as_the_claims_do(fresh: Callable[[], Passport]) -> None:
    passport = fresh()
    assert carries(passport, "cnf")
    assert not carries(passport, "txn")
    assert ("cnf" in passport.claims, "txn" in passport.claims) == (True, False)
    built = Passport(**{f.name: getattr(passport, f.name) for f in dataclasses.fields(Passport)})
    assert carries(built, "cnf")
    assert not carries(built, "txn")


def test_an_unknown_attribute_is_still_an_attribute_error(fresh: Callable[[], Passport]) -> None:
    passport = fresh()
    with pytest.raises(AttributeError, match="'Passport' object has no attribute 'rolez'"):
        passport.rolez  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(passport, "rolez")
    assert getattr(passport, "rolez", None) is None


def test_from_claims_of_any_mapping_is_lazy_too() -> None:
    claims = {"iss": ISSUER, "sub": "s", "aud": "a", "exp": int(NOW), "roles": ["r"]}
    passport = Passport.from_claims(MappingProxyType(claims), "t")
    assert passport.roles == {"r"}
    assert passport.expires_at == _at(int(NOW))
    assert passport.claims == claims
    assert type(passport.claims["roles"]) is FrozenList
    assert type(claims["roles"]) is list  # the caller's own mapping is left alone
