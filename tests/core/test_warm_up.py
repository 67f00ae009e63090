"""Verifier.warm_up: keys fetched and primitives run before the first request."""

from __future__ import annotations

import asyncio
import logging

import pytest

from passport_core import KeyRing, RemoteJWKS, Verifier, generate_key
from tests.core.conftest import (
    AUDIENCE,
    ISSUER,
    NOW,
    JWKSServer,
    forge_token,
    good_claims,
    good_header,
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_warm_up_fetches_remote_keys_so_the_first_request_does_not(
    jwks_server: JWKSServer, mode: str
) -> None:
    key = generate_key("ES256", kid="k1")
    verifier = Verifier(
        keys=RemoteJWKS(jwks_server.set_jwks(KeyRing(key))),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=lambda: NOW,
    )
    token = forge_token(good_header(key), good_claims(), key)

    if mode == "sync":
        verifier.warm_up()
    else:
        asyncio.run(verifier.awarm_up())

    assert jwks_server.hits() == 1
    assert verifier.verify(token).subject == "user-1"
    assert jwks_server.hits() == 1  # the first request fetched nothing


def test_warm_up_with_the_key_server_down_logs_and_carries_on(
    closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = Verifier(
        keys=RemoteJWKS(closed_port_url, timeout=1), issuer=ISSUER, audience=AUDIENCE
    )

    with caplog.at_level(logging.WARNING, logger="passport_core.verify"):
        verifier.warm_up()

    assert any("warm-up" in record.getMessage() for record in caplog.records)


def test_warm_up_of_local_keys_needs_no_network() -> None:
    ring = KeyRing.generate("RS256")
    Verifier(keys=ring, issuer=ISSUER, audience=AUDIENCE).warm_up()
    Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE).warm_up()
