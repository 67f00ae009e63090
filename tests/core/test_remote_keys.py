"""Remote key sources against real HTTP servers on 127.0.0.1.

Caching, refresh on an unknown ``kid``, one fetch in flight across threads and
event loops, a refresh rate limit, stale-if-error, and hostile key servers.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from passport_core import (
    ConfigurationError,
    Key,
    KeyRing,
    KeysUnavailable,
    Minter,
    OIDCDiscovery,
    Passport,
    PassportError,
    RemoteJWKS,
    UnknownKey,
    Verifier,
    fetch_jwks,
    generate_key,
    problem_response,
)
from passport_core.http.urls import redacted
from passport_core.token.encoding import b64url_encode
from tests.core.conftest import (
    AUDIENCE,
    ISSUER,
    NOW,
    DripServer,
    Forge,
    JWKSServer,
    ManualClock,
    Reply,
    good_claims,
    good_header,
    rotate_now,
)

MODES = ["sync", "async"]
DISCOVERY = "/.well-known/openid-configuration"


def lookup(source: RemoteJWKS, kid: str, mode: str) -> Key | None:
    if mode == "async":
        return asyncio.run(source.aget_key(kid))
    return source.get_key(kid)


def verify(verifier: Verifier, token: str, mode: str) -> Passport:
    if mode == "async":
        return asyncio.run(verifier.averify(token))
    return verifier.verify(token)


def remote_verifier(source: RemoteJWKS, issuer: str = ISSUER) -> Verifier:
    return Verifier(keys=source, issuer=issuer, audience=AUDIENCE, clock=lambda: NOW)


def public_jwk(ring: KeyRing) -> dict[str, Any]:
    jwk: dict[str, Any] = ring.public_jwks()["keys"][0]
    return jwk


def weak_rsa_jwk() -> dict[str, Any]:
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 - the point: a weak key is refused
    numbers = weak.public_key().public_numbers()
    return {
        "kty": "RSA",
        "kid": "weak",
        "alg": "RS256",
        "n": b64url_encode(numbers.n.to_bytes(128, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }


def other_key(kid: str) -> dict[str, Any]:
    return generate_key("EdDSA", kid=kid).to_jwk()


#: replies no key source may accept; each makes a fetch fail with KeysUnavailable
HOSTILE: dict[str, Callable[[KeyRing], Reply]] = {
    "http-500": lambda ring: Reply(status=500, body=b"internal error"),
    "http-404": lambda ring: Reply(status=404, body=b"not found"),
    "redirect": lambda ring: Reply(status=302, headers={"Location": "/elsewhere.json"}),
    "html": lambda ring: Reply(body=b"<html><body>maintenance</body></html>"),
    "not-utf8": lambda ring: Reply(body=b'{"keys": []}\xff'),
    "json-array": lambda ring: Reply.json([public_jwk(ring)]),
    "keys-not-a-list": lambda ring: Reply.json({"keys": public_jwk(ring)}),
    "no-keys": lambda ring: Reply.json({"keys": []}),
    "only-encryption-keys": lambda ring: Reply.json({"keys": [{**public_jwk(ring), "use": "enc"}]}),
    "key-ops-forbid-signing": lambda ring: Reply.json(
        {"keys": [{**public_jwk(ring), "key_ops": ["encrypt"]}]}
    ),
    "duplicate-member-names": lambda ring: Reply(
        body=b'{"keys": [], "keys": ' + json.dumps([public_jwk(ring)]).encode() + b"}"
    ),
    "deeply-nested": lambda ring: Reply(body=b'{"keys": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    "private-key": lambda ring: Reply.json({"keys": [ring.active.to_jwk(private=True)]}),
    "symmetric-key": lambda ring: Reply.json(
        {"keys": [generate_key("HS256", kid="hmac").to_jwk(private=True)]}
    ),
    "duplicate-kids": lambda ring: Reply.json({"keys": [other_key("dup"), other_key("dup")]}),
    "weak-rsa-key": lambda ring: Reply.json({"keys": [weak_rsa_jwk()]}),
    "oversized-declared": lambda ring: Reply.json(
        {"keys": [public_jwk(ring)], "padding": "x" * 300_000}
    ),
    "oversized-streamed": lambda ring: Reply(body=b" " * 65_536, repeat=64, length=False),
    "compressed": lambda ring: Reply(
        body=gzip.compress(json.dumps(ring.public_jwks()).encode()),
        headers={"Content-Encoding": "gzip"},
    ),
}


# -- the happy path and the cache ----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_verifies_a_minted_token_with_keys_from_the_url(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, mode: str
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring))
    passport = verify(remote_verifier(source), minter.mint("user-1", audience=AUDIENCE), mode)
    assert passport.subject == "user-1"
    assert jwks_server.hits() == 1
    assert [key.kid for key in source.keys] == [ring.active.kid]
    assert not any(key.is_private for key in source.keys)


@pytest.mark.parametrize("first", MODES)
def test_keys_are_cached_and_shared_by_sync_and_async_lookups(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, first: str
) -> None:
    verifier = remote_verifier(RemoteJWKS(jwks_server.set_jwks(ring)))
    token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, token, first)
    for mode in MODES * 3:
        assert verify(verifier, token, mode).subject == "user-1"
    assert jwks_server.hits() == 1


def test_keys_are_fetched_again_after_the_ttl_and_on_refresh(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring), cache_ttl=600, clock=manual_clock)
    verifier = remote_verifier(source)
    token = minter.mint("user-1", audience=AUDIENCE)
    verifier.verify(token)
    manual_clock.advance(599)
    verifier.verify(token)
    assert jwks_server.hits() == 1
    manual_clock.advance(2)
    verifier.verify(token)
    assert jwks_server.hits() == 2
    source.refresh()
    asyncio.run(source.arefresh())
    assert jwks_server.hits() == 4


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_kid_refreshes_once_and_finds_the_rotated_key(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    verifier = remote_verifier(RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock))
    old_token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, old_token, mode)
    manual_clock.advance(31)
    ring.prepare()  # an immediate rotation: this test is about what follows
    ring.promote(force=True)
    jwks_server.set_jwks(ring)
    new_token = minter.mint("user-2", audience=AUDIENCE)
    assert verify(verifier, new_token, mode).subject == "user-2"
    assert jwks_server.hits() == 2
    assert verify(verifier, old_token, mode).subject == "user-1"
    assert verify(verifier, new_token, mode).subject == "user-2"
    assert jwks_server.hits() == 2


@pytest.mark.parametrize("mode", MODES)
def test_random_unknown_kids_fetch_at_most_once_per_unknown_kid_interval(
    jwks_server: JWKSServer,
    ring: KeyRing,
    ed_key: Key,
    minter: Minter,
    forge: Forge,
    manual_clock: ManualClock,
    mode: str,
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring), unknown_kid_interval=5, clock=manual_clock)
    verifier = remote_verifier(source)
    verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode)

    def random_kid_token(i: int) -> str:
        return forge(good_header(ed_key, kid=f"random-{i}"), good_claims(), ed_key)

    # 200 random kids over 20 s: one fetch per 5 s at most, whatever the kids. A kid
    # still missing after a fetch is a 401; one between fetches a 503 "retry shortly".
    refused: list[PassportError] = []
    for i in range(200):
        manual_clock.advance(0.1)
        with pytest.raises((UnknownKey, KeysUnavailable)) as caught:
            verify(verifier, random_kid_token(i), mode)
        refused.append(caught.value)
    assert 2 <= jwks_server.hits() <= 1 + 4
    assert 1 <= sum(isinstance(e, UnknownKey) for e in refused) <= 4
    for error in refused:
        if isinstance(error, KeysUnavailable):
            assert error.retry_after is not None
            assert 1 <= error.retry_after <= 5


@pytest.mark.parametrize("mode", MODES)
def test_a_kid_found_missing_is_not_looked_up_again_for_min_refresh_interval(
    jwks_server: JWKSServer,
    ring: KeyRing,
    ed_key: Key,
    forge: Forge,
    manual_clock: ManualClock,
    mode: str,
) -> None:
    source = RemoteJWKS(
        jwks_server.set_jwks(ring),
        unknown_kid_interval=1,
        min_refresh_interval=30,
        clock=manual_clock,
    )
    verifier = remote_verifier(source)
    gone = forge(good_header(ed_key, kid="withdrawn"), good_claims(), ed_key)
    # The same unknown kid every second for a minute: one fetch per 30 s (negative cache).
    for _ in range(60):
        with pytest.raises(UnknownKey):
            verify(verifier, gone, mode)
        manual_clock.advance(1)
    assert jwks_server.hits() == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_rotated_key_is_verified_within_the_unknown_kid_interval(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    # Default options: the promise is "within unknown_kid_interval (5 s)", not 30 s.
    source = RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock)
    verifier = remote_verifier(source)
    verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode)
    manual_clock.advance(1)
    rotate_now(ring)
    jwks_server.set_jwks(ring)
    token = minter.mint("user-2", audience=AUDIENCE)
    # The first unknown kid after a scheduled fetch is fetched for at once.
    assert verify(verifier, token, mode).subject == "user-2"
    assert jwks_server.hits() == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_new_kid_right_after_a_fetch_for_another_unknown_kid_is_a_503_never_a_401(
    jwks_server: JWKSServer,
    ring: KeyRing,
    ed_key: Key,
    minter: Minter,
    forge: Forge,
    manual_clock: ManualClock,
    mode: str,
) -> None:
    # An issuer that signs with a key the moment it publishes it (Cloudflare Access),
    # just after a stray kid spent this interval's fetch: a 503 to retry, never a 401.
    source = RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock)
    verifier = remote_verifier(source)
    verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode)
    manual_clock.advance(10)
    with pytest.raises(UnknownKey):  # fetched for, still missing: a 401
        verify(verifier, forge(good_header(ed_key, kid="stray"), good_claims(), ed_key), mode)
    manual_clock.advance(1)
    rotate_now(ring)
    jwks_server.set_jwks(ring)
    token = minter.mint("user-2", audience=AUDIENCE)
    with pytest.raises(KeysUnavailable) as caught:
        verify(verifier, token, mode)
    assert caught.value.retry_after == 4  # the rest of the 5 s interval
    assert problem_response(caught.value).headers["Retry-After"] == "4"
    manual_clock.advance(caught.value.retry_after)
    assert verify(verifier, token, mode).subject == "user-2"
    assert jwks_server.hits() == 3


@pytest.mark.parametrize("mode", MODES)
def test_a_key_withdrawn_by_a_fetch_is_a_401_at_once(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock)
    verifier = remote_verifier(source)
    old = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, old, mode)
    old_kid = ring.active.kid
    rotate_now(ring)
    ring.retire(old_kid, force=True)
    jwks_server.set_jwks(ring)
    source.refresh()
    with pytest.raises(UnknownKey):
        verify(verifier, old, mode)
    assert jwks_server.hits() == 2


# -- one fetch in flight ------------------------------------------------------------


def test_first_use_from_20_threads_fetches_once(jwks_server: JWKSServer, ring: KeyRing) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring, delay=0.2))
    barrier = threading.Barrier(20)
    found: list[Key | None] = []

    def use() -> None:
        barrier.wait(timeout=5)
        found.append(source.get_key(ring.active.kid))

    threads = [threading.Thread(target=use) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(found) == 20
    assert all(key is not None and key.kid == ring.active.kid for key in found)
    assert jwks_server.hits() == 1


def test_concurrent_averify_calls_fetch_once(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter
) -> None:
    verifier = remote_verifier(RemoteJWKS(jwks_server.set_jwks(ring, delay=0.2)))
    token = minter.mint("user-1", audience=AUDIENCE)

    async def main() -> list[Passport]:
        return await asyncio.gather(*(verifier.averify(token) for _ in range(50)))

    passports = asyncio.run(main())
    assert [passport.subject for passport in passports] == ["user-1"] * 50
    assert jwks_server.hits() == 1


def test_threads_and_event_loops_share_one_fetch(jwks_server: JWKSServer, ring: KeyRing) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring, delay=0.3))
    kid = ring.active.kid
    barrier = threading.Barrier(8)
    found: list[Key | None] = []

    async def many() -> list[Key | None]:
        return await asyncio.gather(*(source.aget_key(kid) for _ in range(5)))

    def use(mode: str) -> None:
        barrier.wait(timeout=5)
        found.extend(asyncio.run(many()) if mode == "async" else [source.get_key(kid)])

    threads = [threading.Thread(target=use, args=(MODES[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(found) == 4 + 4 * 5
    assert all(key is not None and key.kid == kid for key in found)
    assert jwks_server.hits() == 1


def test_a_cancelled_fetch_does_not_hold_up_the_next_lookup(
    jwks_server: JWKSServer, ring: KeyRing
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring, delay=0.3))
    kid = ring.active.kid

    async def main() -> Key | None:
        task = asyncio.create_task(source.aget_key(kid))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await source.aget_key(kid)

    key = asyncio.run(main())
    assert key is not None
    assert key.kid == kid
    assert jwks_server.hits() == 2


# -- the key server fails ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_cached_keys_serve_while_the_server_is_down(
    jwks_server: JWKSServer,
    ring: KeyRing,
    ed_key: Key,
    minter: Minter,
    forge: Forge,
    manual_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    verifier = remote_verifier(RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock))
    token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, token, mode)
    jwks_server.stop()
    manual_clock.advance(3600)  # long past the TTL: the keys are stale
    stranger = forge(good_header(ed_key, kid="rotated?"), good_claims(), ed_key)
    with caplog.at_level(logging.DEBUG, logger="passport_core"):
        assert verify(verifier, token, mode).subject == "user-1"
        # An unknown kid while the key server fails is a 503: it may be a rotation the
        # service cannot see, so it could not check (issue 7).
        with pytest.raises(KeysUnavailable) as caught:
            verify(verifier, stranger, mode)
        assert caught.value.status == 503
    assert "unavailable" in caplog.text
    assert token not in caplog.text
    assert stranger not in caplog.text
    assert public_jwk(ring)["x"] not in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_no_cache_and_a_refused_connection_is_a_503_at_once(
    closed_port_url: str, minter: Minter, mode: str
) -> None:
    verifier = remote_verifier(RemoteJWKS(closed_port_url))
    token = minter.mint("user-1", audience=AUDIENCE)
    started = time.monotonic()
    with pytest.raises(KeysUnavailable) as caught:
        verify(verifier, token, mode)
    assert time.monotonic() - started < 1.0
    assert caught.value.status == 503
    assert caught.value.code == "keys_unavailable"
    assert token not in caught.value.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "reply",
    [Reply(delay=2.0), Reply(body=b'{"keys": []}' + b" " * 60, drip=0.1)],
    ids=["hangs", "drips"],
)
def test_a_slow_server_times_out(
    jwks_server: JWKSServer, ring: KeyRing, reply: Reply, mode: str
) -> None:
    jwks_server.set("/jwks.json", reply)
    source = RemoteJWKS(jwks_server.url(), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(KeysUnavailable, match=r"did not answer within 0\.5 s"):
        lookup(source, ring.active.kid, mode)
    assert 0.4 < time.monotonic() - started < 1.5


# -- hostile key servers -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_reply_with_no_cache_is_keys_unavailable(
    jwks_server: JWKSServer, ring: KeyRing, hostile: str, mode: str
) -> None:
    jwks_server.set("/jwks.json", HOSTILE[hostile](ring))
    source = RemoteJWKS(jwks_server.url())
    with pytest.raises(KeysUnavailable) as caught:
        lookup(source, ring.active.kid, mode)
    assert caught.value.status == 503
    assert source.keys == ()
    assert jwks_server.hits("/elsewhere.json") == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_reply_keeps_the_previous_keys(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, hostile: str, mode: str
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring))
    verifier = remote_verifier(source)
    token = minter.mint("user-1", audience=AUDIENCE)
    verifier.verify(token)
    jwks_server.set("/jwks.json", HOSTILE[hostile](ring))
    with pytest.raises(KeysUnavailable):
        source.refresh() if mode == "sync" else asyncio.run(source.arefresh())
    assert [key.kid for key in source.keys] == [ring.active.kid]
    assert verify(verifier, token, mode).subject == "user-1"


def test_private_key_material_never_reaches_errors_or_logs(
    jwks_server: JWKSServer, ring: KeyRing, caplog: pytest.LogCaptureFixture
) -> None:
    private = ring.active.to_jwk(private=True)
    jwks_server.set_jwks({"keys": [private]})
    with (
        caplog.at_level(logging.DEBUG, logger="passport_core"),
        pytest.raises(KeysUnavailable) as caught,
    ):
        RemoteJWKS(jwks_server.url()).get_key(ring.active.kid)
    assert "private" in caught.value.message
    assert private["d"] not in caught.value.message
    assert private["d"] not in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_to_another_origin_is_not_followed(
    start_jwks_server: Callable[[], JWKSServer], ring: KeyRing, mode: str
) -> None:
    origin, other = start_jwks_server(), start_jwks_server()
    origin.set("/jwks.json", Reply(status=302, headers={"Location": other.set_jwks(ring)}))
    with pytest.raises(KeysUnavailable, match="redirect"):
        lookup(RemoteJWKS(origin.url()), ring.active.kid, mode)
    assert origin.hits() == 1
    assert other.hits() == 0


# -- OIDC discovery ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("issuer_path", ["", "/", "/realms/main"])
def test_oidc_discovery_finds_the_issuers_keys(
    jwks_server: JWKSServer,
    ring: KeyRing,
    clock: Callable[[], float],
    manual_clock: ManualClock,
    issuer_path: str,
    mode: str,
) -> None:
    issuer = jwks_server.base_url + issuer_path
    jwks_uri = jwks_server.set_jwks(ring, path="/keys/jwks.json")
    discovery_path = issuer_path.rstrip("/") + DISCOVERY
    jwks_server.set(discovery_path, Reply.json({"issuer": issuer, "jwks_uri": jwks_uri}))
    source = OIDCDiscovery(issuer, clock=manual_clock)
    verifier = remote_verifier(source, issuer)
    minter = Minter(ring, issuer=issuer, clock=clock)
    assert verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode).issuer == issuer
    assert source.jwks_uri == jwks_uri
    assert jwks_server.hits(discovery_path) == 1
    assert jwks_server.hits("/keys/jwks.json") == 1
    # A rotation refreshes the JWKS only; the discovery document is reused within its TTL.
    manual_clock.advance(31)
    ring.prepare()  # an immediate rotation: this test is about what follows
    ring.promote(force=True)
    jwks_server.set_jwks(ring, path="/keys/jwks.json")
    assert verify(verifier, minter.mint("user-2", audience=AUDIENCE), mode).subject == "user-2"
    assert jwks_server.hits(discovery_path) == 1
    assert jwks_server.hits("/keys/jwks.json") == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("document", "why"),
    [
        ({"issuer": "https://evil.example", "jwks_uri": "{keys}"}, "another issuer"),
        ({"issuer": "{issuer}/", "jwks_uri": "{keys}"}, "another issuer"),
        ({"jwks_uri": "{keys}"}, "another issuer"),
        ({"issuer": "{issuer}"}, "jwks_uri"),
        ({"issuer": "{issuer}", "jwks_uri": ["{keys}"]}, "jwks_uri"),
        ({"issuer": "{issuer}", "jwks_uri": "file:///etc/jwks.json"}, "jwks_uri"),
        ({"issuer": "{issuer}", "jwks_uri": "http://keys.example/jwks.json"}, "jwks_uri"),
        ("not a document", "not a JSON object"),
    ],
    ids=[
        "other-issuer",
        "issuer-trailing-slash",
        "no-issuer",
        "no-jwks-uri",
        "jwks-uri-not-a-string",
        "jwks-uri-file",
        "jwks-uri-plain-http",
        "not-an-object",
    ],
)
def test_oidc_discovery_refuses_a_bad_document(
    jwks_server: JWKSServer, ring: KeyRing, document: Any, why: str, mode: str
) -> None:
    issuer = jwks_server.base_url
    keys_url = jwks_server.set_jwks(ring)
    text = json.dumps(document).replace("{issuer}", issuer).replace("{keys}", keys_url)
    jwks_server.set(DISCOVERY, Reply(body=text.encode()))
    source = OIDCDiscovery(issuer)
    with pytest.raises(KeysUnavailable, match=why):
        lookup(source, ring.active.kid, mode)
    assert source.jwks_uri is None
    assert jwks_server.hits("/jwks.json") == 0


# -- configuration and the one-shot fetch ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://keys.example/jwks.json",
        "http://10.0.0.1/jwks.json",
        "ftp://127.0.0.1/jwks.json",
        "file:///etc/jwks.json",
        "/jwks.json",
        "https://",
        "",
    ],
)
def test_only_https_or_loopback_urls_are_accepted(url: str) -> None:
    with pytest.raises(ConfigurationError):
        RemoteJWKS(url)
    with pytest.raises(ConfigurationError):
        OIDCDiscovery(url)
    with pytest.raises(ConfigurationError):
        fetch_jwks(url)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("url", "http://keys.example/jwks.json"), ("allow_insecure", True)],
)
@pytest.mark.parametrize("source", [RemoteJWKS, OIDCDiscovery])
def test_the_url_checked_at_construction_cannot_be_replaced_later(
    source: type[RemoteJWKS], attribute: str, value: object
) -> None:
    """A URL assigned later would be fetched without the https check: there is none to assign."""
    keys = source("https://keys.example")
    with pytest.raises(AttributeError):
        setattr(keys, attribute, value)
    assert keys.url.startswith("https://keys.example")
    assert keys.allow_insecure is False


def test_a_discovery_s_issuer_cannot_be_replaced_later() -> None:
    discovery = OIDCDiscovery("https://idp.example")
    with pytest.raises(AttributeError):
        discovery.issuer = "https://other.example"  # type: ignore[misc]
    assert discovery.issuer == "https://idp.example"


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("https://keys.example/jwks.json", {}),
        ("http://127.0.0.1:8080/jwks.json", {}),
        ("http://[::1]:8080/jwks.json", {}),
        ("http://localhost:8080/jwks.json", {}),
        ("http://keys.internal/jwks.json", {"allow_insecure": True}),
    ],
)
def test_https_loopback_and_explicitly_insecure_urls_are_accepted(
    url: str, options: dict[str, Any]
) -> None:
    assert RemoteJWKS(url, **options).keys == ()


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": float("nan")},
        {"timeout": True},
        {"timeout": "3"},
        {"timeout": 10**400},  # too large for a float: refused, not an OverflowError
        {"cache_ttl": 0},
        {"cache_ttl": 10**400},
        {"max_stale": "1 day"},
        {"unknown_kid_interval": True},
        {"min_refresh_interval": -1},
        {"max_bytes": 100},
    ],
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RemoteJWKS("https://keys.example/jwks.json", **options)


def test_an_issuer_with_a_query_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        OIDCDiscovery("https://login.example/?tenant=a")


def test_fetch_jwks_fetches_once_without_a_cache(
    jwks_server: JWKSServer, ring: KeyRing, closed_port_url: str
) -> None:
    url = jwks_server.set_jwks(ring)
    assert [key.kid for key in fetch_jwks(url)] == [ring.active.kid]
    assert [key.kid for key in fetch_jwks(url)] == [ring.active.kid]
    assert jwks_server.hits() == 2
    with pytest.raises(KeysUnavailable):
        fetch_jwks(closed_port_url)
    jwks_server.set("/jwks.json", HOSTILE["private-key"](ring))
    with pytest.raises(KeysUnavailable):
        fetch_jwks(url)


def test_a_callers_transports_are_used_and_left_open(
    jwks_server: JWKSServer, ring: KeyRing
) -> None:
    transport, async_transport = httpx.HTTPTransport(), httpx.AsyncHTTPTransport()
    source = RemoteJWKS(
        jwks_server.set_jwks(ring), transport=transport, async_transport=async_transport
    )
    try:
        for _ in range(2):
            source.refresh()
            asyncio.run(source.arefresh())
        assert jwks_server.hits() == 4
        with httpx.Client(transport=transport) as client:
            assert client.get(jwks_server.url()).status_code == 200
    finally:
        transport.close()
        asyncio.run(async_transport.aclose())


# -- the whole exchange is bounded, headers included (issue 6) -----------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("own_transport", [False, True], ids=["built-in", "callers-transport"])
def test_a_server_dripping_its_headers_times_out_within_the_timeout(
    drip_server: DripServer, mode: str, own_transport: bool
) -> None:
    # Each header byte arrives well within the per-read timeout: only a deadline over the
    # whole exchange stops this server holding the request for its full 8 s.
    transport, async_transport = httpx.HTTPTransport(), httpx.AsyncHTTPTransport()
    options: dict[str, Any] = (
        {"transport": transport, "async_transport": async_transport} if own_transport else {}
    )
    source = RemoteJWKS(drip_server.url, timeout=1.0, **options)
    try:
        started = time.monotonic()
        with pytest.raises(KeysUnavailable, match=r"did not answer within 1 s"):
            lookup(source, "any", mode)
        assert time.monotonic() - started < 1.5
        assert drip_server.connections == 1
    finally:
        transport.close()
        asyncio.run(async_transport.aclose())


# -- concurrent lookups on a cold cache share one attempt (issue 6) ------------------------


def test_threads_on_a_cold_cache_and_a_hanging_server_fail_together_within_the_timeout(
    jwks_server: JWKSServer,
) -> None:
    jwks_server.set("/jwks.json", Reply(delay=4.0))
    source = RemoteJWKS(jwks_server.url(), timeout=1.0)
    barrier = threading.Barrier(12)
    outcomes: list[tuple[str, float]] = []

    def use() -> None:
        barrier.wait(timeout=5)
        started = time.monotonic()
        try:
            source.get_key("any")
            outcomes.append(("found", time.monotonic() - started))
        except KeysUnavailable as exc:
            outcomes.append((exc.code, time.monotonic() - started))

    threads = [threading.Thread(target=use) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert [code for code, _ in outcomes] == ["keys_unavailable"] * 12
    assert max(elapsed for _, elapsed in outcomes) < 1.5
    assert jwks_server.hits() == 1


def test_tasks_on_a_cold_cache_and_a_hanging_server_fail_together_within_the_timeout(
    jwks_server: JWKSServer,
) -> None:
    jwks_server.set("/jwks.json", Reply(delay=4.0))
    source = RemoteJWKS(jwks_server.url(), timeout=1.0)

    async def use() -> float:
        started = time.monotonic()
        with pytest.raises(KeysUnavailable):
            await source.aget_key("any")
        return time.monotonic() - started

    async def main() -> list[float]:
        return await asyncio.gather(*(use() for _ in range(12)))

    elapsed = asyncio.run(main())
    assert len(elapsed) == 12
    assert max(elapsed) < 1.5
    assert jwks_server.hits() == 1


# -- bounded stale-if-error (issue 6) ------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_stale_keys_serve_for_max_stale_then_fail_closed_and_recover(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    url = jwks_server.set_jwks(ring)
    source = RemoteJWKS(url, cache_ttl=600, max_stale=3600, clock=manual_clock)
    verifier = remote_verifier(source)
    token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, token, mode)
    jwks_server.set("/jwks.json", Reply(status=500, body=b"down"))
    manual_clock.advance(600 + 3599)  # stale, within max_stale
    assert verify(verifier, token, mode).subject == "user-1"
    manual_clock.advance(2)  # past max_stale: the cache no longer answers
    with pytest.raises(KeysUnavailable) as caught:
        verify(verifier, token, mode)
    assert caught.value.status == 503
    assert "too old" in caught.value.message
    jwks_server.set_jwks(ring)
    manual_clock.advance(5)
    assert verify(verifier, token, mode).subject == "user-1"


def test_max_stale_has_a_bounded_default_and_is_checked() -> None:
    assert RemoteJWKS("https://keys.example/jwks.json").max_stale == 24 * 3600
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ConfigurationError, match="max_stale"):
            RemoteJWKS("https://keys.example/jwks.json", max_stale=bad)


@pytest.mark.parametrize("mode", MODES)
def test_max_stale_zero_fails_closed_as_soon_as_a_refresh_fails(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring), max_stale=0, clock=manual_clock)
    verifier = remote_verifier(source)
    token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, token, mode)
    jwks_server.set("/jwks.json", Reply(status=500, body=b"down"))
    manual_clock.advance(601)
    with pytest.raises(KeysUnavailable):
        verify(verifier, token, mode)


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_kid_while_the_server_answers_is_a_401_and_while_it_fails_a_503(
    jwks_server: JWKSServer,
    ring: KeyRing,
    ed_key: Key,
    minter: Minter,
    forge: Forge,
    manual_clock: ManualClock,
    mode: str,
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring), clock=manual_clock)
    verifier = remote_verifier(source)
    verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode)
    manual_clock.advance(6)
    with pytest.raises(UnknownKey):
        verify(verifier, forge(good_header(ed_key, kid="new-1"), good_claims(), ed_key), mode)
    jwks_server.set("/jwks.json", Reply(status=503, body=b"down"))
    manual_clock.advance(6)
    new = forge(good_header(ed_key, kid="new-2"), good_claims(), ed_key)
    with pytest.raises(KeysUnavailable) as caught:
        verify(verifier, new, mode)
    assert caught.value.code == "keys_unavailable"
    # Rate-limited (no new fetch) and still failing: the same answer, at once.
    with pytest.raises(KeysUnavailable):
        verify(verifier, forge(good_header(ed_key, kid="new-3"), good_claims(), ed_key), mode)
    assert jwks_server.hits() == 3


# -- freshness from the key server: Cache-Control, Age, ETag (issue 6) ---------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("headers", "fresh_for"),
    [
        ({}, 600),
        ({"Cache-Control": "public, max-age=120"}, 120),
        ({"Cache-Control": "max-age=5"}, 60),  # clamped up to min_cache_ttl
        ({"Cache-Control": "max-age=31536000"}, 3600),  # clamped down to max_cache_ttl
        ({"Cache-Control": "max-age=300", "Age": "100"}, 200),  # RFC 9111 §4.2.3
        ({"Cache-Control": "max-age=300", "Age": "290"}, 60),
        ({"Cache-Control": "no-cache"}, 60),
        ({"Cache-Control": "no-store"}, 60),
        ({"Cache-Control": "max-age=120, max-age=900"}, 60),  # duplicated: stale (§4.2.1)
        ({"Cache-Control": "max-age=soon"}, 60),  # invalid: stale
        ({"Cache-Control": 'max-age="120"'}, 120),
        ({"Cache-Control": "s-maxage=900, max-age=120"}, 120),  # s-maxage: shared caches
    ],
    ids=lambda value: str(value).replace(" ", ""),
)
def test_freshness_follows_cache_control_within_bounds(
    jwks_server: JWKSServer,
    ring: KeyRing,
    manual_clock: ManualClock,
    headers: dict[str, str],
    fresh_for: int,
    mode: str,
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring, headers=headers), clock=manual_clock)
    kid = ring.active.kid
    assert lookup(source, kid, mode) is not None
    manual_clock.advance(fresh_for - 1)
    assert lookup(source, kid, mode) is not None
    assert jwks_server.hits() == 1
    manual_clock.advance(2)
    assert lookup(source, kid, mode) is not None
    assert jwks_server.hits() == 2


def test_cache_bounds_are_configurable_and_checked(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock
) -> None:
    url = jwks_server.set_jwks(ring, headers={"Cache-Control": "max-age=0"})
    source = RemoteJWKS(url, min_cache_ttl=10, cache_ttl=20, max_cache_ttl=30, clock=manual_clock)
    source.get_key(ring.active.kid)
    manual_clock.advance(11)
    source.get_key(ring.active.kid)
    assert jwks_server.hits() == 2
    for options in (
        {"min_cache_ttl": 0},
        {"max_cache_ttl": float("inf")},
        {"min_cache_ttl": 700},  # above the default cache_ttl
        {"max_cache_ttl": 100},  # below the default cache_ttl
        {"unknown_kid_interval": -1},
    ):
        with pytest.raises(ConfigurationError):
            RemoteJWKS("https://keys.example/jwks.json", **options)


@pytest.mark.parametrize("mode", MODES)
def test_an_etag_revalidates_and_a_304_keeps_the_keys_fresh_again(
    jwks_server: JWKSServer, ring: KeyRing, minter: Minter, manual_clock: ManualClock, mode: str
) -> None:
    url = jwks_server.set_jwks(ring, headers={"Cache-Control": "max-age=120"}, etag='"v1"')
    source = RemoteJWKS(url, clock=manual_clock)
    verifier = remote_verifier(source)
    token = minter.mint("user-1", audience=AUDIENCE)
    verify(verifier, token, mode)
    manual_clock.advance(121)
    assert verify(verifier, token, mode).subject == "user-1"
    assert jwks_server.requests[1][1].get("if-none-match") == '"v1"'
    assert [key.kid for key in source.keys] == [ring.active.kid]
    manual_clock.advance(119)  # the 304 made the keys fresh for another max-age
    verify(verifier, token, mode)
    assert jwks_server.hits() == 2
    # A new set with a new ETag: the 200 replaces the keys.
    old_kid = ring.active.kid
    rotate_now(ring)
    jwks_server.set_jwks(ring, headers={"Cache-Control": "max-age=120"}, etag='"v2"')
    manual_clock.advance(2)
    verify(verifier, minter.mint("user-2", audience=AUDIENCE), mode)
    assert jwks_server.requests[2][1].get("if-none-match") == '"v1"'
    assert {key.kid for key in source.keys} == {old_kid, ring.active.kid}


@pytest.mark.parametrize("mode", MODES)
def test_no_store_keeps_no_etag(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock, mode: str
) -> None:
    url = jwks_server.set_jwks(ring, headers={"Cache-Control": "no-store"}, etag='"v1"')
    source = RemoteJWKS(url, clock=manual_clock)
    lookup(source, ring.active.kid, mode)
    manual_clock.advance(61)
    lookup(source, ring.active.kid, mode)
    assert jwks_server.hits() == 2
    assert all("if-none-match" not in headers for _, headers in jwks_server.requests)


def test_a_304_that_was_not_asked_for_is_refused(jwks_server: JWKSServer) -> None:
    jwks_server.set("/jwks.json", Reply(status=304))
    with pytest.raises(KeysUnavailable, match="HTTP 304"):
        RemoteJWKS(jwks_server.url()).get_key("any")


# -- OIDC discovery is not pinned to a failing jwks_uri (issue 6) ---------------------------


@pytest.mark.parametrize("mode", MODES)
def test_discovery_follows_a_fixed_document_when_the_jwks_uri_fails(
    jwks_server: JWKSServer,
    ring: KeyRing,
    clock: Callable[[], float],
    manual_clock: ManualClock,
    mode: str,
) -> None:
    issuer = jwks_server.base_url
    old_uri = jwks_server.set_jwks(ring, path="/old/jwks.json")
    jwks_server.set(DISCOVERY, Reply.json({"issuer": issuer, "jwks_uri": old_uri}))
    source = OIDCDiscovery(issuer, clock=manual_clock)
    verifier = remote_verifier(source, issuer)
    minter = Minter(ring, issuer=issuer, clock=clock)
    verify(verifier, minter.mint("user-1", audience=AUDIENCE), mode)
    # The issuer moves its keys and fixes its document; the old URL now fails.
    rotate_now(ring)
    new_uri = jwks_server.set_jwks(ring, path="/new/jwks.json")
    jwks_server.set("/old/jwks.json", Reply(status=404, body=b"gone"))
    jwks_server.set(DISCOVERY, Reply.json({"issuer": issuer, "jwks_uri": new_uri}))
    manual_clock.advance(6)  # well within the discovery document's 600 s
    assert verify(verifier, minter.mint("user-2", audience=AUDIENCE), mode).subject == "user-2"
    assert source.jwks_uri == new_uri
    assert jwks_server.hits(DISCOVERY) == 2
    assert jwks_server.hits("/old/jwks.json") == 2
    assert jwks_server.hits("/new/jwks.json") == 1


@pytest.mark.parametrize("mode", MODES)
def test_discovery_with_a_broken_jwks_uri_recovers_on_the_next_attempt(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock, mode: str
) -> None:
    issuer = jwks_server.base_url
    jwks_server.set(
        DISCOVERY, Reply.json({"issuer": issuer, "jwks_uri": jwks_server.url("/broken.json")})
    )
    source = OIDCDiscovery(issuer, clock=manual_clock)
    with pytest.raises(KeysUnavailable):
        lookup(source, ring.active.kid, mode)
    good = jwks_server.set_jwks(ring, path="/keys.json")
    jwks_server.set(DISCOVERY, Reply.json({"issuer": issuer, "jwks_uri": good}))
    manual_clock.advance(1.5)
    assert lookup(source, ring.active.kid, mode) is not None
    # A failing jwks_uri that the document still names costs one discovery per attempt.
    assert jwks_server.hits(DISCOVERY) == 2
    assert jwks_server.hits("/broken.json") == 2


# -- credentials in the URL never reach a log (issue 6) -------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_url_credentials_go_in_a_header_and_no_secret_reaches_any_log(
    jwks_server: JWKSServer,
    ring: KeyRing,
    manual_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    jwks_server.set_jwks(ring)
    url = jwks_server.base_url.replace("://", "://svc:pw-s3cr3t@") + "/jwks.json?key=q-s3cr3t"
    jwks_server.set("/jwks.json?key=q-s3cr3t", Reply.json(ring.public_jwks()))
    source = RemoteJWKS(url, clock=manual_clock)
    with caplog.at_level(logging.DEBUG):  # the root logger: httpx, httpcore, everyone
        assert lookup(source, ring.active.kid, mode) is not None
        jwks_server.set("/jwks.json?key=q-s3cr3t", Reply(status=500, body=b"down"))
        manual_clock.advance(601)
        lookup(source, ring.active.kid, mode)  # fails, logs a warning, serves stale
        with pytest.raises(KeysUnavailable) as caught:
            lookup(source, "unknown", mode)
    path, headers = jwks_server.requests[0]
    assert path == "/jwks.json?key=q-s3cr3t"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"svc:pw-s3cr3t").decode()
    assert caplog.records, "the test must see the library's own log lines"
    for text in (caplog.text, caught.value.message, repr(source)):
        assert "s3cr3t" not in text
    for record in caplog.records:
        assert "s3cr3t" not in record.getMessage()


# -- a large JWKS is parsed off the event loop (issue 6) ------------------------------------


def test_a_large_jwks_is_parsed_while_the_event_loop_keeps_running(
    jwks_server: JWKSServer, key_of_alg: Callable[[str], Key]
) -> None:
    rsa_jwk = key_of_alg("RS256").public().to_jwk()
    big = {"keys": [{**rsa_jwk, "kid": f"rsa-{i}"} for i in range(8000)]}
    url = jwks_server.set_jwks(big)
    max_bytes = 8 * 1024 * 1024
    source = RemoteJWKS(url, max_bytes=max_bytes, timeout=10)

    async def main() -> tuple[Key | None, float, float]:
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.monotonic()
        key = await source.aget_key("rsa-7999")
        took = time.monotonic() - started
        stop.set()
        await task
        return key, max(gaps), took

    key, longest_gap, took = asyncio.run(main())
    assert key is not None
    # Parsed on the loop, one stall would fill most of the lookup (the parse is most of
    # its time); off the loop the ticker keeps ticking throughout. A ratio, not a time:
    # both sides stretch alike on a loaded machine.
    assert longest_gap < took / 2, (longest_gap, took)


def test_only_the_lookup_leading_a_refresh_waits_when_stale_keys_can_answer(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock
) -> None:
    kid = ring.active.kid
    source = RemoteJWKS(jwks_server.set_jwks(ring), timeout=1.0, clock=manual_clock)
    assert source.get_key(kid) is not None
    jwks_server.set("/jwks.json", Reply(delay=3.0))
    manual_clock.advance(601)
    leader = threading.Thread(target=source.get_key, args=(kid,))
    leader.start()
    deadline = time.monotonic() + 5
    while jwks_server.hits() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    found = [source.get_key(kid), asyncio.run(source.aget_key(kid))]
    assert time.monotonic() - started < 0.5
    assert all(key is not None and key.kid == kid for key in found)
    leader.join(timeout=5)
    assert not leader.is_alive()
    assert jwks_server.hits() == 2


# -- review: hostile header values and host names never escape as a 500 ----------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "headers",
    [
        {"Cache-Control": "max-age=\u00b2"},  # str.isdigit() is True, float() refuses it
        {"Cache-Control": "max-age=60", "Age": "\u00b9"},
        {"Cache-Control": "max-age=120", "Age": "9" * 5000},  # int() refuses 4300+ digits
    ],
    ids=["max-age", "age", "huge-age"],
)
def test_non_ascii_digits_in_cache_headers_make_the_answer_stale_not_a_crash(
    jwks_server: JWKSServer,
    ring: KeyRing,
    manual_clock: ManualClock,
    headers: dict[str, str],
    mode: str,
) -> None:
    source = RemoteJWKS(jwks_server.set_jwks(ring, headers=headers), clock=manual_clock)
    assert lookup(source, ring.active.kid, mode) is not None
    # A bad value makes the answer stale (RFC 9111 §4.2.1): kept for min_cache_ttl only.
    manual_clock.advance(61)
    assert lookup(source, ring.active.kid, mode) is not None
    assert jwks_server.hits() == 2


def test_a_host_name_the_resolver_cannot_encode_is_keys_unavailable() -> None:
    # An empty or over-long label makes socket.getaddrinfo raise UnicodeError, not OSError.
    for host in ("a..example", "a" * 64 + ".example"):
        source = RemoteJWKS(f"https://{host}/jwks.json")
        with pytest.raises(KeysUnavailable):
            source.get_key("any")


@pytest.mark.parametrize("mode", MODES)
def test_a_non_ascii_etag_is_not_sent_back_and_the_keys_still_refresh(
    jwks_server: JWKSServer, ring: KeyRing, manual_clock: ManualClock, mode: str
) -> None:
    # httpx refuses a non-ASCII header value with UnicodeEncodeError: an If-None-Match
    # echoing it made every refresh (and so every lookup once stale) escape as a 500.
    url = jwks_server.set_jwks(ring, headers={"Cache-Control": "max-age=60"}, etag='"caf\u00e9"')
    source = RemoteJWKS(url, clock=manual_clock)
    assert lookup(source, ring.active.kid, mode) is not None
    manual_clock.advance(61)
    assert lookup(source, ring.active.kid, mode) is not None
    assert jwks_server.hits() == 2
    assert all("if-none-match" not in headers for _, headers in jwks_server.requests)


def test_every_address_of_a_name_is_tried_as_the_system_resolver_orders_them(
    jwks_server: JWKSServer, ring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name with several addresses (dual-stack A + AAAA, several A records): when the
    # first refuses, the next is tried, as socket.create_connection (httpx's default) does.
    import socket  # noqa: PLC0415

    port = int(jwks_server.base_url.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "keys.test":
            return real(host, *args, **kwargs)
        stream = socket.SOCK_STREAM
        return [
            (socket.AF_INET, stream, 6, "", ("127.0.0.2", port)),  # nothing listens there
            (socket.AF_INET, stream, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    jwks_server.set_jwks(ring)
    source = RemoteJWKS(f"http://keys.test:{port}/jwks.json", allow_insecure=True)
    assert source.get_key(ring.active.kid) is not None


class _BrokenTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A caller's transport with a bug: it raises what no transport should."""

    def __init__(self) -> None:
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise ValueError("a bug in the transport")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise ValueError("a bug in the transport")


