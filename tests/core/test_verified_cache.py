"""The verified-token cache: a hit never accepts what a cold verify would refuse at that moment.

Every scenario runs two verifiers over the same keys and the same clock, one with the
cache and one without (``cache_size=0``): the cached one is primed with the token, the
world changes (time, keys), and both must then give the same answer.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport_core import (
    ConfigurationError,
    IssuedInFuture,
    Key,
    KeyRing,
    LifetimeTooLong,
    PassportError,
    RemoteJWKS,
    TokenExpired,
    TokenNotYetValid,
    Verifier,
    generate_key,
)
from passport_core.keys.sources import StaticKeys
from tests.core.conftest import (
    AUDIENCE,
    ISSUER,
    NOW,
    JWKSServer,
    forge_token,
    good_claims,
    good_header,
)
from tests.sources import PlainSource


class Clock:
    """Wall-clock seconds a test sets by hand, shared by the verifiers and the key sources."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def outcome(verify: Callable[[str], Any], token: str) -> str:
    """``"ok"`` or the refusal's class name: what the two verifiers must agree on."""
    try:
        verify(token)
    except PassportError as exc:
        return type(exc).__name__
    return "ok"


def twins(keys: Any, clock: Clock, **options: Any) -> tuple[Verifier, Verifier]:
    """(cached, cold) verifiers over the very same key source and clock."""
    common: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "clock": clock, **options}
    return Verifier(keys=keys, **common), Verifier(keys=keys, cache_size=0, **common)


def agree(cached: Verifier, cold: Verifier, token: str) -> str:
    answer = outcome(cold.verify, token)
    # The async warm path (Verifier.cached): a hit it returns is one the cold verify accepts
    # now; anything else it leaves to averify (None) or refuses alike.
    hit: list[Any] = []
    warm = outcome(lambda t: hit.append(cached.cached(t)), token)
    assert warm == answer or hit == [None]
    assert outcome(cached.verify, token) == answer
    assert outcome(lambda t: asyncio.run(cached.averify(t)), token) == answer
    return answer


@pytest.fixture
def key() -> Key:
    return generate_key("EdDSA", kid="k1")


def test_a_hit_is_the_same_passport_and_costs_no_second_verify(key: Key) -> None:
    clock = Clock()
    cached, _ = twins(key.public(), clock)
    token = forge_token(good_header(key), good_claims(), key)

    first = cached.verify(token)

    assert len(cached.cache) == 1
    assert cached.verify(token) is first
    assert asyncio.run(cached.averify(token)) is first
    assert cached.cached(token) is first  # the async warm path, no coroutine
    assert cached.verify(token.encode()) == first  # bytes take the cold path, same answer


def test_refused_tokens_are_never_stored(key: Key) -> None:
    clock = Clock()
    cached, _ = twins(key.public(), clock)
    bad_signature = forge_token(good_header(key), good_claims(), generate_key("EdDSA", kid="k1"))
    expired = forge_token(good_header(key), good_claims(exp=int(NOW) - 60), key)

    for token in (bad_signature, expired, "not.a.token"):
        with pytest.raises(PassportError):
            cached.verify(token)

    assert len(cached.cache) == 0


