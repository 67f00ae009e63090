"""The Passport: typed fields from verified claims, actor chain, helpers, immutability."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from types import MappingProxyType

import pytest

from passport_core import Actor, KeyRing, Minter, Passport, Verifier, fingerprint
from tests.core.conftest import AUDIENCE, ISSUER, NOW

PassportFor = Callable[..., Passport]


@pytest.fixture
def full(passport_for: PassportFor) -> Passport:
    return passport_for(
        "alice",
        audience=[AUDIENCE, "billing"],
        ttl=120,
        roles=["staff", "admin"],
        scopes=["orders:read", "orders:write"],
        permissions=["orders.refund"],
        tenant="acme",
        profile={"name": "Alice", "address": {"city": "Paris"}},
        actor={"sub": "gateway", "iss": "https://gw.test", "act": {"sub": "edge", "x": 1}},
        claims={"department": "sales"},
        jti="jti-42",
    )


def test_fields_come_from_the_claims(full: Passport, ring: KeyRing) -> None:
    ring_kid = ring.active.kid
    at = datetime.fromtimestamp(NOW, tz=timezone.utc)
    assert full.subject == "alice"
    assert full.issuer == ISSUER
    assert full.audience == (AUDIENCE, "billing")
    assert full.issued_at == at
    assert full.not_before == at
    assert full.expires_at == datetime.fromtimestamp(NOW + 120, tz=timezone.utc)
    assert full.expires_at.tzinfo is timezone.utc
    assert full.jti == "jti-42"
    assert full.roles == frozenset({"staff", "admin"})
    assert full.scopes == frozenset({"orders:read", "orders:write"})
    assert full.permissions == frozenset({"orders.refund"})
    assert full.tenant == "acme"
    assert full.profile == {"name": "Alice", "address": {"city": "Paris"}}
    assert full.claims["department"] == "sales"
    assert full.claims["scope"] == "orders:read orders:write"
    assert full.header == {"alg": "EdDSA", "typ": "passport+jwt", "kid": ring_kid}
    assert full.kid == ring_kid


def test_a_minimal_passport_has_empty_defaults(passport_for: PassportFor) -> None:
    passport = passport_for("bob")
    assert passport.audience == (AUDIENCE,)
    assert passport.roles == passport.scopes == passport.permissions == frozenset()
    assert passport.tenant is None
    assert passport.profile == {}
    assert passport.actor == ()
    assert passport.jti is not None


def test_from_claims_without_optional_times() -> None:
    claims = {"iss": ISSUER, "sub": "s", "aud": "a", "exp": int(NOW)}
    passport = Passport.from_claims(claims, token="t")
    assert (passport.issued_at, passport.not_before, passport.jti) == (None, None, None)
    assert passport.kid is None
    assert passport.header == {}


def test_actor_chain_outermost_first(full: Passport) -> None:
    assert [(a.subject, a.issuer) for a in full.actor] == [
        ("gateway", "https://gw.test"),
        ("edge", None),
    ]
    assert all(isinstance(a, Actor) for a in full.actor)
    assert full.actor[1].claims == {"sub": "edge", "x": 1}
    assert full.actor[0].claims["act"] == {"sub": "edge", "x": 1}


def test_a_deep_actor_chain(passport_for: PassportFor) -> None:
    act: dict[str, object] = {"sub": "svc-5"}
    for n in range(4, 0, -1):
        act = {"sub": f"svc-{n}", "act": act}
    passport = passport_for("alice", actor=act)
    assert [a.subject for a in passport.actor] == [f"svc-{n}" for n in range(1, 6)]


def test_has_role_has_scope_can(full: Passport) -> None:
    assert full.has_role("admin")
    assert not full.has_role("root")
    assert full.has_scope("orders:write")
    assert not full.has_scope("orders")
    # The space-separated scope string is split, not searched as a substring.
    assert not full.has_scope("orders:read orders:write")
    assert not full.has_scope("read")
    assert full.can("orders.refund")
    assert not full.can("orders.cancel")
    assert not full.can("admin")


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Passport)])
def test_passport_is_frozen(field: str, full: Passport) -> None:
    with pytest.raises(AttributeError):
        setattr(full, field, "changed")
    with pytest.raises(AttributeError):
        delattr(full, field)


def test_mappings_are_read_only(full: Passport) -> None:
    for mapping in (full.claims, full.profile, full.header, full.actor[0].claims):
        assert isinstance(mapping, MappingProxyType)
        with pytest.raises(TypeError):
            mapping["new"] = 1  # type: ignore[index]
    assert isinstance(full.roles, frozenset)
    assert isinstance(full.audience, tuple)
    assert isinstance(full.actor, tuple)


def test_actor_is_frozen(full: Passport) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.actor[0].subject = "mallory"  # type: ignore[misc]


def test_repr_and_str_never_contain_the_token(full: Passport) -> None:
    header, payload, signature = full.token.split(".")
    for text in (repr(full), str(full), repr(full.actor)):
        assert full.token not in text
        assert header not in text
        assert payload not in text
        assert signature not in text
    assert repr(full).startswith("Passport(subject='alice', issuer='https://edge.test'")


def test_token_is_the_raw_compact_jws_to_forward(minter: Minter, verifier: Verifier) -> None:
    token = minter.mint("alice", audience=AUDIENCE)
    passport = verifier.verify(token)
    assert passport.token == token
    assert verifier.verify(passport.token) == passport


def test_fingerprint_is_a_short_sha256_of_the_token(full: Passport) -> None:
    expected = hashlib.sha256(full.token.encode("ascii")).hexdigest()[:12]
    assert full.fingerprint == expected
    assert fingerprint(full.token) == fingerprint(full.token.encode("ascii")) == expected
    assert full.fingerprint not in full.token


def test_fingerprints_differ_per_token(passport_for: PassportFor) -> None:
    prints = {passport_for("alice").fingerprint for _ in range(20)}
    assert len(prints) == 20


def test_equal_claims_make_equal_passports() -> None:
    claims = {"iss": ISSUER, "sub": "s", "aud": "a", "exp": int(NOW)}
    assert Passport.from_claims(claims, "t") == Passport.from_claims(dict(claims), "t")
    assert Passport.from_claims(claims, "t") != Passport.from_claims(claims, "u")


def test_from_claims_fills_every_field(full: Passport) -> None:
    """from_claims fills the slots itself: a field added to Passport must be set there too."""
    for field in dataclasses.fields(Passport):
        getattr(full, field.name)  # an unset slot raises AttributeError
    rebuilt = Passport(**{f.name: getattr(full, f.name) for f in dataclasses.fields(Passport)})
    assert rebuilt == full
