"""Several passports, one view: :class:`Companions` verifies each part against its own
issuer, binds them to one request by ``txn`` and merges them, or refuses with a 401."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from passport_core import (
    CompanionMismatch,
    Companions,
    ConfigurationError,
    KeyRing,
    Minter,
    MissingCompanion,
    Passport,
    PassportBundle,
    PassportConfig,
    UnknownKey,
    Verifier,
    companion_claims,
    request_binding,
)
from passport_core.claims import TRANSACTION

AUDIENCE = "orders"
EDGE, PROFILE, AUTHZ = "https://edge.test", "https://profile.test", "https://authz.test"
RINGS = {issuer: KeyRing.generate("EdDSA") for issuer in (EDGE, PROFILE, AUTHZ)}
MINTERS = {issuer: Minter(ring, issuer=issuer) for issuer, ring in RINGS.items()}
HEADERS = {PROFILE: "X-Passport-Profile", AUTHZ: "X-Passport-Authz"}

CONFIG = PassportConfig.from_mapping(
    {
        "issuer": EDGE,
        "audience": AUDIENCE,
        "jwks": RINGS[EDGE].public_jwks(),
        "companions": {
            HEADERS[PROFILE]: {"ISSUER": PROFILE, "JWKS": RINGS[PROFILE].public_jwks()},
            HEADERS[AUTHZ]: {
                "issuer": AUTHZ,
                "jwks": RINGS[AUTHZ].public_jwks(),
                "required": False,
            },
        },
    }
)
GATE = CONFIG.build_gate()
COMPANIONS = CONFIG.build_companions()


def _primary(**claims: Any) -> tuple[str, Passport]:
    token = MINTERS[EDGE].mint("alice", audience=AUDIENCE, **claims)
    return token, Verifier(keys=RINGS[EDGE].public_jwks(), issuer=EDGE, audience=AUDIENCE).verify(
        token
    )


def _part(issuer: str, primary: Passport, subject: str = "alice", **claims: Any) -> str:
    extra = {**companion_claims(primary), **claims.pop("claims", {})}
    return MINTERS[issuer].mint(subject, audience=AUDIENCE, claims=extra, **claims)


def _headers(values: dict[str, str]) -> Any:
    def get(name: str) -> list[str]:
        return [v for k, v in values.items() if k.lower() == name.lower()]

    return get


def test_the_merged_view_is_a_passport_with_access_to_each_part() -> None:
    token, primary = _primary(roles=["viewer"], tenant="acme", profile={"name": "Alice"})
    profile = _part(PROFILE, primary, profile={"email": "a@x.test"}, tenant="acme", ttl=60)
    authz = _part(AUTHZ, primary, roles=["refunds"], permissions=["orders.refund"], scopes=["r"])
    bundle = GATE.authenticate(
        _headers({"X-Passport": token, HEADERS[PROFILE]: profile, HEADERS[AUTHZ]: authz})
    )
    assert isinstance(bundle, PassportBundle)
    assert isinstance(bundle, Passport)
    assert bundle.roles == {"viewer", "refunds"}
    assert bundle.permissions == {"orders.refund"}
    assert bundle.scopes == {"r"}
    assert dict(bundle.profile) == {"name": "Alice", "email": "a@x.test"}
    assert bundle.tenant == "acme"
    # identity and the token to forward are the primary's; the view lasts as long as every part
    assert (bundle.subject, bundle.issuer, bundle.token) == ("alice", EDGE, token)
    assert bundle.primary == primary
    assert bundle.companions[HEADERS[PROFILE]].issuer == PROFILE
    assert bundle.expires_at == bundle.companions[HEADERS[PROFILE]].expires_at < primary.expires_at
    assert token not in repr(bundle)
    assert profile not in repr(bundle)


def test_the_binding_is_the_primarys_txn_else_its_jti() -> None:
    _, plain = _primary()
    assert request_binding(plain) == plain.jti
    _, carried = _primary(claims={TRANSACTION: "txn-1"})
    assert request_binding(carried) == "txn-1"
    assert companion_claims(carried) == {TRANSACTION: "txn-1"}


def test_an_optional_companion_may_be_absent() -> None:
    token, primary = _primary()
    bundle = GATE.authenticate(
        _headers({"X-Passport": token, HEADERS[PROFILE]: _part(PROFILE, primary)})
    )
    assert isinstance(bundle, PassportBundle)
    assert list(bundle.companions) == [HEADERS[PROFILE]]


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda p: _part(PROFILE, p, subject="bob"), CompanionMismatch, "another subject"),
        (lambda p: _part(PROFILE, _primary()[1]), CompanionMismatch, "another request"),
        (lambda p: MINTERS[PROFILE].mint("alice", audience=AUDIENCE), CompanionMismatch, "txn"),
        (lambda p: _part(PROFILE, p, tenant="globex"), CompanionMismatch, "tenant"),
        (lambda p: _part(PROFILE, p, profile={"name": "Eve"}), CompanionMismatch, "'name'"),
        # the profile service's name, the edge's key: a key never signs for another issuer
        (
            lambda p: Minter(RINGS[EDGE], issuer=PROFILE).mint(
                "alice", audience=AUDIENCE, claims=companion_claims(p)
            ),
            UnknownKey,
            HEADERS[PROFILE],
        ),
    ],
)
def test_parts_that_do_not_belong_together_are_refused(make: Any, error: type, words: str) -> None:
    token, primary = _primary(tenant="acme", profile={"name": "Alice"})
    with pytest.raises(error) as caught:
        GATE.authenticate(_headers({"X-Passport": token, HEADERS[PROFILE]: make(primary)}))
    assert caught.value.status == 401
    assert words in caught.value.message


def test_a_required_companion_missing_is_refused_and_no_passport_is_still_none() -> None:
    token, _ = _primary()
    with pytest.raises(MissingCompanion) as caught:
        GATE.authenticate(_headers({"X-Passport": token}))
    assert caught.value.code == "missing_companion"
    assert GATE.authenticate(_headers({}), required=False) is None


def test_the_async_path_merges_alike() -> None:
    token, primary = _primary(roles=["viewer"])
    companion = _part(PROFILE, primary, roles=["x"])
    bundle = asyncio.run(
        GATE.aauthenticate(_headers({"X-Passport": token, HEADERS[PROFILE]: companion}))
    )
    assert bundle is not None
    assert bundle.roles == {"viewer", "x"}
    assert COMPANIONS is not None
    assert COMPANIONS.headers == (HEADERS[PROFILE], HEADERS[AUTHZ])


@pytest.mark.parametrize(
    ("companions", "words"),
    [
        ({"X-Passport": {"issuer": PROFILE, "jwks": RINGS[PROFILE].public_jwks()}}, "itself"),
        ({"Authorization": {"issuer": PROFILE, "jwks": RINGS[PROFILE].public_jwks()}}, "Author"),
        ({"X-P": {"issuer": PROFILE}}, "no keys"),
        ({"X-P": {"issuer": PROFILE, "jwks": {}, "audience": "x"}}, "unknown setting"),
        ({"X-P": {"issuer": PROFILE, "jwks": RINGS[PROFILE].public_jwks(), "required": 1}}, "True"),
    ],
)
def test_companion_settings_are_checked_at_start_up(companions: Any, words: str) -> None:
    config = PassportConfig.from_mapping(
        {"issuer": EDGE, "audience": AUDIENCE, "keys": RINGS[EDGE], "companions": companions}
    )
    with pytest.raises(ConfigurationError, match=words) as caught:
        config.build_gate()
    assert caught.value.setting == "companions"


def test_companions_need_headers_each_named_once() -> None:
    with pytest.raises(ConfigurationError):
        Companions([])
