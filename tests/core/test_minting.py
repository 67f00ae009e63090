"""Minting: the wire format of a passport, decoded by hand, and every refusal."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport_core import (
    ALGORITHMS,
    DEFAULT_TTL,
    ConfigurationError,
    InvalidKey,
    Key,
    KeyRing,
    Minter,
    MintingError,
    PassportTooLarge,
    Verifier,
)
from tests.core.conftest import AUDIENCE, ISSUER, NOW

KeyOfAlg = Callable[[str], Key]


def b64url_decode(segment: str) -> bytes:
    assert "=" not in segment
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Split and decode a compact JWS without the library."""
    header, payload, signature = token.split(".")
    return (
        json.loads(b64url_decode(header)),
        json.loads(b64url_decode(payload)),
        (b64url_decode(signature)),
    )


def test_header_is_typed_and_names_the_active_key(minter: Minter, ring: KeyRing) -> None:
    header, _, _ = decode(minter.mint("user-1", audience=AUDIENCE))
    assert header == {"alg": "EdDSA", "typ": "passport+jwt", "kid": ring.active.kid}


def test_registered_claims_with_default_lifetime(minter: Minter) -> None:
    _, payload, _ = decode(minter.mint("user-1", audience=AUDIENCE))
    assert DEFAULT_TTL == 300
    assert payload == {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 300,
        "jti": payload["jti"],
    }
    assert all(type(payload[name]) is int for name in ("iat", "nbf", "exp"))


def test_signature_verifies_with_the_raw_public_key(minter: Minter, ring: KeyRing) -> None:
    token = minter.mint("user-1", audience=AUDIENCE)
    _, _, signature = decode(token)
    public = serialization.load_pem_public_key(ring.active.to_pem())
    assert isinstance(public, Ed25519PublicKey)
    # Ed25519 verify raises on a bad signature; it returns None when the signature is good.
    public.verify(signature, token.rsplit(".", 1)[0].encode("ascii"))


def test_jti_is_random_and_unique(minter: Minter) -> None:
    jtis = {decode(minter.mint("user-1", audience=AUDIENCE))[1]["jti"] for _ in range(200)}
    assert len(jtis) == 200
    for jti in jtis:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", jti)


def test_an_explicit_jti_is_used(minter: Minter) -> None:
    assert decode(minter.mint("u", audience=AUDIENCE, jti="fixed-jti"))[1]["jti"] == "fixed-jti"


@pytest.mark.parametrize(
    ("audience", "on_the_wire"),
    [
        ("orders", "orders"),
        (["orders"], "orders"),
        (["orders", "orders"], "orders"),
        (["orders", "billing"], ["orders", "billing"]),
        (("c", "a", "b", "a"), ["c", "a", "b"]),
    ],
)
def test_audience_one_or_many(audience: Any, on_the_wire: Any, minter: Minter) -> None:
    # One audience is a string (RFC 7519 §4.1.3); several are a de-duplicated list, in order.
    assert decode(minter.mint("u", audience=audience))[1]["aud"] == on_the_wire


@pytest.mark.parametrize(("ttl", "lifetime"), [(1, 1), (0.5, 1), (59.2, 60), (3600, 3600)])
def test_ttl_sets_exp(ttl: float, lifetime: int, minter: Minter) -> None:
    _, payload, _ = decode(minter.mint("u", audience=AUDIENCE, ttl=ttl))
    assert payload["exp"] - payload["iat"] == lifetime


def test_default_ttl_is_configurable(ring: KeyRing, clock: Callable[[], float]) -> None:
    minter = Minter(ring, issuer=ISSUER, default_ttl=60, max_ttl=120, clock=clock)
    _, payload, _ = decode(minter.mint("u", audience=AUDIENCE))
    assert payload["exp"] == int(NOW) + 60
    with pytest.raises(MintingError, match="max_ttl"):
        minter.mint("u", audience=AUDIENCE, ttl=121)


def test_scope_is_one_space_separated_string_rfc8693(minter: Minter) -> None:
    _, payload, _ = decode(
        minter.mint("u", audience=AUDIENCE, scopes=["orders:write", "orders:read", "orders:read"])
    )
    assert payload["scope"] == "orders:write orders:read"


