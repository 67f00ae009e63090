"""Opaque tokens by OAuth 2.0 token introspection (RFC 7662), against a real server on loopback."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from passport_core import (
    ClaimMapping,
    ConfigurationError,
    Edge,
    EdgeRequest,
    Identity,
    IdentityProviderUnavailable,
    IntrospectionAuthenticator,
    InvalidCredential,
    Key,
    KeyRing,
    Minter,
    PassportError,
    Verifier,
    generate_key,
)
from passport_core.edge.authenticators.answers import _again
from tests.core.conftest import ManualClock
from tests.core.edge.idp import CLIENT_ID, CLIENT_SECRET, IdP
from tests.servers import Answer

TOKEN = "opaque-Access-Token-0123456789abcdef"
Authenticate = Callable[[IntrospectionAuthenticator, str], Identity]


def _sync(authenticator: IntrospectionAuthenticator, token: str) -> Identity:
    return authenticator.authenticate(token, EdgeRequest.from_headers({}))


def _async(authenticator: IntrospectionAuthenticator, token: str) -> Identity:
    return asyncio.run(authenticator.aauthenticate(token, EdgeRequest.from_headers({})))


@pytest.fixture(params=[_sync, _async], ids=["sync", "async"])
def authenticate(request: pytest.FixtureRequest) -> Authenticate:
    return request.param  # type: ignore[no-any-return]


def active(**overrides: Any) -> dict[str, Any]:
    """An active token's introspection response (RFC 7662 §2.2), valid for five minutes."""
    now = int(time.time())
    answer: dict[str, Any] = {
        "active": True,
        "sub": "user-7",
        "scope": "orders:read orders:write",
        "client_id": "mobile-app",
        "iat": now - 10,
        "exp": now + 300,
        "token_type": "Bearer",
    }
    answer.update(overrides)
    return {k: v for k, v in answer.items() if v is not ...}


def introspector(idp: IdP, **options: Any) -> IntrospectionAuthenticator:
    options.setdefault("client_id", CLIENT_ID)
    if options.get("client_auth") != "private_key_jwt":
        options.setdefault("client_secret", CLIENT_SECRET)
    options.setdefault("timeout", 1.0)
    endpoint = options.pop("endpoint", idp.endpoint)
    return IntrospectionAuthenticator(endpoint, **options)


# -- an active token ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_auth", ["client_secret_basic", "client_secret_post", "private_key_jwt"]
)
def test_an_active_token_is_an_identity_with_its_mapped_fields(
    idp: IdP, client_key: Key, authenticate: Authenticate, client_auth: str
) -> None:
    answer = active(
        acr="urn:mace:incommon:iap:silver",
        amr=["pwd", "otp"],
        auth_time=int(time.time()) - 60,
        iss=idp.issuer,
        aud=["https://api.test", "other"],
        realm_access={"roles": ["admin", "clerk"]},
        tenant_id="acme",
        name="Ada",
        email="ada@example.test",
    )
    idp.tokens[TOKEN] = answer
    authenticator = introspector(
        idp,
        client_auth=client_auth,
        client_key=client_key if client_auth == "private_key_jwt" else None,
        issuer=idp.issuer,
        audience="https://api.test",
        token_type="bearer",
        mapping=ClaimMapping(
            roles=[("realm_access", "roles")], tenant="tenant_id", profile=["name", "email"]
        ),
    )
    identity = authenticate(authenticator, TOKEN)
    assert identity.subject == "user-7"
    assert identity.method == "introspection"
    assert identity.issuer == idp.issuer
    assert identity.expires_at == answer["exp"]
    assert identity.auth_methods == ("pwd", "otp")
    assert identity.auth_context == "urn:mace:incommon:iap:silver"
    assert identity.auth_time == answer["auth_time"]
    assert identity.common.roles == {"admin", "clerk"}
    assert identity.common.scopes == {"orders:read", "orders:write"}
    assert identity.common.tenant == "acme"
    assert dict(identity.common.profile) == {"name": "Ada", "email": "ada@example.test"}
    assert identity.attributes["client_id"] == "mobile-app"
    # RFC 7662 §2.1: the token and its hint in a form; client credentials as configured.
    request = idp.server.received[-1]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"token_type_hint=access_token" in request.body


