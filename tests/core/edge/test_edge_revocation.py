"""The edge names each credential's session in its passports (``sid``) and honours revocations.

Revoking that session (or the subject) takes back every passport minted from the
credential at every service sharing the store, and the edge itself refuses the
credential, cached passports included, until the revocation lapses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    ConfigurationError,
    Edge,
    EdgeRequest,
    Identity,
    InvalidCredential,
    MemoryRevocations,
    Minted,
    Minter,
    MintingError,
    OIDCAuthenticator,
    PassportRevoked,
    Revocation,
    Verifier,
    claims,
    enricher,
)
from passport_core.keys.key import Key
from passport_core.keys.ring import KeyRing
from tests.core.conftest import ISSUER, JWKSServer, ManualClock
from tests.core.edge.conftest import (
    ALICE_KEY,
    BOB_KEY,
    EDGE_ISSUER,
    MakeEdge,
    Mint,
    issue,
    times,
    with_key,
)
from tests.core.edge.test_oidc import API, access_claims

LIFETIME = 3630.0


def _sid(edge_verifier: Callable[[str], Verifier], minted: Minted) -> str:
    sid = edge_verifier("orders").verify(minted.token).claims[claims.SESSION]
    assert isinstance(sid, str)
    return sid


def test_each_credential_names_its_own_stable_session(
    make_edge: MakeEdge, mint: Mint, edge_verifier: Callable[[str], Verifier]
) -> None:
    edge = make_edge(use_cache=False)
    first = _sid(edge_verifier, mint(edge, with_key(ALICE_KEY)))
    assert first.startswith("cred-")
    assert _sid(edge_verifier, mint(edge, with_key(ALICE_KEY))) == first
    assert _sid(edge_verifier, mint(edge, with_key(BOB_KEY))) != first
    assert ALICE_KEY not in first


@pytest.mark.parametrize("cached", [True, False])
def test_a_revoked_session_is_refused_at_the_edge_and_at_every_service(
    make_edge: MakeEdge,
    mint: Mint,
    edge_verifier: Callable[[str], Verifier],
    edge_clock: ManualClock,
    ring: KeyRing,
    cached: bool,
) -> None:
    store = MemoryRevocations(edge_clock)
    edge = make_edge(revocations=store, use_cache=cached)
    minted = mint(edge, with_key(ALICE_KEY))
    service = Verifier(
        keys=ring.public_jwks(),
        issuer=ISSUER,
        audience="orders",
        clock=edge_clock,
        revocations=store,
    )
    service.verify(minted.token)
    edge_clock.now += 1
    store.revoke(
        Revocation.session(
            ISSUER, _sid(edge_verifier, minted), before=edge_clock(), lifetime=LIFETIME
        )
    )
    with pytest.raises(PassportRevoked):
        service.verify(minted.token)
    with pytest.raises(InvalidCredential, match="revoked"):
        mint(edge, with_key(ALICE_KEY))
    with pytest.raises(InvalidCredential):
        mint(edge, with_key(ALICE_KEY), "billing")
    service.verify(mint(edge, with_key(BOB_KEY)).token)  # another credential is untouched
    edge_clock.now += LIFETIME + 1  # the entry has lapsed: the API key passes again
    store.list.prune()
    service.verify(mint(edge, with_key(ALICE_KEY)).token)


def test_a_subject_cut_off_refuses_an_api_key_while_it_lasts(
    make_edge: MakeEdge, mint: Mint, edge_clock: ManualClock
) -> None:
    store = MemoryRevocations(edge_clock)
    edge = make_edge(revocations=store)
    store.revoke(Revocation.subject(ISSUER, "alice", before=edge_clock(), lifetime=LIFETIME))
    with pytest.raises(InvalidCredential):
        mint(edge, with_key(ALICE_KEY))  # an API key has no issue time: it predates any cut-off
    mint(edge, with_key(BOB_KEY))


def test_an_idp_session_is_carried_and_a_login_after_the_cut_off_passes(
    provider: JWKSServer, idp_key: Key, edge_ring: KeyRing
) -> None:
    store = MemoryRevocations()
    edge = Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[OIDCAuthenticator(provider.base_url, audience=API, timeout=0.5)],
        audiences=["orders"],
        revocations=store,
    )
    verifier = Verifier(keys=edge_ring.public_jwks(), issuer=EDGE_ISSUER, audience="orders")

    def bearer(token: str) -> EdgeRequest:
        return EdgeRequest.from_headers({"Authorization": f"Bearer {token}"})

    earlier = {**times(), "iat": int(time.time()) - 30}
    old = issue(idp_key, access_claims(provider.base_url, sid="idp-s-1", **earlier))
    minted = edge.mint(bearer(old))
    assert verifier.verify(minted.token).claims[claims.SESSION] == "idp-s-1"
    store.revoke(
        Revocation.session(EDGE_ISSUER, "idp-s-1", before=time.time() - 1, lifetime=LIFETIME)
    )
    with pytest.raises(InvalidCredential):
        edge.mint(bearer(old))  # from the cache
    fresh = issue(idp_key, access_claims(provider.base_url, sid="idp-s-1", jti="at-2", **times()))
    assert verifier.verify(edge.mint(bearer(fresh)).token).claims[claims.SESSION] == "idp-s-1"


def test_common_data_cannot_set_the_session(make_edge: MakeEdge, mint: Mint) -> None:
    @enricher(name="sid-setter")
    def chosen(identity: Identity) -> dict[str, Any]:
        return {"sid": "chosen-by-a-directory"}

    edge = make_edge(enrichers=[chosen], use_cache=False)
    with pytest.raises(MintingError, match="'sid' claim"):
        mint(edge, with_key(ALICE_KEY))


def test_revocations_must_be_a_store(make_edge: MakeEdge) -> None:
    with pytest.raises(ConfigurationError):
        make_edge(revocations="redis://127.0.0.1")