def test_common_data_claims(minter: Minter) -> None:
    _, payload, _ = decode(
        minter.mint(
            "user-1",
            audience=AUDIENCE,
            roles=["staff", "admin"],
            permissions={"orders.refund"},
            tenant="acme",
            profile={"name": "Zoë", "tags": ["a"], "nested": {"n": 1}},
            actor={"sub": "gateway", "act": {"sub": "edge"}},
            claims={"department": "sales", "level": 3},
        )
    )
    assert payload["roles"] == ["staff", "admin"]
    assert payload["permissions"] == ["orders.refund"]
    assert payload["tenant"] == "acme"
    assert payload["profile_data"] == {"name": "Zoë", "tags": ["a"], "nested": {"n": 1}}
    assert payload["act"] == {"sub": "gateway", "act": {"sub": "edge"}}
    assert (payload["department"], payload["level"]) == ("sales", 3)


def test_empty_collections_leave_the_claims_out(minter: Minter) -> None:
    _, payload, _ = decode(minter.mint("u", audience=AUDIENCE, roles=[], scopes=(), permissions=[]))
    assert not {"roles", "scope", "permissions", "tenant", "profile_data", "act"} & set(payload)


def test_non_ascii_payload_is_utf8_json(minter: Minter) -> None:
    token = minter.mint("usér-ß", audience=AUDIENCE, profile={"name": "日本"})
    raw = b64url_decode(token.split(".")[1])
    assert "usér-ß".encode() in raw
    assert json.loads(raw.decode("utf-8"))["profile_data"] == {"name": "日本"}


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_round_trip_for_every_algorithm(
    alg: str, key_of_alg: KeyOfAlg, clock: Callable[[], float]
) -> None:
    key = key_of_alg(alg)
    token = Minter(key, issuer=ISSUER, clock=clock).mint(
        "user-1", audience=AUDIENCE, roles=["admin"]
    )
    header, _, _ = decode(token)
    assert (header["alg"], header["kid"]) == (alg, key.kid)
    keys: Any = key if key.is_symmetric else key.public().to_jwk()
    if not key.is_symmetric:
        keys = {"keys": [keys]}
    verifier = Verifier(keys=keys, issuer=ISSUER, audience=AUDIENCE, clock=clock)
    passport = verifier.verify(token)
    assert (passport.subject, passport.roles, passport.kid) == ("user-1", {"admin"}, key.kid)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["", None, 42, b"user"])
def test_refuses_without_a_subject(subject: Any, minter: Minter) -> None:
    with pytest.raises(MintingError, match="subject"):
        minter.mint(subject, audience=AUDIENCE)


@pytest.mark.parametrize("audience", ["", [], (), [""], ["orders", ""], [None], [1], iter([])])
def test_refuses_an_empty_or_bad_audience(audience: Any, minter: Minter) -> None:
    with pytest.raises(MintingError, match="audience"):
        minter.mint("u", audience=audience)


@pytest.mark.parametrize("ttl", [0, -1, -0.001, float("nan"), float("inf"), float("-inf")])
def test_refuses_a_lifetime_that_is_not_positive_and_finite(ttl: float, minter: Minter) -> None:
    with pytest.raises(MintingError, match="positive lifetime"):
        minter.mint("u", audience=AUDIENCE, ttl=ttl)


@pytest.mark.parametrize("ttl", [3600.5, 3601, 86400, 1e300])
def test_refuses_a_lifetime_over_max_ttl(ttl: float, minter: Minter) -> None:
    with pytest.raises(MintingError, match="max_ttl"):
        minter.mint("u", audience=AUDIENCE, ttl=ttl)


@pytest.mark.parametrize("name", ["roles", "scopes", "permissions"])
@pytest.mark.parametrize("value", ["admin", b"admin"])
def test_refuses_a_bare_string_for_a_collection(name: str, value: Any, minter: Minter) -> None:
    with pytest.raises(MintingError, match="not one string"):
        minter.mint("u", audience=AUDIENCE, **{name: value})


@pytest.mark.parametrize("name", ["roles", "scopes", "permissions"])
@pytest.mark.parametrize("value", [[""], [1], [None], ["ok", ["nested"]]])
def test_refuses_collections_with_non_strings(name: str, value: Any, minter: Minter) -> None:
    with pytest.raises(MintingError, match="non-empty string"):
        minter.mint("u", audience=AUDIENCE, **{name: value})


