"""warm_up_gate: what adapters call at start-up; every verifier of a gate, never a failed start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from passport_core import (
    APIKeyAuthenticator,
    Companion,
    Companions,
    Edge,
    EdgeGate,
    KeyRing,
    Minter,
    PassportGate,
    RemoteJWKS,
    Verifier,
    awarm_up_gate,
    warm_up_gate,
)
from tests.core.conftest import AUDIENCE, ISSUER, JWKSServer


def _verifier(url: str, issuer: str = ISSUER) -> Verifier:
    return Verifier(keys=RemoteJWKS(url, timeout=1), issuer=issuer, audience=AUDIENCE)


@pytest.fixture(params=["sync", "async"])
def warm(request: pytest.FixtureRequest) -> Callable[[object], None]:
    def run(gate: object) -> None:
        if request.param == "sync":
            warm_up_gate(gate)  # type: ignore[arg-type]
        else:
            asyncio.run(awarm_up_gate(gate))  # type: ignore[arg-type]

    return run


def test_the_primary_and_every_companion_verifier_load_their_keys(
    start_jwks_server: Callable[[], JWKSServer], warm: Callable[[object], None]
) -> None:
    primary, profile = start_jwks_server(), start_jwks_server()
    gate = PassportGate(
        _verifier(primary.set_jwks(KeyRing.generate("EdDSA"))),
        companions=Companions(
            [
                Companion(
                    "X-Profile-Passport",
                    _verifier(profile.set_jwks(KeyRing.generate("ES256")), "https://profile.test"),
                )
            ]
        ),
    )
    warm(gate)
    assert (primary.hits(), profile.hits()) == (1, 1)


def test_a_key_server_that_is_down_is_logged_never_raised(
    closed_port_url: str, warm: Callable[[object], None], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="passport_core"):
        warm(PassportGate(_verifier(closed_port_url)))
    assert "unavailable" in caplog.text


def test_a_gate_that_mints_has_nothing_to_warm(warm: Callable[[object], None]) -> None:
    edge = Edge(
        Minter(KeyRing.generate("EdDSA"), issuer=ISSUER),
        authenticators=[APIKeyAuthenticator({}.get)],
        audiences=[AUDIENCE],
    )
    warm(EdgeGate(edge))  # no verifier, no error
