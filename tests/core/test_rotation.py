"""Issue 7: rotating keys without a single wrong 401.

The measured outage: a ring that signs with a new key at once, while a verifier
fetched the JWKS moments ago and may not refresh again for ``min_refresh_interval``
seconds, answers ``unknown_kid`` for every new passport in that window.
"""

from __future__ import annotations

from passport_core import KeyRing, Minter, RemoteJWKS, UnknownKey, Verifier
from tests.core.conftest import AUDIENCE, ISSUER, JWKSServer, ManualClock


def remote_verifier(source: RemoteJWKS) -> Verifier:
    return Verifier(keys=source, issuer=ISSUER, audience=AUDIENCE)


def test_signing_with_a_new_key_at_once_gives_wrong_401s(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock
) -> None:
    """Reproduces the outage: the new key signs before the verifier can have seen it."""
    minter = Minter(ring, issuer=ISSUER)
    source = RemoteJWKS(
        jwks_server.set_jwks(ring), cache_ttl=60, min_refresh_interval=30, clock=manual_clock
    )
    verifier = remote_verifier(source)
    verifier.verify(minter.mint("user-1", audience=AUDIENCE))
    manual_clock.advance(1)
    ring.rotate()  # the immediate rotation: the new key signs from now on
    jwks_server.set_jwks(ring)  # ... and is published at the same instant
    wrong = 0
    for _ in range(22):  # 22 s of traffic, as measured in production
        try:
            verifier.verify(minter.mint("user-2", audience=AUDIENCE))
        except UnknownKey:
            wrong += 1
        manual_clock.advance(1)
    assert wrong == 22
    assert jwks_server.hits() == 1  # the refresh on unknown kid is rate-limited
