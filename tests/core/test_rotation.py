"""Issue 7: rotating keys without a single wrong 401.

The measured outage: a ring that signs with a new key at once, while a verifier
fetched the JWKS moments ago and may not refresh again for ``min_refresh_interval``
seconds, answers ``unknown_kid`` for every new passport in that window.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from passport_core import (
    DEFAULT_MAX_TOKEN_LIFETIME,
    DEFAULT_PUBLISH_DELAY,
    DEFAULT_RETIRE_LEEWAY,
    DEFAULT_TTL,
    JWKS_CACHE_CONTROL,
    JWKS_MAX_AGE,
    ConfigurationError,
    InvalidKey,
    KeyRing,
    KeysUnavailable,
    Minter,
    PassportError,
    RemoteJWKS,
    RotationError,
    RotationNotDue,
    UnknownKey,
    Verifier,
    generate_key,
    jwks_cache_control,
)
from passport_core.keys.remote import DEFAULT_MIN_REFRESH_INTERVAL
from passport_core.verify.verifier import MAX_LEEWAY
from tests.core.conftest import AUDIENCE, ISSUER, NOW, JWKSServer, ManualClock

#: the wall clock of ring, minter and verifier, moving with the RemoteJWKS' monotonic one
EPOCH = NOW - 1000.0


def remote_verifier(source: RemoteJWKS) -> Verifier:
    return Verifier(keys=source, issuer=ISSUER, audience=AUDIENCE)


def test_signing_with_a_new_key_at_once_gives_no_wrong_401(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock
) -> None:
    """The outage that was: the new key signs before the verifier can have seen it."""
    minter = Minter(ring, issuer=ISSUER)
    source = RemoteJWKS(
        jwks_server.set_jwks(ring), cache_ttl=60, min_refresh_interval=30, clock=manual_clock
    )
    verifier = remote_verifier(source)
    verifier.verify(minter.mint("user-1", audience=AUDIENCE))
    manual_clock.advance(1)
    # What rotate() used to do: the new key signs from now on ...
    ring.prepare()
    ring.promote(force=True)
    jwks_server.set_jwks(ring)  # ... and is published at the same instant
    wrong, retry = 0, 0
    for _ in range(22):  # 22 s of traffic, as measured in production
        try:
            verifier.verify(minter.mint("user-2", audience=AUDIENCE))
        except UnknownKey:
            wrong += 1
        except KeysUnavailable:
            retry += 1
        manual_clock.advance(1)
    # The first unknown kid after a scheduled fetch fetches at once (it was a 401 for up
    # to unknown_kid_interval, 22 with the 30 s of old): no wrong 401, no 503 either.
    assert (wrong, retry) == (0, 0)
    assert jwks_server.hits() == 2  # the refresh on unknown kid is rate-limited


def test_the_staged_rotation_gives_no_wrong_401(
    jwks_server: JWKSServer, manual_clock: ManualClock
) -> None:
    """The same traffic and verifier cache as above, rotated with prepare / promote."""

    def wall() -> float:
        return EPOCH + manual_clock.now

    ring = KeyRing(generate_key("EdDSA", kid="k1"), publish_delay=30, clock=wall)
    minter = Minter(ring, issuer=ISSUER, clock=wall)
    source = RemoteJWKS(
        jwks_server.set_jwks(ring), cache_ttl=60, min_refresh_interval=30, clock=manual_clock
    )
    verifier = Verifier(keys=source, issuer=ISSUER, audience=AUDIENCE, clock=wall)
    verifier.verify(minter.mint("user-1", audience=AUDIENCE))
    manual_clock.advance(1)
    ring.prepare(generate_key("EdDSA", kid="k2"))
    jwks_server.set_jwks(ring)  # the edge publishes the next key at once
    kids_seen = set()
    for second in range(100):
        if second == 29:
            with pytest.raises(RotationNotDue, match="promote in 1 s"):
                ring.promote()
        if second == 30:
            assert ring.promote().kid == "k2"
            jwks_server.set_jwks(ring)
        passport = verifier.verify(minter.mint("user-2", audience=AUDIENCE))  # never raises
        kids_seen.add(passport.kid)
        manual_clock.advance(1)
    assert kids_seen == {"k1", "k2"}


def wall_clock(start: float = NOW) -> ManualClock:
    clock = ManualClock()
    clock.now = start
    return clock


@pytest.fixture
def wall() -> ManualClock:
    return wall_clock()


@pytest.fixture
def staged(wall: ManualClock) -> KeyRing:
    return KeyRing(
        generate_key("EdDSA", kid="k1"),
        publish_delay=300,
        max_token_lifetime=600,
        leeway=30,
        clock=wall,
    )


def kids(ring: KeyRing) -> list[str]:
    return [key["kid"] for key in ring.public_jwks()["keys"]]


def test_prepare_publishes_the_next_key_without_signing_with_it(
    staged: KeyRing, wall: ManualClock
) -> None:
    minter = Minter(staged, issuer=ISSUER, max_ttl=600, clock=wall)
    nxt = staged.prepare(generate_key("ES256", kid="k2"))
    assert staged.next is nxt
    assert staged.active.kid == "k1"
    assert kids(staged) == ["k1", "k2"]
    assert staged.get_key("k2") is nxt
    assert staged.promote_at == NOW + 300
    verifier = Verifier(keys=staged.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=wall)
    assert verifier.verify(minter.mint("u", audience=AUDIENCE)).kid == "k1"
    with pytest.raises(RotationError, match="already prepared"):
        staged.prepare()


def test_a_fresh_next_key_has_the_active_keys_algorithm(staged: KeyRing) -> None:
    nxt = staged.prepare()
    assert nxt.alg == "EdDSA"
    assert nxt.is_private
    assert nxt.kid != "k1"


def test_promote_waits_for_the_publish_delay_unless_forced(
    staged: KeyRing, wall: ManualClock
) -> None:
    with pytest.raises(RotationError, match="prepare one first"):
        staged.promote()
    staged.prepare(generate_key("EdDSA", kid="k2"))
    wall.advance(299)
    with pytest.raises(RotationNotDue, match=r"published 299 s ago.*promote in 1 s"):
        staged.promote()
    assert staged.active.kid == "k1"
    wall.advance(1)
    assert staged.promote().kid == "k2"
    assert staged.next is None
    assert [k.kid for k in staged.retiring] == ["k1"]
    assert kids(staged) == ["k2", "k1"]


def test_a_forced_promotion_is_immediate(staged: KeyRing) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    assert staged.promote(force=True).kid == "k2"


def test_status_tells_each_keys_times(staged: KeyRing, wall: ManualClock) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    wall.advance(300)
    staged.promote()
    staged.prepare(generate_key("EdDSA", kid="k3"))
    active, nxt, retiring = staged.status()
    assert (active.kid, active.state) == ("k2", "active")
    assert (active.published_at, active.signs_from, active.signs_until) == (NOW, NOW + 300, None)
    assert (nxt.kid, nxt.state, nxt.published_at, nxt.signs_from) == ("k3", "next", NOW + 300, None)
    assert (retiring.kid, retiring.state, retiring.alg) == ("k1", "retiring", "EdDSA")
    assert retiring.signs_until == NOW + 300
    # the longest passport (600 s) plus the verifiers' leeway (30 s)
    assert retiring.retire_at == NOW + 300 + 630
    assert staged.retire_after == 630


def test_a_retiring_key_is_pruned_once_its_passports_have_expired(
    staged: KeyRing, wall: ManualClock
) -> None:
    minter = Minter(staged, issuer=ISSUER, max_ttl=600, clock=wall)
    staged.prepare(generate_key("EdDSA", kid="k2"))
    wall.advance(300)
    last_of_k1 = minter.mint("u", audience=AUDIENCE, ttl=600)
    staged.promote()
    wall.advance(630 - 1)
    # exp + leeway is still ahead: the verifier accepts it, so k1 must stay published
    verifier = Verifier(
        keys=staged.public_jwks(), issuer=ISSUER, audience=AUDIENCE, leeway=30, clock=wall
    )
    assert verifier.verify(last_of_k1).kid == "k1"
    assert staged.prune() == ()
    wall.advance(1)
    assert kids(staged) == ["k2"]  # pruned lazily, on read
    assert staged.get_key("k1") is None
    assert staged.prune() == ()


def test_prune_returns_what_it_dropped(staged: KeyRing, wall: ManualClock) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    staged.promote(force=True)
    wall.advance(630)
    assert staged.prune() == ("k1",)


def test_retire_refuses_a_key_that_may_still_verify_unless_forced(
    staged: KeyRing, wall: ManualClock
) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    staged.promote(force=True)
    with pytest.raises(RotationNotDue, match="retires in 630 s"):
        staged.retire("k1")
    assert staged.get_key("k1") is not None
    staged.retire("k1", force=True)  # a leaked key: revoke what it signed
    assert kids(staged) == ["k2"]
    with pytest.raises(RotationError, match="active"):
        staged.retire("k2")
    with pytest.raises(InvalidKey, match="no retiring or next key"):
        staged.retire("k1")


def test_a_next_key_can_be_withdrawn_at_once(staged: KeyRing) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    staged.retire("k2")
    assert staged.next is None
    assert kids(staged) == ["k1"]


def test_retire_after_its_time_needs_no_force(staged: KeyRing, wall: ManualClock) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    staged.promote(force=True)
    wall.advance(629)
    with pytest.raises(RotationNotDue):
        staged.retire("k1")


def test_rotate_is_the_staged_rotation(staged: KeyRing, wall: ManualClock) -> None:
    nxt = staged.rotate()
    assert staged.next is nxt
    assert staged.active.kid == "k1"  # the first call only publishes
    with pytest.raises(RotationNotDue):
        staged.rotate()
    with pytest.raises(RotationError, match="already prepared"):
        staged.rotate(generate_key("EdDSA", kid="other"))
    wall.advance(300)
    assert staged.rotate() is nxt
    assert staged.active is nxt
    assert staged.rotate(generate_key("EdDSA", kid="k3")).kid == "k3"
    assert staged.active is nxt


def test_the_constructor_counts_retiring_keys_from_now(wall: ManualClock) -> None:
    ring = KeyRing(
        generate_key("EdDSA", kid="a"),
        [generate_key("EdDSA", kid="old")],
        next_key=generate_key("EdDSA", kid="n"),
        clock=wall,
    )
    assert [entry.state for entry in ring.status()] == ["active", "next", "retiring"]
    assert ring.status()[2].retire_at == NOW + DEFAULT_MAX_TOKEN_LIFETIME + DEFAULT_RETIRE_LEEWAY
    with pytest.raises(InvalidKey, match="next key of a key ring must be able to sign"):
        KeyRing(generate_key("EdDSA"), next_key=generate_key("EdDSA").public())


@pytest.mark.parametrize(
    "options",
    [
        {"publish_delay": -1},
        {"publish_delay": float("nan")},
        {"max_token_lifetime": 0},
        {"leeway": float("inf")},
        {"leeway": True},
        {"leeway": 10**400},  # too large for a float: refused, not an OverflowError
    ],
)
def test_nonsense_waits_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(RotationError, match="seconds"):
        KeyRing(generate_key("EdDSA"), **options)


# -- the waits agree with what is published and what verifiers do ---------------------------


def test_the_default_publish_delay_is_the_published_cache_lifetime() -> None:
    assert DEFAULT_PUBLISH_DELAY == JWKS_MAX_AGE == 300
    assert f"public, max-age={JWKS_MAX_AGE}" == JWKS_CACHE_CONTROL
    # Today's RemoteJWKS refetches on an unknown kid at most every min_refresh_interval:
    # a key published that long ago has been seen by every verifier that needs it.
    assert DEFAULT_PUBLISH_DELAY >= DEFAULT_MIN_REFRESH_INTERVAL
    assert KeyRing(generate_key("EdDSA")).publish_delay == DEFAULT_PUBLISH_DELAY


@pytest.mark.parametrize(
    ("delay", "max_age"), [(300, 300), (3600, 300), (60, 60), (2.5, 2), (0.5, 0)]
)
def test_a_rings_jwks_is_never_cached_longer_than_its_publish_delay(
    delay: float, max_age: int
) -> None:
    ring = KeyRing(generate_key("EdDSA"), publish_delay=delay)
    assert ring.cache_control == f"public, max-age={max_age}"
    assert jwks_cache_control(ring) == ring.cache_control
    assert jwks_cache_control((ring.active,)) == JWKS_CACHE_CONTROL
    assert jwks_cache_control(None) == JWKS_CACHE_CONTROL


def test_the_default_retiring_time_covers_every_verifier() -> None:
    assert DEFAULT_RETIRE_LEEWAY == MAX_LEEWAY
    public = generate_key("EdDSA").public()
    assert (
        Verifier(keys=public, issuer="i", audience="a").max_lifetime == DEFAULT_MAX_TOKEN_LIFETIME
    )
    ring = KeyRing(generate_key("EdDSA"))
    assert Minter(ring, issuer="i").max_ttl == DEFAULT_MAX_TOKEN_LIFETIME
    assert DEFAULT_MAX_TOKEN_LIFETIME >= DEFAULT_TTL


def test_a_minter_refuses_passports_that_would_outlive_their_key(staged: KeyRing) -> None:
    with pytest.raises(ConfigurationError, match="max_token_lifetime"):
        Minter(staged, issuer=ISSUER, max_ttl=601)
    assert Minter(staged, issuer=ISSUER, max_ttl=600).max_ttl == 600
    own = Minter(generate_key("EdDSA"), issuer=ISSUER, max_ttl=7200)
    assert own.key_ring.max_token_lifetime == 7200


# -- saving and loading -------------------------------------------------------------------


def summary(ring: KeyRing) -> list[tuple[object, ...]]:
    return [
        (e.kid, e.alg, e.state, e.published_at, e.signs_from, e.signs_until, e.retire_at)
        for e in ring.status()
    ]


def test_a_saved_ring_loads_with_every_state_and_time(
    staged: KeyRing, wall: ManualClock, tmp_path: Path
) -> None:
    staged.prepare(generate_key("ES256", kid="k2"))
    wall.advance(300)
    staged.promote()
    staged.prepare(generate_key("EdDSA", kid="k3"))
    path = tmp_path / "ring.json"
    staged.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = KeyRing.load(path, clock=wall)
    assert summary(loaded) == summary(staged)
    assert [e.state for e in loaded.status()] == ["active", "next", "retiring"]
    assert (loaded.publish_delay, loaded.max_token_lifetime, loaded.leeway) == (300, 600, 30)
    assert loaded.public_jwks() == staged.public_jwks()
    token = Minter(loaded, issuer=ISSUER, max_ttl=600, clock=wall).mint("u", audience=AUDIENCE)
    verifier = Verifier(keys=staged, issuer=ISSUER, audience=AUDIENCE, clock=wall)
    assert verifier.verify(token).kid == "k2"


def test_saving_replaces_the_file_atomically_and_keeps_it_private(
    staged: KeyRing, tmp_path: Path
) -> None:
    path = tmp_path / "ring.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    staged.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["passport_ring"]["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ring.json"]


def test_reload_updates_the_ring_a_minter_holds(
    staged: KeyRing, wall: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "ring.json"
    staged.save(path)
    minter = Minter(staged, issuer=ISSUER, max_ttl=600, clock=wall)
    other = KeyRing.load(path, clock=wall)
    other.prepare(generate_key("EdDSA", kid="k2"))
    other.promote(force=True)
    other.save(path)
    staged.reload(path)
    assert staged.active.kid == "k2"
    token = minter.mint("u", audience=AUDIENCE)
    assert (
        Verifier(keys=staged, issuer=ISSUER, audience=AUDIENCE, clock=wall).verify(token).kid
        == "k2"
    )


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d.pop("passport_ring"), "not a key ring file"),
        (lambda d: d["passport_ring"].update(version=2), "version"),
        (lambda d: d["passport_ring"].update(publish_delay="soon"), "publish_delay"),
        (lambda d: d["keys"][0]["passport_ring"].update(state="next"), "exactly one active"),
        (lambda d: d["keys"][0]["passport_ring"].update(state="boss"), "unknown key state"),
        (lambda d: d["keys"][0]["passport_ring"].update(published_at=None), "published_at"),
        (lambda d: d["keys"][0]["passport_ring"].update(published_at=10**400), "published_at"),
        (lambda d: d["passport_ring"].update(leeway=10**400), "leeway"),
        (lambda d: d["keys"][0]["passport_ring"].update(published_at=1.7e308), "published_at"),
        (lambda d: d["keys"][0]["passport_ring"].update(published_at=-1), "published_at"),
        (lambda d: d["passport_ring"].update(publish_delay=1.7e308), "publish_delay"),
        (lambda d: d["keys"][1]["passport_ring"].update(retire_at=None), "retire_at"),
        (lambda d: d["keys"][1]["passport_ring"].update(state="active"), "exactly one active"),
        (lambda d: d["keys"][1].pop("passport_ring"), "state"),
        (lambda d: d["keys"].append(dict(d["keys"][0])), "exactly one active"),
    ],
)
def test_a_spoiled_ring_file_is_refused_without_key_material(
    staged: KeyRing, tmp_path: Path, spoil: object, message: str
) -> None:
    staged.prepare(generate_key("EdDSA", kid="k2"))
    staged.promote(force=True)
    document = staged.to_document()
    spoil(document)  # type: ignore[operator]
    path = tmp_path / "ring.json"
    path.write_text(json.dumps(document))
    with pytest.raises(RotationError, match=message) as caught:
        KeyRing.load(path)
    private = staged.active.to_jwk(private=True)["d"]
    assert private not in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"keys": []}'])
def test_a_file_that_is_no_ring_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ring.json"
    path.write_bytes(content)
    with pytest.raises(RotationError):
        KeyRing.load(path)


def test_a_missing_ring_file_is_a_rotation_error(tmp_path: Path) -> None:
    with pytest.raises(RotationError, match="cannot read key ring"):
        KeyRing.load(tmp_path / "absent.json")
    with pytest.raises(RotationError, match="cannot write key ring"):
        KeyRing(generate_key("EdDSA")).save(tmp_path / "absent" / "ring.json")


def test_a_ring_rotates_safely_while_threads_mint_and_verify(wall: ManualClock) -> None:
    ring = KeyRing(generate_key("EdDSA"), publish_delay=0, clock=wall)
    minter = Minter(ring, issuer=ISSUER, clock=wall)
    verifier = Verifier(keys=ring, issuer=ISSUER, audience=AUDIENCE, clock=wall)
    errors: list[PassportError] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                verifier.verify(minter.mint("u", audience=AUDIENCE))
                ring.public_jwks()
            except PassportError as exc:  # pragma: no cover - the failure being tested for
                errors.append(exc)

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(50):
            ring.prepare()
            ring.promote()
            ring.prune()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert errors == []
    assert len(ring.retiring) == 50
