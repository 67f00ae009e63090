"""A revoked passport is refused alike by every adapter, from its verified-token cache too.

The service's ``revocations`` setting is a store shared with whoever revokes
(here one :class:`~passport_core.MemoryRevocations`; the Redis store's own tests
show the same across processes); each adapter answers core's 401.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from passport_core import (
    ConfigurationError,
    MemoryRevocations,
    Minter,
    PassportConfig,
    PassportRevoked,
    Revocation,
    Verifier,
)
from tests.conformance.apps import AUDIENCE, ISSUER, RING, SETTINGS
from tests.conformance.conftest import Send, serving
from tests.conformance.test_conformance import MINTER, REQUIRED_ROUTES, _one, assert_core_answer

#: mints passports issued a few seconds ago, before any cut-off a test sets now
EARLIER = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 5)


@pytest.fixture
def store() -> MemoryRevocations:
    return MemoryRevocations()


@pytest.fixture
def revocable(adapter: str, store: MemoryRevocations) -> Iterator[Send]:
    with serving(adapter, {**SETTINGS, "revocations": store}) as sender:
        yield sender


@pytest.mark.parametrize("route", REQUIRED_ROUTES)
def test_a_revoked_passport_is_refused_even_once_cached(
    revocable: Send, store: MemoryRevocations, route: str
) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE)
    other = MINTER.mint("alice", audience=AUDIENCE)
    assert revocable(route, _one(token)).status == 200  # now in the verified-token cache
    jti = PassportConfig.from_mapping(SETTINGS).build_verifier().verify(token).jti
    assert jti is not None
    store.revoke(Revocation.passport(ISSUER, jti, expires=time.time() + 600))
    answer = revocable(route, _one(token))
    assert answer.json()["code"] == "passport_revoked"
    assert_core_answer(answer, PassportRevoked())
    assert revocable(route, _one(other)).status == 200  # only that one passport


def test_logging_a_subject_out_everywhere_spares_its_later_passports(
    revocable: Send, store: MemoryRevocations
) -> None:
    earlier = EARLIER.mint("alice", audience=AUDIENCE)
    bob = EARLIER.mint("bob", audience=AUDIENCE)
    store.revoke(Revocation.subject(ISSUER, "alice", before=time.time() - 1, lifetime=3600))
    answer = revocable("/required", _one(earlier))
    assert (answer.status, answer.json()["code"]) == (401, "passport_revoked")
    assert revocable("/required", _one(bob)).status == 200
    later = MINTER.mint("alice", audience=AUDIENCE)
    assert revocable("/required", _one(later)).status == 200


def test_a_session_is_revoked_by_its_sid(revocable: Send, store: MemoryRevocations) -> None:
    in_session = EARLIER.mint("alice", audience=AUDIENCE, claims={"sid": "s-1"})
    elsewhere = EARLIER.mint("alice", audience=AUDIENCE, claims={"sid": "s-2"})
    store.revoke(Revocation.session(ISSUER, "s-1", before=time.time(), lifetime=3600))
    assert revocable("/required", _one(in_session)).status == 401
    assert revocable("/required", _one(elsewhere)).status == 200


def test_revocations_beside_a_ready_verifier_is_a_configuration_error() -> None:
    verifier = Verifier(keys=RING, issuer=ISSUER, audience=AUDIENCE)
    config = PassportConfig.from_mapping({"verifier": verifier, "revocations": MemoryRevocations()})
    assert [p.code for p in config.problems()] == ["revocations_with_verifier"]
    with pytest.raises(ConfigurationError) as caught:
        config.build_verifier()
    assert caught.value.setting == "revocations"


def test_a_store_that_is_not_one_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping({**SETTINGS, "revocations": "memory"})
    assert caught.value.setting == "revocations"


def test_revocations_beside_an_edge_belong_to_the_edge() -> None:
    from tests.conformance.apps import EDGE_SETTINGS  # noqa: PLC0415

    config = PassportConfig.from_mapping({**EDGE_SETTINGS, "revocations": MemoryRevocations()})
    assert "revocations_with_edge" in [p.code for p in config.problems()]
    with pytest.raises(ConfigurationError) as caught:
        config.build_gate()
    assert caught.value.setting == "revocations"
