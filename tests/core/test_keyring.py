"""Key ring rotation and key sources: retiring keys keep verifying until removed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from passport_core import (
    DuplicateKeyId,
    InvalidKey,
    Key,
    KeyRing,
    KeySource,
    Minter,
    RotationError,
    StaticKeys,
    UnknownKey,
    Verifier,
    as_key_source,
    generate_key,
    load_jwks,
)
from tests.core.conftest import AUDIENCE, ISSUER, rotate_now

KeyOfAlg = Callable[[str], Key]


@pytest.fixture
def ring_verifier(ring: KeyRing, clock: Callable[[], float]) -> Verifier:
    """A verifier that reads the live ring: rotation and removal show at once."""
    return Verifier(keys=ring, issuer=ISSUER, audience=AUDIENCE, clock=clock)


def test_a_ring_is_a_key_source(ring: KeyRing) -> None:
    assert isinstance(ring, KeySource)
    assert as_key_source(ring) is ring
    assert ring.get_key(ring.active.kid) is ring.active
    assert ring.get_key("nope") is None


def test_generate_makes_a_ring_with_one_active_key() -> None:
    ring = KeyRing.generate("ES256")
    assert ring.active.alg == "ES256"
    assert ring.active.is_private
    assert ring.retiring == ()
    assert ring.keys == (ring.active,)


def test_promote_makes_a_new_active_key_and_retires_the_old(
    ring: KeyRing, minter: Minter, ring_verifier: Verifier
) -> None:
    old = ring.active
    old_token = minter.mint("user-1", audience=AUDIENCE)

    new = rotate_now(ring)

    assert ring.active is new
    assert new.kid != old.kid
    assert new.alg == old.alg
    assert ring.retiring == (old,)
    assert ring.keys == (new, old)
    # Tokens signed before the rotation still verify with the retiring key ...
    assert ring_verifier.verify(old_token).kid == old.kid
    # ... and new tokens are signed with the new key.
    new_token = minter.mint("user-1", audience=AUDIENCE)
    assert ring_verifier.verify(new_token).kid == new.kid
    # Both stay published while the old one retires.
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [new.kid, old.kid]


def test_rotate_to_a_given_key(ring: KeyRing) -> None:
    new = generate_key("ES256", kid="es-2")
    assert rotate_now(ring, new) is new
    assert ring.active is new
    assert [k.kid for k in ring.keys] == ["es-2", "ed-1"]


def test_remove_makes_tokens_of_the_removed_key_fail(
    ring: KeyRing, minter: Minter, ring_verifier: Verifier
) -> None:
    old = ring.active
    old_token = minter.mint("user-1", audience=AUDIENCE)
    rotate_now(ring)
    new_token = minter.mint("user-1", audience=AUDIENCE)

    ring.remove(old.kid)

    assert ring.get_key(old.kid) is None
    assert ring.retiring == ()
    with pytest.raises(UnknownKey):
        ring_verifier.verify(old_token)
    assert ring_verifier.verify(new_token).subject == "user-1"
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [ring.active.kid]


def test_a_service_verifying_the_published_jwks_follows_rotation(
    ring: KeyRing, minter: Minter, clock: Callable[[], float]
) -> None:
    old_token = minter.mint("user-1", audience=AUDIENCE)
    old_kid = ring.active.kid
    rotate_now(ring)
    published = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    assert published.verify(old_token).kid == old_kid
    ring.remove(old_kid)
    republished = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    with pytest.raises(UnknownKey):
        republished.verify(old_token)


def test_several_rotations_keep_every_retiring_key(ring: KeyRing) -> None:
    kids = [ring.active.kid]
    for _ in range(3):
        kids.insert(0, rotate_now(ring).kid)
    assert [k.kid for k in ring.keys] == kids
    ring.remove(kids[2])
    assert [k.kid for k in ring.keys] == [kids[0], kids[1], kids[3]]


def test_cannot_remove_the_active_key(ring: KeyRing) -> None:
    with pytest.raises(RotationError, match="active"):
        ring.remove(ring.active.kid)
    assert ring.get_key("ed-1") is ring.active


def test_cannot_remove_an_unknown_key(ring: KeyRing) -> None:
    with pytest.raises(InvalidKey, match="no retiring or next key"):
        ring.remove("never-there")


def test_duplicate_kids_are_refused(ed_key: Key) -> None:
    twin = generate_key("ES256", kid=ed_key.kid)
    with pytest.raises(DuplicateKeyId):
        KeyRing(ed_key, [twin])
    with pytest.raises(DuplicateKeyId):
        KeyRing(ed_key, [generate_key("ES256", kid="x"), generate_key("ES256", kid="x")])


def test_rotating_to_a_duplicate_kid_is_refused_and_changes_nothing(ring: KeyRing) -> None:
    before = ring.keys
    with pytest.raises(DuplicateKeyId):
        rotate_now(ring, generate_key("ES256", kid=ring.active.kid))
    assert ring.keys == before


def test_a_public_key_cannot_be_active(ed_key: Key, ring: KeyRing) -> None:
    with pytest.raises(InvalidKey, match="sign"):
        KeyRing(ed_key.public())
    before = ring.keys
    with pytest.raises(InvalidKey, match="sign"):
        rotate_now(ring, generate_key("ES256").public())
    assert ring.keys == before


def test_a_public_retiring_key_is_allowed(ed_key: Key) -> None:
    # Retiring keys only verify, so a public half is enough.
    ring = KeyRing(generate_key("ES256"), [ed_key.public()])
    assert ring.get_key(ed_key.kid) is not None


def test_an_hmac_ring_verifies_itself_and_publishes_nothing(
    clock: Callable[[], float],
) -> None:
    ring = KeyRing.generate("HS256")
    token = Minter(ring, issuer=ISSUER, clock=clock).mint("user-1", audience=AUDIENCE)
    verifier = Verifier(keys=ring, issuer=ISSUER, audience=AUDIENCE, clock=clock)
    assert verifier.verify(token).subject == "user-1"
    assert ring.public_jwks() == {"keys": []}


def test_repr_names_kids_only(ring: KeyRing) -> None:
    rotate_now(ring, generate_key("ES256", kid="es-2"))
    assert repr(ring) == "KeyRing(active='es-2', next=None, retiring=['ed-1'])"
    ring.prepare(generate_key("ES256", kid="es-3"))
    assert repr(ring) == "KeyRing(active='es-2', next='es-3', retiring=['ed-1'])"


# --- key sources --------------------------------------------------------------------------------


def test_static_keys_look_up_by_kid(key_of_alg: KeyOfAlg) -> None:
    keys = [key_of_alg("ES256").public(), key_of_alg("EdDSA").public()]
    source = StaticKeys(keys)
    assert isinstance(source, KeySource)
    assert source.get_key(keys[1].kid) is keys[1]
    assert source.get_key("nope") is None
    assert source.keys == tuple(keys)
    assert [k["kid"] for k in source.public_jwks()["keys"]] == [k.kid for k in keys]


def test_static_keys_refuse_duplicates_and_emptiness(key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg("ES256")
    with pytest.raises(DuplicateKeyId):
        StaticKeys([key, key.public()])
    with pytest.raises(InvalidKey):
        StaticKeys([])


def test_as_key_source_accepts_every_documented_form(key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg("ES256")
    jwks = {"keys": [key.to_jwk()]}
    for keys in (key, [key], (k for k in [key]), jwks, load_jwks(jwks)):
        found = as_key_source(keys).get_key(key.kid)
        assert found is not None
        assert found.kid == key.kid


@pytest.mark.parametrize("text", ['{"keys": []}', b'{"keys": []}'])
def test_as_key_source_refuses_text(text: str | bytes) -> None:
    with pytest.raises(InvalidKey, match="not text"):
        as_key_source(text)  # type: ignore[arg-type]


def test_local_sources_answer_aget_key_like_get_key(key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg("EdDSA")
    for source in (StaticKeys([key.public()]), KeyRing(key)):
        assert isinstance(source, KeySource)
        for kid in (key.kid, "nope"):
            assert asyncio.run(source.aget_key(kid)) == source.get_key(kid)


def test_a_sync_only_key_source_is_refused_at_setup(key_of_alg: KeyOfAlg) -> None:
    class SyncOnly:
        def get_key(self, kid: str) -> Key | None:
            return None

    assert not isinstance(SyncOnly(), KeySource)
    with pytest.raises(InvalidKey, match="aget_key"):
        as_key_source(SyncOnly())  # type: ignore[arg-type]  # the point: not a KeySource