@pytest.mark.parametrize("mode", MODES)
def test_an_unexpected_error_in_a_fetch_is_a_failed_fetch_not_a_500_on_every_request(
    manual_clock: ManualClock, mode: str
) -> None:
    # Anything a fetch raises besides KeysUnavailable used to count as an interrupted
    # fetch: it escaped as a 500 and reset the retry limit, so every request fetched again.
    broken = _BrokenTransport()
    source = RemoteJWKS(
        "https://keys.example/jwks.json",
        transport=broken,
        async_transport=broken,
        clock=manual_clock,
    )
    for _ in range(3):
        with pytest.raises(KeysUnavailable, match="ValueError"):
            lookup(source, "any", mode)
    assert broken.calls == 1


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@[::1]:8080/jwks.json?token=x", "http://[::1]:8080/jwks.json"),
        ("https://keys.example/jwks.json?sig=x", "https://keys.example/jwks.json"),
    ],
)
def test_urls_in_logs_carry_no_secret_and_keep_ipv6_brackets(url: str, shown: str) -> None:
    assert redacted(httpx.URL(url)) == shown


def test_oidc_discovery_takes_every_remote_jwks_option_with_the_same_default() -> None:
    # OIDCDiscovery spells out RemoteJWKS's options (typed, for users' editors): a new
    # option added to one and not the other would silently be missing from discovery.
    def options(cls: type) -> list[tuple[str, object]]:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[2:]
        return [(p.name, p.default) for p in parameters]

    assert options(OIDCDiscovery) == options(RemoteJWKS)