@pytest.mark.parametrize(
    ("claims", "moment", "refusal"),
    [
        pytest.param({}, NOW + 300 + 30 - 0.001, "ok", id="just-before-exp-plus-leeway"),
        pytest.param({}, NOW + 300 + 30, TokenExpired, id="at-exp-plus-leeway"),
        pytest.param({}, NOW + 10_000, TokenExpired, id="long-expired"),
        pytest.param({"nbf": int(NOW) + 20}, NOW - 11, TokenNotYetValid, id="clock-back-nbf"),
        pytest.param({"iat": int(NOW) + 20, "nbf": ...}, NOW - 11, IssuedInFuture, id="iat"),
        pytest.param({"auth_time": int(NOW) + 20}, NOW - 11, PassportError, id="auth-time"),
        pytest.param(
            {"iat": ..., "nbf": ..., "exp": int(NOW) + 3600},
            NOW - 31,
            LifetimeTooLong,
            id="no-iat-lifetime-cap",
        ),
    ],
)
def test_time_moves_and_both_answer_alike(
    key: Key, claims: dict[str, Any], moment: float, refusal: Any
) -> None:
    clock = Clock()
    optional_iat = {"required_claims": {"iss", "sub", "aud", "exp"}}
    cached, cold = twins(key.public(), clock, **(optional_iat if "iat" in claims else {}))
    token = forge_token(good_header(key), good_claims(**claims), key)
    cached.verify(token)  # primed while valid

    clock.now = moment
    answer = agree(cached, cold, token)

    if refusal == "ok":
        assert answer == "ok"
    elif refusal is PassportError:
        assert answer != "ok"
    else:
        assert answer == refusal.__name__


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.floats(min_value=-400, max_value=800), min_size=1, max_size=8),
    nbf=st.integers(min_value=-60, max_value=60),
    lifetime=st.integers(min_value=1, max_value=3600),
)
def test_any_sequence_of_moments_gets_the_cold_answer(
    offsets: list[float], nbf: int, lifetime: int
) -> None:
    key = generate_key("HS256", kid="h1")
    clock = Clock()
    cached, cold = twins(key, clock)
    token = forge_token(
        good_header(key), good_claims(nbf=int(NOW) + nbf, exp=int(NOW) + lifetime), key
    )
    for offset in offsets:
        clock.now = NOW + offset
        agree(cached, cold, token)


def test_a_key_removed_from_a_ring_is_refused_from_the_cache_too() -> None:
    clock = Clock()
    ring = KeyRing(generate_key("EdDSA", kid="old"), clock=clock)
    old = ring.active
    token = forge_token(good_header(old), good_claims(), old)
    ring.prepare(generate_key("EdDSA", kid="new"))
    ring.promote(force=True)
    cached, cold = twins(ring, clock)
    assert agree(cached, cold, token) == "ok"

    ring.remove("old")

    assert agree(cached, cold, token) == "UnknownKey"


def test_a_retiring_key_whose_time_comes_is_refused_from_the_cache_too() -> None:
    clock = Clock()
    ring = KeyRing(generate_key("EdDSA", kid="old"), clock=clock, max_token_lifetime=600)
    old = ring.active
    token = forge_token(good_header(old), good_claims(exp=int(NOW) + 3000), key=old)
    ring.prepare(generate_key("EdDSA", kid="new"))
    ring.promote(force=True)
    (retiring,) = [entry for entry in ring.status() if entry.state == "retiring"]
    assert retiring.retire_at is not None
    cached, cold = twins(ring, clock, max_lifetime=3600)
    assert agree(cached, cold, token) == "ok"

    clock.now = retiring.retire_at  # nothing called on the ring: time alone retires it

    assert agree(cached, cold, token) == "UnknownKey"


def test_a_key_withdrawn_from_a_remote_jwks_is_refused_once_the_keys_are_refetched(
    jwks_server: JWKSServer,
) -> None:
    clock = Clock()
    old, new = generate_key("ES256", kid="old"), generate_key("ES256", kid="new")
    url = jwks_server.set_jwks(
        StaticKeys([old.public(), new.public()]), headers={"Cache-Control": "max-age=60"}
    )
    source = RemoteJWKS(url, clock=clock, cache_ttl=60, min_cache_ttl=60, max_cache_ttl=60)
    cached, cold = twins(source, clock, max_lifetime=3600)
    token = forge_token(good_header(old), good_claims(exp=int(NOW) + 3000), old)
    assert agree(cached, cold, token) == "ok"
    jwks_server.set_jwks(StaticKeys([new.public()]), headers={"Cache-Control": "max-age=60"})

    # Still fresh: a cold verify answers from the same fetched keys, so does the cache.
    clock.now = NOW + 30
    assert agree(cached, cold, token) == "ok"
    fetched = jwks_server.hits()

    clock.now = NOW + 61  # due for a refresh: the hit asks the source, as a cold verify does
    assert agree(cached, cold, token) == "UnknownKey"
    assert jwks_server.hits() > fetched


