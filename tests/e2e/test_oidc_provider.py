"""The edge in front of a real OpenID provider: panva's oidc-provider in its own Node process.

Tokens come from the provider's token endpoint through the real client_credentials grant
(RFC 6749 §4.4) as RFC 9068 JWT access tokens; the edge finds the keys through the
provider's discovery document, follows its key rotation, and answers 503 when it is gone.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest

from passport_core import (
    ClaimMapping,
    Edge,
    EdgeRequest,
    IdentityProviderUnavailable,
    InvalidCredential,
    Key,
    KeyRing,
    Minter,
    OIDCAuthenticator,
    OIDCDiscovery,
    PassportError,
    Verifier,
    generate_key,
)
from passport_core.token.compact import split_compact
from tests.e2e.openid_provider import CLIENT_ID, RESOURCE, OpenIDProvider

pytestmark = pytest.mark.network

EDGE = "https://edge.e2e.test"
TIMEOUT = 0.5


def authenticator_of(provider: OpenIDProvider) -> OIDCAuthenticator:
    mapping = ClaimMapping(tenant="tenant_id", claims={"client_id": "client_id"})
    return OIDCAuthenticator(provider.url, audience=RESOURCE, claims=mapping, timeout=TIMEOUT)


def bearer(token: str) -> EdgeRequest:
    return EdgeRequest.from_headers({"Authorization": f"Bearer {token}"})


def kid_of(token: str) -> str:
    kid: str = split_compact(token).header["kid"]
    return kid


@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_token_of_the_real_grant_becomes_a_passport(
    path: str, openid_provider: OpenIDProvider
) -> None:
    ring = KeyRing(generate_key("EdDSA"))
    edge = Edge(
        Minter(ring, issuer=EDGE),
        authenticators=[authenticator_of(openid_provider)],
        audiences=["orders"],
    )
    request = bearer(openid_provider.token())

    minted = edge.mint(request) if path == "sync" else asyncio.run(edge.amint(request))
    passport = Verifier(keys=ring.public_jwks(), issuer=EDGE, audience="orders").verify(
        minted.token
    )

    # client_credentials: the provider's subject is the client itself.
    assert passport.subject == CLIENT_ID
    assert passport.claims["client_id"] == CLIENT_ID
    assert passport.scopes == {"orders:read"}
    assert passport.roles == {"service"}
    assert passport.tenant == "acme"


def test_a_token_for_another_resource_is_refused(openid_provider: OpenIDProvider) -> None:
    authenticator = OIDCAuthenticator(openid_provider.url, audience="https://billing.test")
    with pytest.raises(InvalidCredential, match="not meant for this audience"):
        authenticator.authenticate(openid_provider.token(), bearer(""))


def test_the_providers_key_rotation_rejects_no_good_token(
    openid_provider: OpenIDProvider, provider_key: Key
) -> None:
    authenticator = authenticator_of(openid_provider)
    old_token = openid_provider.token()
    assert authenticator.authenticate(old_token, bearer(old_token)).subject == CLIENT_ID
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    stop = threading.Event()

    def keep_authenticating() -> None:
        # Fresh tokens from the provider and the one from before the rotation, all the time.
        while not stop.is_set():
            fresh = openid_provider.token()
            for label, token in (("fresh-" + kid_of(fresh), fresh), ("old", old_token)):
                try:
                    authenticator.authenticate(token, bearer(token))
                    outcomes[label] += 1
                except PassportError as error:
                    failures.append(f"{label}: {error!r}")

    loop = threading.Thread(target=keep_authenticating, daemon=True)
    loop.start()
    try:
        # The key source refetches for an unknown kid at most once per 5 s (the default
        # unknown_kid_interval): rotate after that, as a provider rotating weekly would.
        time.sleep(5.5)
        new_key = generate_key("ES256", kid="provider-2")
        openid_provider.rotate([new_key, provider_key])  # new signs, old still published
        _wait_for(lambda: outcomes["fresh-provider-2"] >= 5)
        openid_provider.rotate([new_key])  # the old key withdrawn
        seen = outcomes["fresh-provider-2"]
        _wait_for(lambda: outcomes["fresh-provider-2"] >= seen + 5)
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
    assert failures == []
    assert outcomes["fresh-provider-1"] > 0
    assert outcomes["old"] > 0

    # The withdrawn key stops verifying once the keys are fetched again.
    assert isinstance(authenticator.keys, OIDCDiscovery)
    authenticator.keys.refresh()
    with pytest.raises(InvalidCredential, match="unknown key"):
        authenticator.authenticate(old_token, bearer(old_token))
    fresh = openid_provider.token()
    assert authenticator.authenticate(fresh, bearer(fresh)).subject == CLIENT_ID


def _wait_for(condition: object, timeout: float = 20) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_provider_is_a_503_within_the_bound(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.token()
    cached = authenticator_of(openid_provider)
    assert cached.authenticate(token, bearer(token)).subject == CLIENT_ID
    openid_provider.stop()

    # Keys already held keep verifying for a while (bounded stale-if-error, RFC 5861 §4).
    assert cached.authenticate(token, bearer(token)).subject == CLIENT_ID
    # An edge that holds no keys cannot check: 503, within the key source's bound.
    for path in ("sync", "async"):
        cold = authenticator_of(openid_provider)

        def run(cold: OIDCAuthenticator = cold, path: str = path) -> object:
            if path == "sync":
                return cold.authenticate(token, bearer(token))
            return asyncio.run(cold.aauthenticate(token, bearer(token)))

        started = time.monotonic()
        with pytest.raises(IdentityProviderUnavailable) as info:
            run()
        assert info.value.status == 503
        assert time.monotonic() - started < 3 * TIMEOUT + 1