def test_the_edge_mints_a_passport_from_an_opaque_token(idp: IdP, ed_key: Key) -> None:
    idp.tokens[TOKEN] = active(roles=["clerk"])
    ring = KeyRing(ed_key)
    edge = Edge(
        Minter(ring, issuer="https://edge.test"),
        authenticators=[introspector(idp, mapping=ClaimMapping(roles="roles"))],
        audiences=["orders"],
    )
    minted = edge.mint(EdgeRequest.from_headers({"Authorization": f"Bearer {TOKEN}"}))
    verifier = Verifier(keys=ring.public_jwks(), issuer="https://edge.test", audience="orders")
    passport = verifier.verify(minted.token)
    assert passport.subject == "user-7"
    assert passport.roles == frozenset({"clerk"})
    assert passport.scopes == frozenset({"orders:read", "orders:write"})


def test_username_can_stand_for_a_missing_sub(idp: IdP, authenticate: Authenticate) -> None:
    idp.tokens[TOKEN] = active(sub=..., username="ada")
    assert authenticate(introspector(idp, subject_claim="username"), TOKEN).subject == "ada"


def test_the_endpoint_is_found_in_the_discovery_document(
    idp: IdP, authenticate: Authenticate
) -> None:
    idp.tokens[TOKEN] = active()
    authenticator = introspector(idp, endpoint=None, issuer=idp.issuer)
    assert authenticate(authenticator, TOKEN).subject == "user-7"
    idp.tokens[TOKEN + "-2"] = active(sub="user-8")
    assert authenticate(authenticator, TOKEN + "-2").subject == "user-8"
    assert idp.server.hits("/.well-known/") == 1  # discovered once, kept for discovery_ttl


def test_a_discovery_document_of_another_issuer_is_a_503(
    idp: IdP, authenticate: Authenticate
) -> None:
    idp.document_issuer = "https://evil.test"
    with pytest.raises(IdentityProviderUnavailable, match="another issuer"):
        authenticate(introspector(idp, endpoint=None, issuer=idp.issuer), TOKEN)
    assert idp.introspections() == 0


# -- refused tokens: 401 ------------------------------------------------------------------------