@settings(
    max_examples=200,
    deadline=None,
    # the minter is read, never changed, by every example
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    values=st.lists(st.one_of(st.sampled_from(["admin", "staff", "", "ops"]), st.integers(0, 2))),
    as_tuple=st.booleans(),
)
def test_a_collection_is_de_duplicated_in_order_or_refused(
    values: list[Any], as_tuple: bool, minter: Minter
) -> None:
    """A list (the usual argument, checked on a short path) and any other iterable give the
    same claim: the distinct strings in the caller's order, or a refusal of a non-string or
    an empty one."""
    given_values: Any = tuple(values) if as_tuple else values
    if any(not isinstance(value, str) or not value for value in values):
        with pytest.raises(MintingError, match="non-empty string"):
            minter.mint("u", audience=AUDIENCE, roles=given_values)
        return
    payload = decode(minter.mint("u", audience=AUDIENCE, roles=given_values))[1]
    assert payload.get("roles") == (list(dict.fromkeys(values)) or None)
    assert given_values == (tuple(values) if as_tuple else values)  # the argument is left alone


def test_refuses_a_scope_with_a_space(minter: Minter) -> None:
    # "a b" would silently become two scopes on the wire.
    with pytest.raises(MintingError, match="space"):
        minter.mint("u", audience=AUDIENCE, scopes=["orders:read orders:write"])


@pytest.mark.parametrize("name", ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"])
def test_custom_claims_cannot_override_registered_ones(name: str, minter: Minter) -> None:
    with pytest.raises(MintingError, match="override"):
        minter.mint("u", audience=AUDIENCE, claims={name: "x", "fine": 1})


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": "admin"},
        {"roles": ["admin"]},
        {"scope": ["a"]},
        {"permissions": "p"},
        {"tenant": 5},
        {"profile_data": "not an object"},
        {"act": "someone"},
    ],
)
def test_custom_claims_cannot_bypass_the_checked_arguments(
    claims: dict[str, Any], minter: Minter
) -> None:
    # Otherwise the minter would sign passports its own verifier rejects.
    with pytest.raises(MintingError, match="override"):
        minter.mint("u", audience=AUDIENCE, claims=claims)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"claims": {"x": object()}},
        {"claims": {"x": {1, 2}}},
        {"claims": {"x": b"bytes"}},
        {"claims": {"x": float("nan")}},
        {"claims": {"x": float("inf")}},
        {"claims": {"x": "\ud800"}},
        {"profile": {"when": object()}},
        {"profile": {"x": float("-inf")}},
        {"actor": {"sub": "svc", "extra": object()}},
    ],
    ids=lambda kwargs: repr(kwargs)[:40],
)
def test_refuses_claims_that_are_not_json(kwargs: dict[str, Any], minter: Minter) -> None:
    with pytest.raises(MintingError, match="JSON"):
        minter.mint("u", audience=AUDIENCE, **kwargs)


def test_refuses_non_string_claim_names(minter: Minter) -> None:
    # {1: "x", "1": "y"} would serialise to a JSON object with a duplicate name.
    with pytest.raises(MintingError, match="names"):
        minter.mint("u", audience=AUDIENCE, claims={1: "x", "1": "y"})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tenant": ""},
        {"tenant": 5},
        {"profile": ["not", "a", "mapping"]},
        {"actor": {"iss": "no-sub"}},
        {"actor": {"sub": 5}},
        {"actor": "svc"},
    ],
    ids=repr,
)
def test_refuses_malformed_common_data(kwargs: dict[str, Any], minter: Minter) -> None:
    with pytest.raises(MintingError):
        minter.mint("u", audience=AUDIENCE, **kwargs)


