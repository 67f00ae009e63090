"""Verifier: round trips, claim checks, time edges, issuers, audiences and rotation.

Hostile encodings and header attacks are in ``test_hostile_tokens.py``. Every
token here is built by hand with ``forge_token`` unless the test is about the
minter and verifier working together.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from passport_core import (
    ALGORITHMS,
    AlgorithmNotAllowed,
    AuthenticationError,
    BadSignature,
    ConfigurationError,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    IssuedInFuture,
    Key,
    KeyRing,
    LifetimeTooLong,
    Minter,
    MissingClaim,
    Passport,
    StaticKeys,
    TokenExpired,
    TokenNotYetValid,
    UnknownKey,
    Verifier,
    generate_key,
    load_key,
)
from passport_core.verify.verifier import DEFAULT_REQUIRED_CLAIMS, MAX_LEEWAY
from tests.core.conftest import (
    AUDIENCE,
    ISSUER,
    NOW,
    KeyOfAlg,
    assert_rejected,
    check_rejection,
    forge_token,
    good_claims,
    good_header,
    verifier_for,
)

T = int(NOW)


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", list(ALGORITHMS))
def test_hand_built_token_round_trips_for_every_algorithm(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    claims = good_claims(roles=["admin"], scope="read write", tenant="t-1")
    token = forge_token(good_header(key), claims, key)

    passport = verifier_for(key).verify(token)

    assert passport.subject == "user-1"
    assert passport.issuer == ISSUER
    assert passport.audience == (AUDIENCE,)
    assert passport.roles == frozenset({"admin"})
    assert passport.scopes == frozenset({"read", "write"})
    assert passport.tenant == "t-1"
    assert passport.expires_at == datetime.fromtimestamp(T + 300, tz=timezone.utc)
    assert passport.token == token
    assert passport.kid == key.kid
    assert passport.header["alg"] == alg
    assert dict(passport.claims) == claims


@pytest.mark.parametrize("alg", list(ALGORITHMS))
def test_minted_passport_round_trips_for_every_algorithm(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    minter = Minter(key, issuer=ISSUER, clock=lambda: NOW)
    token = minter.mint("svc-a", audience=[AUDIENCE, "billing"], permissions=["orders:read"])

    passport = verifier_for(key).verify(token)

    assert passport.subject == "svc-a"
    assert set(passport.audience) == {AUDIENCE, "billing"}
    assert passport.can("orders:read")
    assert not passport.can("orders:write")


@pytest.mark.parametrize("alg", list(ALGORITHMS))
def test_signature_of_another_key_of_the_same_algorithm_is_refused(
    alg: str, key_of_alg: KeyOfAlg
) -> None:
    trusted = key_of_alg(alg)
    # Same kid, same algorithm, other key material: only the signature can tell them apart.
    # RSA generation is slow, so an RSA impostor reuses another session key's material.
    donor = (
        key_of_alg("PS512" if alg != "PS512" else "RS512") if trusted.key_type == "RSA" else None
    )
    material = donor.to_jwk(private=True) if donor else generate_key(alg).to_jwk(private=True)
    material = {name: value for name, value in material.items() if name not in ("alg", "kid")}
    impostor = load_key(material, alg=alg, kid=trusted.kid)
    assert impostor.to_jwk(private=True) != trusted.to_jwk(private=True)
    token = forge_token(good_header(trusted), good_claims(), impostor)

    assert_rejected(verifier_for(trusted), token, BadSignature)


@pytest.mark.parametrize("alg", list(ALGORITHMS))
def test_tampered_payload_is_refused_for_every_algorithm(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    header, _, signature = forge_token(good_header(key), good_claims(), key).split(".")
    elevated = forge_token(good_header(key), good_claims(roles=["admin"])).split(".")[1]

    assert_rejected(verifier_for(key), f"{header}.{elevated}.{signature}", BadSignature)


def test_bytes_token_verifies_like_text(ed_key: Key, verifier: Verifier) -> None:
    token = forge_token(good_header(ed_key), good_claims(), ed_key)

    assert verifier.verify(token.encode("ascii")).subject == "user-1"


def test_passport_token_is_left_out_of_repr(ed_key: Key, verifier: Verifier) -> None:
    token = forge_token(good_header(ed_key), good_claims(), ed_key)

    passport = verifier.verify(token)

    assert token not in repr(passport)
    assert token.rsplit(".", 1)[-1] not in repr(passport)


def test_non_ascii_claims_and_surrogate_pairs_are_accepted(ed_key: Key, verifier: Verifier) -> None:
    # A valid escaped surrogate pair is one character (U+1F600); only lone halves are refused.
    payload = (
        f'{{"iss":"{ISSUER}","sub":"zo\u00eb","aud":"{AUDIENCE}","iat":{T},"exp":{T + 60},'
        '"profile_data":{"mood":"\\ud83d\\ude00","city":"M\u00fcnchen"}}'
    ).encode()
    passport = verifier.verify(forge_token(good_header(ed_key), payload, ed_key))

    assert passport.subject == "zo\u00eb"
    assert passport.profile == {"mood": "\U0001f600", "city": "M\u00fcnchen"}


def test_brackets_inside_strings_do_not_count_as_nesting(ed_key: Key, verifier: Verifier) -> None:
    claims = good_claims(profile_data={"note": "[{" * 200 + "}]" * 200})

    passport = verifier.verify(forge_token(good_header(ed_key), claims, ed_key))

    assert passport.profile["note"].startswith("[{[{")


def test_actor_chain_is_exposed(ed_key: Key, verifier: Verifier) -> None:
    act = {"sub": "gateway", "iss": ISSUER, "act": {"sub": "edge"}}
    passport = verifier.verify(forge_token(good_header(ed_key), good_claims(act=act), ed_key))

    assert [actor.subject for actor in passport.actor] == ["gateway", "edge"]
    assert passport.actor[0].issuer == ISSUER


# --- async ---------------------------------------------------------------------------------------


def test_averify_accepts_a_good_token(ed_key: Key, verifier: Verifier) -> None:
    token = forge_token(good_header(ed_key), good_claims(), ed_key)

    passport = asyncio.run(verifier.averify(token))

    assert isinstance(passport, Passport)
    assert passport.subject == "user-1"


@pytest.mark.parametrize(
    ("header", "claims", "error"),
    [
        pytest.param({"kid": "nobody"}, {}, UnknownKey, id="unknown-kid"),
        pytest.param({}, {"exp": T - 3600, "iat": T - 3700}, TokenExpired, id="expired"),
        pytest.param({}, {"aud": "billing"}, InvalidAudience, id="audience"),
    ],
)
def test_averify_rejects_like_verify(
    ed_key: Key,
    header: dict[str, Any],
    claims: dict[str, Any],
    error: type[AuthenticationError],
) -> None:
    token = forge_token(good_header(ed_key, **header), good_claims(**claims), ed_key)
    # Both local sources answer aget_key from memory, exactly as get_key.
    for keys in (StaticKeys([ed_key.public()]), KeyRing(ed_key)):
        verifier = Verifier(keys=keys, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
        with pytest.raises(AuthenticationError) as info:
            asyncio.run(verifier.averify(token))
        check_rejection(info.value, error, token)


# --- required claims and claim types -------------------------------------------------------------


@pytest.mark.parametrize("claim", sorted(DEFAULT_REQUIRED_CLAIMS))
def test_each_required_claim_is_required(claim: str, ed_key: Key, verifier: Verifier) -> None:
    token = forge_token(good_header(ed_key), good_claims(**{claim: ...}), ed_key)

    assert_rejected(verifier, token, MissingClaim)


def test_required_claims_can_be_extended(ed_key: Key) -> None:
    strict = verifier_for(ed_key, required_claims={*DEFAULT_REQUIRED_CLAIMS, "jti", "tenant"})
    token = forge_token(good_header(ed_key), good_claims(), ed_key)  # has jti, no tenant

    assert_rejected(strict, token, MissingClaim)


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        # iss is read before the signature is checked, to choose the issuer's keys.
        pytest.param({"iss": 1}, InvalidClaim, id="iss-number"),
        pytest.param({"iss": [ISSUER]}, InvalidClaim, id="iss-list"),
        pytest.param({"iss": None}, MissingClaim, id="iss-null-is-missing"),
        pytest.param({"iss": "https://evil.test"}, InvalidIssuer, id="iss-untrusted"),
        pytest.param({"iss": ISSUER + "/"}, InvalidIssuer, id="iss-trailing-slash"),
        pytest.param({"iss": ISSUER.upper()}, InvalidIssuer, id="iss-other-case"),
        pytest.param({"iss": ""}, InvalidIssuer, id="iss-empty"),
        pytest.param({"sub": ""}, InvalidClaim, id="sub-empty"),
        pytest.param({"sub": 42}, InvalidClaim, id="sub-number"),
        pytest.param({"sub": None}, InvalidClaim, id="sub-null"),
        pytest.param({"sub": ["user-1"]}, InvalidClaim, id="sub-list"),
        pytest.param({"jti": 7}, InvalidClaim, id="jti-number"),
        pytest.param({"scope": ["read"]}, InvalidClaim, id="scope-list"),
        pytest.param({"tenant": {"id": 1}}, InvalidClaim, id="tenant-object"),
        pytest.param({"roles": "admin"}, InvalidClaim, id="roles-string"),
        pytest.param({"roles": ["admin", 1]}, InvalidClaim, id="roles-mixed"),
        pytest.param({"roles": None}, InvalidClaim, id="roles-null"),
        pytest.param({"permissions": {"a": True}}, InvalidClaim, id="permissions-object"),
        pytest.param({"profile_data": ["x"]}, InvalidClaim, id="profile-list"),
        pytest.param({"profile_data": "x"}, InvalidClaim, id="profile-string"),
        pytest.param({"act": "gateway"}, InvalidClaim, id="act-string"),
        pytest.param({"act": {}}, InvalidClaim, id="act-without-sub"),
        pytest.param({"act": {"sub": ""}}, InvalidClaim, id="act-empty-sub"),
        pytest.param({"act": {"sub": "a", "iss": 1}}, InvalidClaim, id="act-iss-number"),
        pytest.param({"act": {"sub": "a", "act": []}}, InvalidClaim, id="act-nested-list"),
    ],
)
def test_claims_of_the_wrong_type_are_refused(
    claims: dict[str, Any], error: type[AuthenticationError], ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key), good_claims(**claims), ed_key)

    assert_rejected(verifier, token, error)


def test_actor_chain_deeper_than_the_limit_is_refused(ed_key: Key, verifier: Verifier) -> None:
    act: dict[str, Any] = {"sub": "last"}
    for depth in range(20):  # 21 actors: deeper than the 16 allowed, shallower than JSON's cap
        act = {"sub": f"actor-{depth}", "act": act}
    token = forge_token(good_header(ed_key), good_claims(act=act), ed_key)

    assert_rejected(verifier, token, InvalidClaim)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="true"),  # bool is an int in Python, never a JSON number
        pytest.param(False, id="false"),
        pytest.param(str(T + 60), id="numeric-string"),
        pytest.param(None, id="null"),
        pytest.param([T + 60], id="list"),
        pytest.param({"t": T + 60}, id="object"),
        pytest.param(-1, id="negative"),
        pytest.param(10**30, id="far-future-int"),
        pytest.param(1e300, id="huge-float"),
        pytest.param(-1e300, id="huge-negative-float"),
    ],
)
def test_time_claims_must_be_numbers_in_range(
    claim: str, value: Any, ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key), good_claims(**{claim: value}), ed_key)

    assert_rejected(verifier, token, InvalidClaim)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_integer_too_large_for_a_float_is_an_invalid_claim(
    claim: str, ed_key: Key, verifier: Verifier
) -> None:
    # json.loads turns 1 followed by 400 zeros into an int that no float can hold: comparing it
    # with the clock used to raise OverflowError, and datetime.fromtimestamp OverflowError too.
    raw = json.dumps(good_claims(**{claim: "HUGE"})).replace('"HUGE"', "1" + "0" * 400)
    token = forge_token(good_header(ed_key), raw.encode(), ed_key)

    assert_rejected(verifier, token, InvalidClaim)


def test_fractional_times_are_accepted(ed_key: Key, verifier: Verifier) -> None:
    claims = good_claims(iat=NOW - 0.25, nbf=NOW + 0.5, exp=NOW + 59.75)

    passport = verifier.verify(forge_token(good_header(ed_key), claims, ed_key))

    assert passport.expires_at.microsecond == 750_000


# --- time edges with leeway ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        # exp: refused once now >= exp + leeway (RFC 7519 §4.1.4 "on or after").
        pytest.param({"exp": T - 29, "iat": T - 100, "nbf": ...}, None, id="exp-inside-leeway"),
        pytest.param({"exp": T - 30, "iat": T - 100, "nbf": ...}, TokenExpired, id="exp-at-leeway"),
        pytest.param({"exp": T - 3000, "iat": T - 3100}, TokenExpired, id="exp-long-ago"),
        # nbf: refused while now + leeway < nbf.
        pytest.param({"nbf": T + 30}, None, id="nbf-at-leeway"),
        pytest.param({"nbf": T + 31}, TokenNotYetValid, id="nbf-past-leeway"),
        # iat: refused when iat > now + leeway.
        pytest.param({"iat": T + 30, "nbf": ...}, None, id="iat-at-leeway"),
        pytest.param({"iat": T + 31, "nbf": ...}, IssuedInFuture, id="iat-past-leeway"),
        # auth_time: a login in the future is refused like iat (it would satisfy any max_age).
        pytest.param({"auth_time": T + 30}, None, id="auth_time-at-leeway"),
        pytest.param({"auth_time": T + 31}, InvalidClaim, id="auth_time-past-leeway"),
        # lifetime: exp - iat may not exceed max_lifetime (3600 s by default).
        pytest.param({"exp": T + 3600}, None, id="lifetime-at-max"),
        pytest.param({"exp": T + 3601}, LifetimeTooLong, id="lifetime-over-max"),
        pytest.param({"iat": T - 10, "exp": T + 3591}, LifetimeTooLong, id="lifetime-old-iat"),
    ],
)
def test_time_edges_with_default_leeway(
    claims: dict[str, Any],
    error: type[AuthenticationError] | None,
    ed_key: Key,
    verifier: Verifier,
) -> None:
    token = forge_token(good_header(ed_key), good_claims(**claims), ed_key)

    if error is None:
        assert verifier.verify(token).subject == "user-1"
    else:
        assert_rejected(verifier, token, error)


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        pytest.param({"exp": T + 1}, None, id="exp-one-second-ahead"),
        pytest.param({"exp": T, "iat": T - 60}, TokenExpired, id="exp-now"),
        pytest.param({"nbf": T + 1}, TokenNotYetValid, id="nbf-one-second-ahead"),
        pytest.param({"iat": T + 1, "nbf": ...}, IssuedInFuture, id="iat-one-second-ahead"),
        pytest.param({"auth_time": T + 1}, InvalidClaim, id="auth_time-one-second-ahead"),
        pytest.param({"auth_time": T}, None, id="auth_time-now"),
    ],
)
def test_time_edges_without_leeway(
    claims: dict[str, Any], error: type[AuthenticationError] | None, ed_key: Key
) -> None:
    verifier = verifier_for(ed_key, leeway=0)
    token = forge_token(good_header(ed_key), good_claims(**claims), ed_key)

    if error is None:
        assert verifier.verify(token).subject == "user-1"
    else:
        assert_rejected(verifier, token, error)


def test_configured_max_lifetime(ed_key: Key) -> None:
    verifier = verifier_for(ed_key, max_lifetime=60)
    header = good_header(ed_key)

    assert verifier.verify(forge_token(header, good_claims(exp=T + 60), ed_key))
    assert_rejected(verifier, forge_token(header, good_claims(exp=T + 61), ed_key), LifetimeTooLong)


def test_lifetime_is_bounded_from_now_when_iat_is_not_required(ed_key: Key) -> None:
    verifier = verifier_for(ed_key, required_claims={"iss", "sub", "aud", "exp"})
    header = good_header(ed_key)

    # Without iat, exp may lie at most max_lifetime + leeway ahead of now.
    ok = forge_token(header, good_claims(iat=..., exp=T + 3630), ed_key)
    too_far = forge_token(header, good_claims(iat=..., exp=T + 3631), ed_key)

    assert verifier.verify(ok).issued_at is None
    assert_rejected(verifier, too_far, LifetimeTooLong)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"leeway": MAX_LEEWAY + 1}, id="leeway-over-cap"),
        pytest.param({"leeway": -1}, id="leeway-negative"),
        pytest.param({"max_lifetime": 0}, id="lifetime-zero"),
        pytest.param({"max_lifetime": float("nan")}, id="lifetime-nan"),
        pytest.param({"max_lifetime": float("inf")}, id="lifetime-inf"),
        pytest.param({"leeway": float("nan")}, id="leeway-nan"),
        pytest.param({"max_token_bytes": 100}, id="size-cap-too-small"),
        pytest.param({"algorithms": ["none"]}, id="alg-none"),
        pytest.param({"algorithms": ["HS1"]}, id="alg-unknown"),
        pytest.param({"audience": []}, id="no-audience"),
        pytest.param({"audience": ""}, id="empty-audience"),
        pytest.param({"required_claims": {"sub", "aud", "exp"}}, id="iss-not-required"),
        pytest.param({"issuer": ""}, id="empty-issuer"),
    ],
)
def test_verifier_refuses_unsafe_configuration(options: dict[str, Any], ed_key: Key) -> None:
    with pytest.raises(ConfigurationError) as info:
        verifier_for(ed_key, **options)

    assert info.value.status == 500


def test_leeway_at_its_cap_is_allowed(ed_key: Key) -> None:
    verifier = verifier_for(ed_key, leeway=MAX_LEEWAY)
    cap = int(MAX_LEEWAY)
    token = forge_token(good_header(ed_key), good_claims(iat=T - 600, exp=T - cap + 1), ed_key)

    assert verifier.verify(token).subject == "user-1"


# --- audience ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aud", "error"),
    [
        pytest.param(AUDIENCE, None, id="string"),
        pytest.param([AUDIENCE], None, id="list-of-one"),
        pytest.param(["billing", AUDIENCE], None, id="list-containing-ours"),
        pytest.param("billing", InvalidAudience, id="other-string"),
        pytest.param(["billing", "shipping"], InvalidAudience, id="list-without-ours"),
        pytest.param(AUDIENCE.upper(), InvalidAudience, id="other-case"),
        pytest.param(f"{AUDIENCE} billing", InvalidAudience, id="space-separated"),
        pytest.param("", InvalidAudience, id="empty-string"),
        pytest.param([], InvalidClaim, id="empty-list"),
        pytest.param([AUDIENCE, 1], InvalidClaim, id="list-with-number"),
        pytest.param([[AUDIENCE]], InvalidClaim, id="nested-list"),
        pytest.param(1, InvalidClaim, id="number"),
        pytest.param(True, InvalidClaim, id="bool"),
        pytest.param(None, InvalidClaim, id="null"),
        pytest.param({AUDIENCE: True}, InvalidClaim, id="object"),
    ],
)
def test_audience(
    aud: Any, error: type[AuthenticationError] | None, ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key), good_claims(aud=aud), ed_key)

    if error is None:
        assert AUDIENCE in verifier.verify(token).audience
    else:
        assert_rejected(verifier, token, error)


def test_verifier_with_several_audiences_accepts_any_of_them(ed_key: Key) -> None:
    verifier = verifier_for(ed_key, audience=["orders", "orders-v2"])
    header = good_header(ed_key)

    assert verifier.verify(forge_token(header, good_claims(aud="orders-v2"), ed_key))
    assert verifier.verify(forge_token(header, good_claims(aud=["x", "orders"]), ed_key))
    assert_rejected(
        verifier, forge_token(header, good_claims(aud="orders-v3"), ed_key), InvalidAudience
    )


# --- several issuers -----------------------------------------------------------------------------

ISSUER_A = "https://a.test"
ISSUER_B = "https://b.test"


@pytest.fixture
def two_issuers() -> tuple[Key, Key, Verifier]:
    key_a = generate_key("EdDSA", kid="a-1")
    key_b = generate_key("ES256", kid="b-1")
    verifier = Verifier(
        issuers={ISSUER_A: [key_a.public()], ISSUER_B: [key_b.public()]},
        audience=AUDIENCE,
        clock=lambda: NOW,
    )
    return key_a, key_b, verifier


def test_each_issuer_verifies_with_its_own_keys(two_issuers: tuple[Key, Key, Verifier]) -> None:
    key_a, key_b, verifier = two_issuers

    from_a = verifier.verify(forge_token(good_header(key_a), good_claims(iss=ISSUER_A), key_a))
    from_b = verifier.verify(forge_token(good_header(key_b), good_claims(iss=ISSUER_B), key_b))

    assert (from_a.issuer, from_b.issuer) == (ISSUER_A, ISSUER_B)


def test_key_of_issuer_a_never_verifies_a_token_claiming_issuer_b(
    two_issuers: tuple[Key, Key, Verifier],
) -> None:
    key_a, _, verifier = two_issuers
    # Correctly signed by A, with A's kid, but it claims to come from B: B has no such key.
    token = forge_token(good_header(key_a), good_claims(iss=ISSUER_B), key_a)

    assert_rejected(verifier, token, UnknownKey)


def test_issuers_sharing_a_kid_name_still_do_not_share_trust() -> None:
    key_a = generate_key("EdDSA", kid="k1")
    key_b = generate_key("EdDSA", kid="k1")  # same kid and algorithm, other key material
    verifier = Verifier(
        issuers={ISSUER_A: key_a.public(), ISSUER_B: key_b.public()},
        audience=AUDIENCE,
        clock=lambda: NOW,
    )
    token = forge_token(good_header(key_a), good_claims(iss=ISSUER_B), key_a)

    assert_rejected(verifier, token, BadSignature)
    assert verifier.verify(forge_token(good_header(key_a), good_claims(iss=ISSUER_A), key_a))


def test_issuer_missing_from_a_multi_issuer_verifier_is_refused(
    two_issuers: tuple[Key, Key, Verifier],
) -> None:
    key_a, _, verifier = two_issuers
    token = forge_token(good_header(key_a), good_claims(iss="https://c.test"), key_a)

    assert_rejected(verifier, token, InvalidIssuer)


def test_issuers_and_keys_are_exclusive(ed_key: Key) -> None:
    with pytest.raises(ConfigurationError):
        Verifier(issuers={ISSUER: ed_key}, keys=ed_key, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(ConfigurationError):
        Verifier(keys=ed_key, audience=AUDIENCE)  # keys without issuer
    with pytest.raises(ConfigurationError):
        Verifier(issuers={}, audience=AUDIENCE)


# --- rotation ------------------------------------------------------------------------------------


def test_retiring_key_still_verifies_and_a_removed_key_does_not() -> None:
    ring = KeyRing(generate_key("EdDSA", kid="old"))
    old = ring.active
    old_token = forge_token(good_header(old), good_claims(), old)
    ring.prepare(generate_key("EdDSA", kid="new"))  # immediate: not what is tested
    new = ring.promote(force=True)
    new_token = forge_token(good_header(new), good_claims(), new)
    # The ring is a live key source: what it holds now is what verifies.
    verifier = Verifier(keys=ring, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)

    assert verifier.verify(old_token).kid == "old"
    assert verifier.verify(new_token).kid == "new"

    ring.remove("old")

    assert_rejected(verifier, old_token, UnknownKey)
    assert verifier.verify(new_token).kid == "new"


def test_published_jwks_follows_rotation() -> None:
    ring = KeyRing(generate_key("ES256", kid="old"))
    old = ring.active
    old_token = forge_token(good_header(old), good_claims(), old)
    ring.prepare(generate_key("ES256", kid="new"))  # immediate: not what is tested
    ring.promote(force=True)

    during = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
    assert during.verify(old_token).kid == "old"

    ring.remove("old")
    after = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
    assert_rejected(after, old_token, UnknownKey)


# --- algorithm allow-list ------------------------------------------------------------------------


def test_algorithm_allow_list_applies_on_top_of_the_key(ed_key: Key) -> None:
    verifier = verifier_for(ed_key, algorithms=["ES256"])
    token = forge_token(good_header(ed_key), good_claims(), ed_key)

    assert_rejected(verifier, token, AlgorithmNotAllowed)


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"amr": "pwd"}, id="amr-string"),
        pytest.param({"amr": ["pwd", 2]}, id="amr-mixed"),
        pytest.param({"amr": {"pwd": True}}, id="amr-object"),
        pytest.param({"amr": None}, id="amr-null"),
        pytest.param({"acr": 2}, id="acr-number"),
        pytest.param({"acr": ["urn:mfa"]}, id="acr-list"),
        pytest.param({"acr": None}, id="acr-null"),
        pytest.param({"auth_time": "1799999000"}, id="auth_time-string"),
        pytest.param({"auth_time": True}, id="auth_time-bool"),
        pytest.param({"auth_time": -1}, id="auth_time-before-1970"),
        pytest.param({"auth_time": 10**400}, id="auth_time-huge"),
        pytest.param({"auth_time": [1799999000]}, id="auth_time-list"),
    ],
)
def test_hostile_authentication_claims_are_invalid_claims(
    claims: dict[str, Any], ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key), good_claims(**claims), ed_key)

    assert_rejected(verifier, token, InvalidClaim)


def test_authentication_claims_become_typed_fields(ed_key: Key, verifier: Verifier) -> None:
    claims = good_claims(amr=["pwd", "otp", "pwd"], acr="urn:acr:mfa", auth_time=1_799_999_000)
    passport = verifier.verify(forge_token(good_header(ed_key), claims, ed_key))

    assert passport.auth_methods == {"pwd", "otp"}
    assert passport.auth_context == "urn:acr:mfa"
    assert passport.auth_time is not None
    assert passport.auth_time.timestamp() == 1_799_999_000


def test_a_passport_without_authentication_claims_has_empty_fields(
    ed_key: Key, verifier: Verifier
) -> None:
    passport = verifier.verify(forge_token(good_header(ed_key), good_claims(), ed_key))

    assert (passport.auth_methods, passport.auth_context, passport.auth_time) == (
        frozenset(),
        None,
        None,
    )