REFUSED = {
    "inactive": ({"active": False}, {}, "not active"),
    "active as a string": (active(active="true"), {}, "not active"),
    "active as 1": (active(active=1), {}, "not active"),
    "no active member": (active(active=...), {}, "not active"),
    "no sub": (active(sub=...), {}, "names no 'sub'"),
    "expired": (active(exp=int(time.time()) - 5), {}, "expired"),
    "not yet valid": (active(nbf=int(time.time()) + 600), {}, "not valid yet"),
    "another issuer": (active(iss="https://other.test"), {"issuer": "X"}, "another issuer"),
    "another audience": (
        active(aud="https://other.test"),
        {"audience": "https://api.test"},
        "audience",
    ),
    "no audience": (active(), {"audience": "https://api.test"}, "audience"),
    "roles of the wrong shape": (
        active(roles=[1, 2]),
        {"mapping": ClaimMapping(roles="roles")},
        "'roles' claim must be a list of strings",
    ),
    "another token type": (active(token_type="N_A"), {"token_type": "Bearer"}, "another type"),
    "authenticated in the future": (
        active(auth_time=int(time.time()) + 3600),
        {},
        "authentication time is in the future",
    ),
    # RFC 8705 §3: a token bound to a client certificate is no bearer token
    "sender-constrained": (active(cnf={"x5t#S256": "bwcK0esc"}), {}, "sender-constrained"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_token_is_a_401(
    idp: IdP, authenticate: Authenticate, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer, options, message = REFUSED[case]
    if options.get("issuer") == "X":
        options = {"issuer": idp.issuer}
    idp.tokens[TOKEN] = answer
    with caplog.at_level(logging.DEBUG), pytest.raises(PassportError) as info:
        authenticate(introspector(idp, **options), TOKEN)
    assert type(info.value) is InvalidCredential
    assert info.value.status == 401
    assert message in info.value.message
    assert TOKEN not in info.value.message
    assert TOKEN not in caplog.text


def test_a_token_too_long_is_refused_without_asking(idp: IdP, authenticate: Authenticate) -> None:
    with pytest.raises(InvalidCredential, match="too long"):
        authenticate(introspector(idp), "x" * 10_000)
    assert idp.introspections() == 0


# -- the server fails: 503 within the bound -----------------------------------------------------

FAILING = {
    "slow": (Answer.json(active(), delay=2.5), "did not answer within 1 s"),
    "500": (Answer(500, b"oops"), "answered HTTP 500"),
    "redirect": (
        Answer(302, headers={"Location": "http://127.0.0.1:1/introspect"}),
        "redirect",
    ),
    "huge": (
        Answer(body=b"x" * 1024, repeat=400, headers={"Content-Type": "application/json"}),
        "exceeds",
    ),
    "not JSON": (
        Answer(body=b"<html>hi</html>", headers={"Content-Type": "application/json"}),
        "not valid JSON",
    ),
    "not a JSON object": (Answer.json([True]), "not a JSON object"),
    "text/plain": (
        Answer(body=b'{"active": true, "sub": "x"}', headers={"Content-Type": "text/plain"}),
        "not application/json",
    ),
    "malformed exp": (Answer.json(active(exp="soon")), "'exp' is no number"),
}


@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_failing_server_is_a_503_within_the_timeout(
    idp: IdP, authenticate: Authenticate, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    idp.override, message = FAILING[case]
    # Only the slow case waits for the deadline: the others get room on a busy machine.
    timeout = 1.0 if case == "slow" else 3.0
    start = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(PassportError) as info:
        authenticate(introspector(idp, timeout=timeout), TOKEN)
    assert time.monotonic() - start < timeout + 0.8
    assert type(info.value) is IdentityProviderUnavailable
    assert info.value.status == 503
    assert message in info.value.message
    assert TOKEN not in info.value.message
    assert TOKEN not in caplog.text


def test_a_closed_port_is_a_503(closed_port_url: str, authenticate: Authenticate) -> None:
    authenticator = IntrospectionAuthenticator(
        closed_port_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout=1.0
    )
    with pytest.raises(IdentityProviderUnavailable, match="could not be reached"):
        authenticate(authenticator, TOKEN)


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "client_secret_post"])
def test_wrong_client_credentials_are_a_503_and_an_operators_log_line(
    idp: IdP, authenticate: Authenticate, client_auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    idp.tokens[TOKEN] = active()
    idp.secret = "rotated-at-the-server"
    with caplog.at_level(logging.DEBUG), pytest.raises(PassportError) as info:
        authenticate(introspector(idp, client_auth=client_auth), TOKEN)
    assert type(info.value) is IdentityProviderUnavailable
    assert "client credentials" in info.value.message
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "refused the edge's client credentials (HTTP 401" in line
    assert CLIENT_ID in line
    assert idp.endpoint in line
    for secret in (TOKEN, CLIENT_SECRET, "rotated-at-the-server"):
        assert secret not in caplog.text


def test_a_private_key_jwt_signed_by_another_key_is_refused(
    idp: IdP, authenticate: Authenticate
) -> None:
    idp.tokens[TOKEN] = active()
    authenticator = introspector(
        idp, client_auth="private_key_jwt", client_key=generate_key("ES256"), issuer=idp.issuer
    )
    with pytest.raises(IdentityProviderUnavailable, match="client credentials"):
        authenticate(authenticator, TOKEN)


# -- the cache ----------------------------------------------------------------------------------


def test_a_second_request_within_the_ttl_asks_nobody(idp: IdP, authenticate: Authenticate) -> None:
    idp.tokens[TOKEN] = active()
    authenticator = introspector(idp)
    first = authenticate(authenticator, TOKEN)
    second = authenticate(authenticator, TOKEN)
    # the same identity; only what is left of the answer's cache_ttl has shrunk
    assert replace(first, cache_for=None) == replace(second, cache_for=None)
    assert first.cache_for is not None
    assert second.cache_for is not None
    assert 0 < second.cache_for <= first.cache_for <= 60
    assert idp.introspections() == 1


def test_an_answer_is_kept_until_the_cache_ttl(idp: IdP, manual_clock: ManualClock) -> None:
    idp.tokens[TOKEN] = active(exp=int(manual_clock.now) + 3600, iat=...)
    authenticator = introspector(idp, clock=manual_clock, cache_ttl=60)
    _sync(authenticator, TOKEN)
    manual_clock.advance(59)
    _sync(authenticator, TOKEN)
    assert idp.introspections() == 1
    manual_clock.advance(1)
    _sync(authenticator, TOKEN)
    assert idp.introspections() == 2


def test_an_answer_never_outlives_the_tokens_exp(idp: IdP, manual_clock: ManualClock) -> None:
    idp.tokens[TOKEN] = active(exp=int(manual_clock.now) + 10, iat=...)
    authenticator = introspector(idp, clock=manual_clock, cache_ttl=60)
    assert _sync(authenticator, TOKEN).expires_at == manual_clock.now + 10
    manual_clock.advance(9)
    _sync(authenticator, TOKEN)
    assert idp.introspections() == 1
    manual_clock.advance(1)
    idp.tokens[TOKEN] = {"active": False}  # the server's view once the token expired
    with pytest.raises(InvalidCredential):
        _sync(authenticator, TOKEN)
    assert idp.introspections() == 2


def test_the_cache_is_bounded(idp: IdP) -> None:
    for n in range(3):
        idp.tokens[f"{TOKEN}-{n}"] = active(sub=f"user-{n}")
    authenticator = introspector(idp, max_entries=2)
    for n in range(3):
        _sync(authenticator, f"{TOKEN}-{n}")
    assert idp.introspections() == 3
    _sync(authenticator, f"{TOKEN}-2")  # still held
    assert idp.introspections() == 3
    _sync(authenticator, f"{TOKEN}-0")  # evicted first: asked again
    assert idp.introspections() == 4


def test_negative_answers_are_not_kept_by_default(idp: IdP, authenticate: Authenticate) -> None:
    authenticator = introspector(idp)
    for _ in range(2):
        with pytest.raises(InvalidCredential):
            authenticate(authenticator, TOKEN)
    assert idp.introspections() == 2


def test_negative_answers_are_kept_for_negative_ttl(idp: IdP, manual_clock: ManualClock) -> None:
    authenticator = introspector(idp, negative_ttl=5, clock=manual_clock)
    for _ in range(2):
        with pytest.raises(InvalidCredential):
            _sync(authenticator, TOKEN)
    assert idp.introspections() == 1
    manual_clock.advance(5)
    idp.tokens[TOKEN] = active(exp=int(manual_clock.now) + 60, iat=...)
    assert _sync(authenticator, TOKEN).subject == "user-7"
    assert idp.introspections() == 2


def test_failures_are_not_cached(idp: IdP) -> None:
    idp.override = Answer(500)
    authenticator = introspector(idp)
    with pytest.raises(IdentityProviderUnavailable):
        _sync(authenticator, TOKEN)
    idp.override = None
    idp.tokens[TOKEN] = active()
    assert _sync(authenticator, TOKEN).subject == "user-7"


def test_concurrent_requests_with_one_token_ask_once(idp: IdP) -> None:
    idp.tokens[TOKEN] = active()
    slow = idp.route

    def route(request: Any) -> Answer:
        time.sleep(0.3)
        return slow(request)

    idp.server.route = route
    authenticator = introspector(idp)
    results: list[str] = []

    def worker() -> None:
        results.append(_sync(authenticator, TOKEN).subject)

    threads = [threading.Thread(target=worker) for _ in range(5)]

    async def coroutines() -> list[Identity]:
        request = EdgeRequest.from_headers({})
        return await asyncio.gather(
            *(authenticator.aauthenticate(TOKEN, request) for _ in range(5))
        )

    for thread in threads:
        thread.start()
    identities = asyncio.run(coroutines())
    for thread in threads:
        thread.join(timeout=5)
    assert results == ["user-7"] * 5
    assert [i.subject for i in identities] == ["user-7"] * 5
    assert idp.introspections() == 1


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"endpoint": None},
        {"endpoint": "http://idp.example/introspect"},
        {"client_secret": None},
        {"client_auth": "private_key_jwt", "client_key": None},
        {"client_auth": "client_secret_jwt"},
        {"cache_ttl": -1},
        {"timeout": 0},
    ],
)
def test_a_bad_setting_is_refused_at_start_up(idp: IdP, options: dict[str, Any]) -> None:
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **options}
    endpoint = options.pop("endpoint", idp.endpoint)
    with pytest.raises(ConfigurationError):
        IntrospectionAuthenticator(endpoint, **options)