def test_a_refused_mint_is_a_server_error_not_a_configuration_error(minter: Minter) -> None:
    # Raised per request at an edge: never under "raised when configured".
    with pytest.raises(MintingError) as excinfo:
        minter.mint("", audience=AUDIENCE)
    assert (excinfo.value.code, excinfo.value.status) == ("minting_error", 500)
    assert not isinstance(excinfo.value, ConfigurationError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"issuer": ""},
        {"issuer": None},
        {"issuer": ISSUER, "default_ttl": 0},
        {"issuer": ISSUER, "default_ttl": -5},
        {"issuer": ISSUER, "default_ttl": 7200},
        {"issuer": ISSUER, "default_ttl": float("nan")},
        {"issuer": ISSUER, "default_ttl": 600, "max_ttl": 300},
    ],
    ids=repr,
)
def test_minter_configuration_errors(kwargs: dict[str, Any], ring: KeyRing) -> None:
    with pytest.raises(ConfigurationError):
        Minter(ring, **kwargs)


def test_minter_needs_a_private_key(ed_key: Key) -> None:
    with pytest.raises(InvalidKey):
        Minter(ed_key.public(), issuer=ISSUER)


def test_minter_accepts_one_key_and_wraps_it_in_a_ring(ed_key: Key) -> None:
    minter = Minter(ed_key, issuer=ISSUER)
    assert minter.key_ring.active is ed_key
    assert decode(minter.mint("u", audience=AUDIENCE))[0]["kid"] == ed_key.kid


def test_minting_follows_rotation(minter: Minter, ring: KeyRing) -> None:
    ring.prepare()  # an immediate rotation: this test is about what follows
    new = ring.promote(force=True)
    assert decode(minter.mint("u", audience=AUDIENCE))[0]["kid"] == new.kid


def test_authentication_claims_are_minted_and_verified(minter: Minter, verifier: Verifier) -> None:
    token = minter.mint(
        "alice",
        audience="orders",
        auth_methods=["pwd", "hwk"],
        auth_context="urn:acr:strong",
        auth_time=1_799_999_999.7,
    )
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert (claims["amr"], claims["acr"], claims["auth_time"]) == (
        ["pwd", "hwk"],
        "urn:acr:strong",
        1_799_999_999,
    )
    passport = verifier.verify(token)
    assert passport.auth_methods == {"pwd", "hwk"}


def test_without_authentication_arguments_no_such_claims(minter: Minter) -> None:
    claims = json.loads(b64url_decode(minter.mint("alice", audience="orders").split(".")[1]))
    assert not {"amr", "acr", "auth_time"} & claims.keys()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_methods": "pwd"},
        {"auth_methods": ["pwd", ""]},
        {"auth_methods": [1]},
        {"auth_context": ""},
        {"auth_context": 3},
        {"auth_time": "now"},
        {"auth_time": True},
        {"auth_time": -5},
        {"auth_time": 10**20},
    ],
)
def test_refuses_malformed_authentication_claims(kwargs: dict[str, Any], minter: Minter) -> None:
    with pytest.raises(MintingError):
        minter.mint("alice", audience="orders", **kwargs)


@pytest.mark.parametrize("name", ["amr", "acr", "auth_time"])
def test_custom_claims_cannot_set_the_authentication_claims(name: str, minter: Minter) -> None:
    with pytest.raises(MintingError, match=name):
        minter.mint("alice", audience="orders", claims={name: "x"})


def test_a_passport_over_max_token_bytes_is_refused_at_mint_time(
    ring: KeyRing, clock: Callable[[], float], verifier: Verifier
) -> None:
    default = Minter(ring, issuer=ISSUER, clock=clock)
    with pytest.raises(PassportTooLarge, match="8192") as caught:
        default.mint("alice", audience="orders", profile={"bio": "x" * 12 * 1024})
    assert caught.value.status == 500
    small = Minter(ring, issuer=ISSUER, max_token_bytes=512, clock=clock)
    with pytest.raises(PassportTooLarge, match="512"):
        small.mint("alice", audience="orders", profile={"bio": "x" * 400})
    # Just under the default limit: the default Verifier accepts what the Minter returns.
    for size in range(5900, 6200, 7):
        try:
            token = default.mint("alice", audience="orders", profile={"bio": "x" * size})
        except PassportTooLarge:
            continue
        verifier.verify(token)


@pytest.mark.parametrize("value", [255, 0, True, 1024.0])
def test_max_token_bytes_must_be_a_whole_number_of_at_least_256(value: Any, ring: KeyRing) -> None:
    with pytest.raises(ConfigurationError, match="max_token_bytes"):
        Minter(ring, issuer=ISSUER, max_token_bytes=value)