def test_a_refresh_that_keeps_the_key_keeps_the_entry(jwks_server: JWKSServer) -> None:
    clock = Clock()
    key = generate_key("ES256", kid="k")
    url = jwks_server.set_jwks(StaticKeys([key.public()]), headers={"Cache-Control": "max-age=60"})
    source = RemoteJWKS(url, clock=clock, cache_ttl=60, min_cache_ttl=60, max_cache_ttl=60)
    cached, _ = twins(source, clock, max_lifetime=3600)
    token = forge_token(good_header(key), good_claims(exp=int(NOW) + 3000), key)
    first = cached.verify(token)

    clock.now = NOW + 61
    assert cached.verify(token) is first  # refetched, same key: still the cached passport
    clock.now = NOW + 62
    fetched = jwks_server.hits()
    assert cached.verify(token) is first
    assert jwks_server.hits() == fetched  # fresh again: no fetch per hit


def test_a_source_without_generations_is_asked_on_every_hit(key: Key) -> None:
    clock = Clock()
    source = PlainSource(key.public())
    cached, cold = twins(source, clock)
    token = forge_token(good_header(key), good_claims(), key)
    first = cached.verify(token)
    before = source.lookups

    assert cached.verify(token) is first
    assert source.lookups == before + 1
    del source.keys["k1"]
    assert agree(cached, cold, token) == "UnknownKey"


def test_the_cache_is_bounded_by_entries_and_by_bytes(key: Key) -> None:
    clock = Clock()
    by_entries = Verifier(
        keys=key.public(), issuer=ISSUER, audience=AUDIENCE, clock=clock, cache_size=3
    )
    by_bytes = Verifier(
        keys=key.public(), issuer=ISSUER, audience=AUDIENCE, clock=clock, cache_max_bytes=5000
    )
    tokens = [forge_token(good_header(key), good_claims(jti=f"j{n}"), key) for n in range(10)]
    for token in tokens:
        by_entries.verify(token)
        by_bytes.verify(token)

    assert len(by_entries.cache) == 3
    assert 0 < by_bytes.cache.held_bytes <= 5000
    assert len(by_bytes.cache) < 10
    # The newest stay, the oldest went first.
    assert by_entries.verify(tokens[-1]) is by_entries.verify(tokens[-1])


def test_cache_size_zero_turns_it_off(key: Key) -> None:
    verifier = Verifier(
        keys=key.public(), issuer=ISSUER, audience=AUDIENCE, clock=Clock(), cache_size=0
    )
    token = forge_token(good_header(key), good_claims(), key)

    assert verifier.verify(token) is not verifier.verify(token)
    assert len(verifier.cache) == 0


@pytest.mark.parametrize("setting", ["cache_size", "cache_max_bytes"])
@pytest.mark.parametrize("value", [-1, 1.5, True, "10"])
def test_bad_cache_bounds_are_configuration_errors(setting: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        Verifier(keys=generate_key(), issuer=ISSUER, audience=AUDIENCE, **{setting: value})
    assert info.value.setting == setting


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(
            {
                "roles": ["admin", "staff"],
                "scope": "orders:read",
                "profile": {"name": "Ada Lovelace", "email": "ada@example.test", "locale": "en"},
            },
            id="typical",
        ),
        pytest.param({"x": [{} for _ in range(300)]}, id="many-empty-objects"),
        pytest.param({"x": ["a"] * 400}, id="many-tiny-strings"),
        pytest.param({"x": [[1], [2], [3]] * 100}, id="many-small-arrays"),
    ],
)
def test_the_byte_estimate_covers_what_the_entries_really_hold(extra: dict[str, Any]) -> None:
    """What ``cache_max_bytes`` bounds is at least the memory really allocated (tracemalloc)."""
    key = generate_key("HS256", kid="h1")
    verifier = Verifier(
        keys=key, issuer=ISSUER, audience=AUDIENCE, clock=Clock(), cache_size=10_000
    )
    claims = good_claims(**extra)

    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(300):
            verifier.verify(forge_token(good_header(key), {**claims, "jti": f"j{n}"}, key))
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))

    assert len(verifier.cache) == 300
    assert held <= verifier.cache.held_bytes