def test_the_secret_is_never_in_a_repr(idp: IdP) -> None:
    assert CLIENT_SECRET not in repr(introspector(idp))
    assert CLIENT_ID in repr(introspector(idp))


def test_a_revoked_token_is_refused_within_the_cache_ttl_even_with_passports_cached(
    idp: IdP, ed_key: Key, edge_clock: ManualClock, mode: str
) -> None:
    # The mint cache must not stretch the authenticator's own freshness bound.
    idp.tokens[TOKEN] = active(exp=int(edge_clock.now) + 3600, iat=...)
    edge = Edge(
        Minter(KeyRing(ed_key), issuer="https://edge.test", clock=edge_clock),
        authenticators=[introspector(idp, clock=edge_clock, cache_ttl=60)],
        audiences=["orders", "billing"],
        clock=edge_clock,
    )
    bearer = EdgeRequest.from_headers({"Authorization": f"Bearer {TOKEN}"})

    def mint(audience: str) -> bool:
        if mode == "sync":
            return edge.mint(bearer, audience).cached
        return asyncio.run(edge.amint(bearer, audience)).cached

    assert not mint("orders")
    edge_clock.advance(30)
    assert mint("orders")
    assert not mint("billing")  # from the remembered answer: reusable for what is left of it
    idp.tokens[TOKEN] = {"active": False}  # revoked at the server
    edge_clock.advance(30)
    for audience in ("orders", "billing"):
        with pytest.raises(InvalidCredential):
            mint(audience)
    assert idp.introspections() == 3  # once for the passports, then once per refusal


def test_an_introspection_without_an_audience_warns_that_any_api_s_token_passes(
    idp: IdP, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="passport_core.edge"):
        introspector(idp)
    assert "accepts any active token" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="passport_core.edge"):
        introspector(idp, audience="https://api.test")
    assert "accepts any active token" not in caplog.text


def test_a_waiter_learns_the_leaders_failure_with_all_its_details() -> None:
    """Threads sharing one question get their own copy of its error, details and all."""
    leader = IdentityProviderUnavailable("the key server did not answer", retry_after=3)
    try:
        raise leader
    except IdentityProviderUnavailable:
        pass
    waiter = _again(leader)
    assert waiter is not leader
    assert (type(waiter), waiter.message, waiter.retry_after) == (
        IdentityProviderUnavailable,
        leader.message,
        3,
    )
    assert waiter.__traceback__ is None
