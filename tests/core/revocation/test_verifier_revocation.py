"""A verifier with a revocation list refuses what it names, cold and from its cache alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from passport_core import (
    ConfigurationError,
    InvalidClaim,
    MemoryRevocations,
    Minter,
    PassportRevoked,
    Revocation,
    RevocationList,
    Verifier,
)
from passport_core.keys.ring import KeyRing
from tests.core.conftest import AUDIENCE, ISSUER, NOW

LIFETIME = 3600.0 + 30.0


@pytest.fixture
def revocations(clock: Callable[[], float]) -> MemoryRevocations:
    return MemoryRevocations(clock)


@pytest.fixture
def revoking_verifier(
    ring: KeyRing, clock: Callable[[], float], revocations: MemoryRevocations
) -> Verifier:
    return Verifier(
        keys=ring.public_jwks(),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=clock,
        revocations=revocations,
    )


def _revocations() -> dict[str, Callable[[dict[str, object]], Revocation]]:
    return {
        "jti": lambda claims: Revocation.passport(
            ISSUER, str(claims["jti"]), expires=float(str(claims["exp"]))
        ),
        "subject": lambda claims: Revocation.subject(
            ISSUER, str(claims["sub"]), before=NOW + 1, lifetime=LIFETIME
        ),
        "session": lambda claims: Revocation.session(
            ISSUER, "sign-in-1", before=NOW + 1, lifetime=LIFETIME
        ),
    }


@pytest.mark.parametrize("kind", ["jti", "subject", "session"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_revoked_passport_is_refused_even_after_it_was_cached(
    minter: Minter,
    revoking_verifier: Verifier,
    revocations: MemoryRevocations,
    kind: str,
    asynchronous: bool,
) -> None:
    token = minter.mint("user-1", audience=AUDIENCE, claims={"sid": "sign-in-1"})

    def verify() -> object:
        if asynchronous:
            return asyncio.run(revoking_verifier.averify(token))
        return revoking_verifier.verify(token)

    passport = verify()
    assert verify() is passport  # served from the cache
    revocations.revoke(_revocations()[kind](dict(revoking_verifier.verify(token).claims)))
    with pytest.raises(PassportRevoked) as refused:
        verify()
    assert refused.value.code == "passport_revoked"
    assert refused.value.status == 401
    revoking_verifier.cache.clear()
    with pytest.raises(PassportRevoked):
        verify()  # and cold


def test_a_cut_off_spares_passports_issued_after_it(
    ring: KeyRing, revocations: MemoryRevocations
) -> None:
    """Log-out everywhere, then sign in again: the new passports work."""
    times = iter([NOW, NOW + 10])
    minted_at = next(times)
    minter = Minter(ring, issuer=ISSUER, clock=lambda: minted_at)
    verifier = Verifier(
        keys=ring.public_jwks(),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=lambda: NOW + 20,
        revocations=revocations,
    )
    old = minter.mint("user-1", audience=AUDIENCE)
    revocations.revoke(Revocation.subject(ISSUER, "user-1", before=NOW + 5, lifetime=LIFETIME))
    minted_at = next(times)
    new = minter.mint("user-1", audience=AUDIENCE)
    with pytest.raises(PassportRevoked):
        verifier.verify(old)
    assert verifier.verify(new).subject == "user-1"
    assert verifier.verify(minter.mint("user-2", audience=AUDIENCE)).subject == "user-2"


def test_a_revocation_names_one_issuer_only(
    minter: Minter, revoking_verifier: Verifier, revocations: MemoryRevocations
) -> None:
    token = minter.mint("user-1", audience=AUDIENCE)
    revocations.revoke(
        Revocation.subject("https://other.test", "user-1", before=NOW + 1, lifetime=LIFETIME)
    )
    assert revoking_verifier.verify(token).subject == "user-1"


def test_entries_are_forgotten_once_no_passport_they_name_can_live() -> None:
    now = [NOW]
    held = RevocationList(lambda: now[0])
    assert held.add(Revocation.passport(ISSUER, "a", expires=NOW + 60))
    assert held.add(Revocation.subject(ISSUER, "u", before=NOW, lifetime=LIFETIME))
    assert not held.add(Revocation.passport(ISSUER, "b", expires=NOW - 1))  # already over
    assert len(held) == 2
    now[0] = NOW + 61
    assert held.prune() == 1
    now[0] = NOW + LIFETIME + 1
    assert held.prune() == 1
    assert len(held) == 0


def test_an_earlier_cut_off_does_not_undo_a_later_one() -> None:
    held = RevocationList(lambda: NOW)
    later = Revocation.subject(ISSUER, "u", before=NOW, lifetime=LIFETIME)
    assert held.add(later)
    assert not held.add(Revocation.subject(ISSUER, "u", before=NOW - 100, lifetime=LIFETIME))
    assert held.entries() == [later]


def test_an_earlier_cut_off_kept_longer_extends_the_later_one() -> None:
    now = [NOW]
    held = RevocationList(lambda: now[0])
    held.add(Revocation.subject(ISSUER, "u", before=NOW, lifetime=60))
    assert held.add(Revocation.subject(ISSUER, "u", before=NOW - 1, lifetime=3600))
    (merged,) = held.entries()
    assert (merged.before, merged.expires) == (NOW, NOW - 1 + 3600)
    now[0] = NOW + 120  # past the first entry's own expiry
    held.prune()
    assert held.revoked({"iss": ISSUER, "sub": "u", "iat": NOW - 0.5}) is not None


@pytest.mark.parametrize("sid", [["s-1"], {"s": 1}, 42, True])
def test_a_sid_that_is_not_a_string_is_refused_not_a_500(
    minter: Minter, revoking_verifier: Verifier, revocations: MemoryRevocations, sid: object
) -> None:
    revocations.revoke(Revocation.session(ISSUER, "42", before=NOW + 5, lifetime=LIFETIME))
    token = minter.mint("user-1", audience=AUDIENCE, claims={"sid": sid})
    with pytest.raises(InvalidClaim):
        revoking_verifier.verify(token)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"kind":"jti","iss":"i","value":"v"}',
        '{"kind":"user","iss":"i","value":"v","expires":1}',
        '{"kind":"jti","iss":"","value":"v","expires":1}',
        '{"kind":"subject","iss":"i","value":"v","expires":1}',
        '{"kind":"jti","iss":"i","value":"v","expires":1,"before":1}',
        '{"kind":"jti","iss":"i","value":"v","expires":1e999}',
        '{"kind":"jti","iss":"i","value":"v","expires":true}',
        '{"kind":"jti","iss":"i","value":"v","expires":1,"extra":1}',
    ],
)
def test_a_malformed_entry_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError):
        Revocation.from_json(text)


@pytest.mark.parametrize(
    "revocation",
    [
        Revocation.passport(ISSUER, "j", expires=NOW),
        Revocation.session(ISSUER, "s", before=NOW, lifetime=60),
    ],
)
def test_an_entry_round_trips_through_json(revocation: Revocation) -> None:
    assert Revocation.from_json(revocation.to_json()) == revocation


@pytest.mark.parametrize("kind", ["jti", "subject", "session"])
def test_the_async_warm_path_refuses_a_revoked_passport_as_verify_does(
    minter: Minter, revoking_verifier: Verifier, revocations: MemoryRevocations, kind: str
) -> None:
    token = minter.mint("user-1", audience=AUDIENCE, claims={"sid": "sign-in-1"})
    passport = revoking_verifier.verify(token)
    assert revoking_verifier.cached(token) is passport
    revocations.revoke(_revocations()[kind](dict(passport.claims)))
    with pytest.raises(PassportRevoked):
        revoking_verifier.cached(token)