class RemovedDuringVerify:
    """A key source whose key is removed the moment after a lookup answers with it.

    It stands for a rotation landing on another thread while a verify is under way:
    the verify that looked the key up accepts, but nothing after it may.
    """

    def __init__(self, key: Key) -> None:
        self.keys = {key.kid: key}
        self.generation = 1

    def key_generation(self) -> int:
        return self.generation

    def get_key(self, kid: str) -> Key | None:
        found = self.keys.get(kid)
        self.keys.pop(kid, None)  # the removal lands right after the lookup...
        self.generation += 1  # ...and bumps the generation, as KeyRing and RemoteJWKS do
        return found

    async def aget_key(self, kid: str) -> Key | None:
        return self.get_key(kid)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_key_removed_while_a_verify_runs_is_not_trusted_from_the_cache(
    key: Key, mode: str
) -> None:
    source = RemovedDuringVerify(key.public())
    verifier = Verifier(keys=source, issuer=ISSUER, audience=AUDIENCE, clock=Clock())
    token = forge_token(good_header(key), good_claims(), key)
    verify = verifier.verify if mode == "sync" else lambda t: asyncio.run(verifier.averify(t))

    verify(token)  # looked the key up before its removal: accepted

    assert outcome(verify, token) == "UnknownKey"
    assert outcome(verify, token) == "UnknownKey"


def test_a_typ_changed_later_rules_every_verify(key: Key) -> None:
    """``typ`` is kept as the set of accepted values too: changing it changes that set."""
    clock = Clock()
    verifier, cold = twins(key.public(), clock)
    token = forge_token(good_header(key), good_claims(), key)
    assert agree(verifier, cold, token) == "ok"

    verifier.typ = cold.typ = "other+jwt"

    assert agree(verifier, cold, token) == "InvalidType"
    other = forge_token(good_header(key, typ="other+jwt"), good_claims(), key)
    assert agree(verifier, cold, other) == "ok"

    with pytest.raises(ConfigurationError):
        verifier.typ = ()  # accepts nothing: refused, and nothing changes
    assert verifier.typ == "other+jwt"
    assert agree(verifier, cold, other) == "ok"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("audiences", ""),
        ("audiences", ()),
        ("leeway", -1),
        ("max_lifetime", float("nan")),
        ("max_token_bytes", 10),
        ("algorithms", {"none"}),
        ("required_claims", {"exp"}),
    ],
)
def test_a_setting_assigned_later_is_checked_as_at_construction(
    key: Key, setting: str, value: object
) -> None:
    verifier = Verifier(keys=key.public(), issuer=ISSUER, audience=AUDIENCE)
    before = getattr(verifier, setting)
    with pytest.raises(ConfigurationError):
        setattr(verifier, setting, value)
    assert getattr(verifier, setting) == before


def test_an_audience_assigned_later_as_a_string_is_one_audience(key: Key) -> None:
    """Not a string whose substrings would pass the audience check."""
    clock = Clock()
    verifier, cold = twins(key.public(), clock)
    verifier.audiences = cold.audiences = "orders-service"  # type: ignore[assignment]
    assert verifier.audiences == frozenset({"orders-service"})
    inside = forge_token(good_header(key), good_claims(aud="orders"), key)
    assert agree(verifier, cold, inside) == "InvalidAudience"


def test_a_setting_changed_later_empties_the_caches(key: Key) -> None:
    clock = Clock()
    verifier, cold = twins(key.public(), clock)
    token = forge_token(good_header(key), good_claims(), key)
    verifier.verify(token)

    verifier.audiences = frozenset({"billing"})
    cold.audiences = frozenset({"billing"})

    assert len(verifier.cache) == 0
    assert agree(verifier, cold, token) == "InvalidAudience"
