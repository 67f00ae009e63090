"""The Edge: which credential decides, the passport it mints, the cache, drops and actions."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from passport_core import (
    APIKeyAuthenticator,
    Audience,
    ClaimMapping,
    ConfigurationError,
    DuplicateToken,
    Edge,
    EdgeRequest,
    FunctionEnricher,
    Identity,
    IdentityProviderUnavailable,
    InvalidCredential,
    KeyRing,
    MintCache,
    Minted,
    Minter,
    MintingError,
    MissingCredential,
    PassportAction,
    PassportAuth,
    PassportError,
    PassportTooLarge,
    PermissionDenied,
    Verifier,
    fingerprint,
    minted_passport,
)
from passport_core.token.encoding import b64url_decode
from tests.core.conftest import ManualClock
from tests.core.edge.conftest import ALICE_KEY, BOB_KEY, KeyTable, MakeEdge, Mint, request, with_key

VerifierFor = Callable[[str], Verifier]


def unverified_header(token: str) -> dict[str, Any]:
    return dict(json.loads(b64url_decode(token.partition(".")[0])))


def test_a_valid_key_gets_a_passport_for_the_default_audience(
    make_edge: MakeEdge, mint: Mint, edge_verifier: VerifierFor
) -> None:
    minted = mint(make_edge(), with_key())
    passport = edge_verifier("orders").verify(minted.token)
    assert (passport.subject, minted.subject, minted.audience) == ("alice", "alice", "orders")
    assert minted.cached is False
    assert minted.omitted == ()


def test_each_audience_gets_its_own_passport(
    make_edge: MakeEdge, mint: Mint, edge_verifier: VerifierFor
) -> None:
    edge = make_edge()
    orders, billing = mint(edge, with_key(), "orders"), mint(edge, with_key(), "billing")
    assert edge_verifier("billing").verify(billing.token).audience == ("billing",)
    assert orders.token != billing.token
    assert not billing.cached


def test_the_second_request_is_served_from_the_cache_without_a_lookup(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable
) -> None:
    edge = make_edge()
    first = mint(edge, with_key())
    second = mint(edge, with_key())
    assert second.cached
    assert second.token == first.token
    assert second.credential_key == first.credential_key
    assert key_table.lookups == 1


def test_without_a_cache_every_request_mints(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable
) -> None:
    edge = make_edge(use_cache=False)
    assert edge.cache is None
    assert not mint(edge, with_key()).cached
    assert not mint(edge, with_key()).cached
    assert key_table.lookups == 2
    assert edge.drop(subject="alice") == 0


def test_no_credential_is_401_missing_credential(make_edge: MakeEdge, mint: Mint) -> None:
    with pytest.raises(MissingCredential) as caught:
        mint(make_edge(), request({"X-Other": "x"}))
    assert (caught.value.status, caught.value.code) == (401, "missing_credential")


@pytest.mark.parametrize(
    "headers",
    [
        [("X-API-Key", ALICE_KEY), ("X-API-Key", BOB_KEY)],
        [("X-API-Key", f"{ALICE_KEY}, {BOB_KEY}")],  # folded by a server
    ],
)
def test_a_credential_sent_twice_is_401_duplicate_token(
    headers: list[tuple[str, str]], make_edge: MakeEdge, mint: Mint, key_table: KeyTable
) -> None:
    with pytest.raises(DuplicateToken) as caught:
        mint(make_edge(), request(headers))
    assert (caught.value.status, caught.value.code) == (401, "duplicate_token")
    assert key_table.lookups == 0


def test_a_key_in_both_header_and_bearer_is_a_duplicate(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable, edge_clock: ManualClock
) -> None:
    edge = make_edge(authenticators=[APIKeyAuthenticator(key_table, bearer=True, clock=edge_clock)])
    both = request({"X-API-Key": ALICE_KEY, "Authorization": f"Bearer {ALICE_KEY}"})
    with pytest.raises(DuplicateToken):
        mint(edge, both)
    assert mint(edge, request({"Authorization": f"Bearer {ALICE_KEY}"})).subject == "alice"


def test_an_unknown_key_is_401_and_only_its_fingerprint_is_logged(
    make_edge: MakeEdge, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "ak_wrong_secret_value_42"
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidCredential) as caught:
        mint(make_edge(), with_key(wrong))
    assert (caught.value.status, caught.value.code) == (401, "invalid_credential")
    assert wrong not in caplog.text
    assert wrong not in str(caught.value)
    assert fingerprint(wrong) in caplog.text


def test_an_unknown_audience_is_403(make_edge: MakeEdge, mint: Mint) -> None:
    with pytest.raises(PermissionDenied) as caught:
        mint(make_edge(), with_key(), "payroll")
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("edge_request", "error"),
    [(request(), MissingCredential), (with_key("ak_wrong_secret_value_42"), InvalidCredential)],
    ids=["missing", "bad"],
)
def test_a_missing_or_bad_credential_is_401_before_the_audience_is_judged(
    edge_request: EdgeRequest, error: type[PassportError], make_edge: MakeEdge, mint: Mint
) -> None:
    # RFC 9110 §15.5.2: 401 when the credential is missing or bad; 403 only for a good one.
    with pytest.raises(error) as caught:
        mint(make_edge(), edge_request, "payroll")
    assert caught.value.status == 401


def _second_table_authenticator(
    key_table: KeyTable, clock: ManualClock
) -> tuple[APIKeyAuthenticator, KeyTable]:
    other = KeyTable()
    other.add(BOB_KEY, "bob-via-partner")
    other.add("ak_partner_only_key", "partner")

    class PartnerKeys(APIKeyAuthenticator):
        name = "partner_key"

    return PartnerKeys(other, header="X-Partner-Key", clock=clock), other


def test_the_first_authenticator_with_a_credential_decides(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable, edge_clock: ManualClock
) -> None:
    partner, other = _second_table_authenticator(key_table, edge_clock)
    edge = make_edge(authenticators=[APIKeyAuthenticator(key_table, clock=edge_clock), partner])
    # Only the second's header: the second decides.
    assert mint(edge, request({"X-Partner-Key": "ak_partner_only_key"})).subject == "partner"
    # Both: the first decides, and a key it refuses is never handed to the second.
    both = request({"X-API-Key": "ak_partner_only_key", "X-Partner-Key": "ak_partner_only_key"})
    lookups = other.lookups
    with pytest.raises(InvalidCredential):
        mint(edge, both)
    assert other.lookups == lookups


def test_the_same_secret_under_two_authenticators_is_cached_apart(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable, edge_clock: ManualClock
) -> None:
    partner, _ = _second_table_authenticator(key_table, edge_clock)
    edge = make_edge(authenticators=[APIKeyAuthenticator(key_table, clock=edge_clock), partner])
    assert mint(edge, with_key(BOB_KEY)).subject == "bob"
    via_partner = mint(edge, request({"X-Partner-Key": BOB_KEY}))
    assert via_partner.subject == "bob-via-partner"
    assert not via_partner.cached


def test_the_passport_never_outlives_the_credential(
    make_edge: MakeEdge,
    mint: Mint,
    key_table: KeyTable,
    edge_clock: ManualClock,
    edge_verifier: VerifierFor,
) -> None:
    key_table.add("ak_short_lived_key", "carol", expires_at=edge_clock.now + 42.5)
    edge = make_edge()
    minted = mint(edge, with_key("ak_short_lived_key"))
    passport = edge_verifier("orders").verify(minted.token)
    assert passport.expires_at.timestamp() <= edge_clock.now + 42.5
    # Nor does its cache entry: once the key expired it is asked again, and refused.
    edge_clock.advance(43)
    with pytest.raises(InvalidCredential):
        mint(edge, with_key("ak_short_lived_key"))


def test_an_identity_expiring_within_a_second_is_refused(
    make_edge: MakeEdge, mint: Mint, edge_clock: ManualClock
) -> None:
    class Expiring(APIKeyAuthenticator):
        name = "expiring"

        def authenticate(self, credential: str, request: Any) -> Identity:
            return Identity("dave", "expiring", expires_at=edge_clock.now + 0.5)

        async def aauthenticate(self, credential: str, request: Any) -> Identity:
            return self.authenticate(credential, request)

    edge = make_edge(authenticators=[Expiring(lambda digest: None)])
    with pytest.raises(InvalidCredential, match="expired"):
        mint(edge, with_key())


def test_auth_methods_context_and_time_reach_the_passport(
    make_edge: MakeEdge, mint: Mint, edge_clock: ManualClock, edge_verifier: VerifierFor
) -> None:
    class Strong(APIKeyAuthenticator):
        name = "strong"

        def authenticate(self, credential: str, request: Any) -> Identity:
            return Identity(
                "erin",
                "strong",
                auth_methods=("pwd", "otp"),
                auth_context="urn:acr:mfa",
                auth_time=int(edge_clock.now) - 60,
            )

        async def aauthenticate(self, credential: str, request: Any) -> Identity:
            return self.authenticate(credential, request)

    passport = edge_verifier("orders").verify(
        mint(make_edge(authenticators=[Strong(lambda digest: None)]), with_key()).token
    )
    assert passport.auth_methods == {"pwd", "otp"}
    assert passport.auth_context == "urn:acr:mfa"
    assert passport.auth_time is not None
    assert passport.auth_time.timestamp() == int(edge_clock.now) - 60


def test_an_audience_ttl_sets_the_lifetime(
    make_edge: MakeEdge, mint: Mint, edge_verifier: VerifierFor
) -> None:
    edge = make_edge(audiences=[Audience("orders", ttl=60)])
    passport = edge_verifier("orders").verify(mint(edge, with_key()).token)
    assert (passport.expires_at - passport.issued_at).total_seconds() == 60


def test_cache_max_age_bounds_reuse(
    make_edge: MakeEdge, mint: Mint, edge_clock: ManualClock
) -> None:
    edge = make_edge(cache_max_age=10)
    first = mint(edge, with_key())
    edge_clock.advance(9)
    assert mint(edge, with_key()).cached
    edge_clock.advance(2)
    again = mint(edge, with_key())
    assert not again.cached
    assert again.token != first.token


def test_a_cached_passport_is_not_served_within_the_refresh_margin(
    make_edge: MakeEdge, mint: Mint, edge_clock: ManualClock
) -> None:
    edge = make_edge(cache=MintCache(refresh_margin=30, clock=edge_clock))
    mint(edge, with_key())  # lives 300 s
    edge_clock.advance(269)
    assert mint(edge, with_key()).cached
    edge_clock.advance(2)
    assert not mint(edge, with_key()).cached


def test_drop_by_credential_forgets_every_audience_of_that_key(
    make_edge: MakeEdge, mint: Mint
) -> None:
    edge = make_edge()
    minted = mint(edge, with_key())
    mint(edge, with_key(), "billing")
    mint(edge, with_key(BOB_KEY))
    assert edge.drop(minted.credential_key) == 2
    assert not mint(edge, with_key()).cached
    assert mint(edge, with_key(BOB_KEY)).cached


def test_drop_by_subject_forgets_that_subject_only(make_edge: MakeEdge, mint: Mint) -> None:
    edge = make_edge()
    mint(edge, with_key())
    mint(edge, with_key(), "billing")
    mint(edge, with_key(BOB_KEY))
    assert edge.drop(subject="alice") == 2
    assert not mint(edge, with_key(), "billing").cached
    assert mint(edge, with_key(BOB_KEY)).cached


@pytest.mark.parametrize(
    ("value", "action"),
    [
        ("remint", PassportAction.REMINT),
        (" DROP ", PassportAction.DROP),
        ("reboot", None),
        ("", None),
        (None, None),
    ],
)
def test_apply_action_drops_the_credential_for_known_actions_only(
    value: str | None, action: PassportAction | None, make_edge: MakeEdge, mint: Mint
) -> None:
    edge = make_edge()
    minted = mint(edge, with_key())
    assert edge.apply_action(minted, value) is action
    assert mint(edge, with_key()).cached is (action is None)


@pytest.mark.parametrize(("value", "other_dropped"), [("remint", False), ("drop", True)])
def test_drop_reaches_every_credential_of_the_subject_remint_only_this_one(
    value: str, other_dropped: bool, make_edge: MakeEdge, mint: Mint, key_table: KeyTable
) -> None:
    key_table.add("ak_alice_laptop_0123456789", "alice")
    laptop = with_key("ak_alice_laptop_0123456789")
    edge = make_edge()
    minted = mint(edge, with_key())
    mint(edge, laptop)
    mint(edge, with_key(BOB_KEY))
    edge.apply_action(minted, value)
    assert not mint(edge, with_key()).cached
    assert mint(edge, laptop).cached is not other_dropped
    assert mint(edge, with_key(BOB_KEY)).cached


def test_a_drop_during_a_mint_wins_over_that_mint(make_edge: MakeEdge, key_table: KeyTable) -> None:
    # The mint began before the drop, so what it signed may be what the drop revoked.
    entered, release = threading.Event(), threading.Event()

    def slow_profile(identity: Identity) -> dict[str, Any]:
        entered.set()
        release.wait(5)
        return {"profile": {"plan": "gold"}}

    edge = make_edge(enrichers=[FunctionEnricher(slow_profile)])
    results: list[Minted] = []
    worker = threading.Thread(target=lambda: results.append(edge.mint(with_key())))
    worker.start()
    assert entered.wait(5)
    edge.drop(subject="alice")
    release.set()
    worker.join(5)
    assert results
    assert not results[0].cached
    lookups = key_table.lookups
    assert not edge.mint(with_key()).cached
    assert key_table.lookups == lookups + 1


def test_strip_headers_names_the_passport_and_action_headers(make_edge: MakeEdge) -> None:
    assert make_edge().strip_headers == {"x-passport", "passport-action"}
    assert make_edge(header="X-Internal-Passport").strip_headers == {
        "x-internal-passport",
        "passport-action",
    }


def test_a_profile_over_the_budget_is_refused_at_mint_time_with_a_clear_message(
    make_edge: MakeEdge, mint: Mint
) -> None:
    big = FunctionEnricher(lambda identity: {"profile": {"bio": "x" * 12 * 1024}}, name="bio")
    with pytest.raises(PassportTooLarge) as caught:
        mint(make_edge(enrichers=[big]), with_key())
    assert caught.value.status == 500
    assert caught.value.code == "passport_too_large"
    assert "budget" in caught.value.message
    assert "Audience" in caught.value.message


def test_every_passport_the_edge_returns_fits_the_default_verifier(
    make_edge: MakeEdge, edge_verifier: VerifierFor
) -> None:
    # Around the budget: either a passport the default Verifier accepts, or PassportTooLarge.
    sizes = range(5700, 6300, 17)  # base64url: 4 bytes of token per 3 of JSON
    verifier = edge_verifier("orders")
    outcomes = set()
    for size in sizes:
        edge = make_edge(
            enrichers=[FunctionEnricher(lambda i, n=size: {"profile": {"bio": "x" * n}})],
            use_cache=False,
        )
        try:
            minted = edge.mint(with_key())
        except PassportTooLarge:
            outcomes.add("refused")
            continue
        assert len(minted.token) <= edge.max_passport_bytes
        verifier.verify(minted.token)
        outcomes.add("verified")
    assert outcomes == {"refused", "verified"}


def largest_passport(make_edge: MakeEdge, **options: Any) -> tuple[Edge, Minted]:
    """The largest passport ``make_edge(**options)`` mints (a profile grown to the budget)."""
    low, high, best = 0, 9000, None
    while low <= high:
        size = (low + high) // 2
        edge = make_edge(
            enrichers=[FunctionEnricher(lambda i, n=size: {"profile": {"bio": "x" * n}})],
            use_cache=False,
            **options,
        )
        try:
            best = (edge, edge.mint(with_key()))
            low = size + 1
        except PassportTooLarge:
            high = size - 1
    assert best is not None
    return best


def bearer_line(minted: Minted) -> str:
    """The header line a service forwarding with ``bearer=True`` sends (its real auth flow)."""
    auth = PassportAuth(["127.0.0.1"], bearer=True, passport=minted_passport(minted))
    outgoing = httpx.Request("GET", "http://127.0.0.1/next")
    next(auth.auth_flow(outgoing))
    return f"Authorization: {outgoing.headers['Authorization']}"


def test_a_passport_forwarded_as_bearer_fits_one_line_when_the_edge_knows(
    make_edge: MakeEdge,
) -> None:
    # Audit gap 6: gunicorn's limit is 8190 for the whole line, "Bearer " included.
    edge, minted = largest_passport(make_edge, forwarded_as_bearer=True)
    assert edge.max_passport_bytes == 8190 - len("Authorization: Bearer ")
    assert len(minted.token) > edge.max_passport_bytes - 4  # base64url: within one quantum
    assert len(bearer_line(minted)) <= 8190
    # Without it the budget is the X-Passport line's, over the limit once sent as Bearer.
    _, larger = largest_passport(make_edge)
    assert len(bearer_line(larger)) > 8190
    assert len(f"X-Passport: {larger.token}") <= 8190


def test_a_smaller_budget_is_honoured(make_edge: MakeEdge, mint: Mint) -> None:
    edge = make_edge(
        max_passport_bytes=1024,
        enrichers=[FunctionEnricher(lambda i: {"profile": {"bio": "x" * 1200}}, name="bio")],
    )
    with pytest.raises(PassportTooLarge, match="1024"):
        mint(edge, with_key())


def test_a_budget_over_one_header_line_warns(
    make_edge: MakeEdge, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="passport_core.edge"):
        make_edge(max_passport_bytes=8192)
    assert "exceeds what fits one X-Passport line" in caplog.text


RESERVED = {"omitted": [], "txn": "fixed-by-directory", "cnf": {"jkt": "x"}}


@pytest.mark.parametrize("claim", sorted(RESERVED))
def test_an_enricher_cannot_set_a_claim_the_edge_reserves(
    make_edge: MakeEdge, mint: Mint, claim: str
) -> None:
    # Security review F9: a fixed txn would bind a companion to every request, not one.
    sneaky = FunctionEnricher(lambda identity: {claim: RESERVED[claim]}, name="sneaky")
    with pytest.raises(MintingError, match=f"'{claim}' claim"):
        mint(make_edge(enrichers=[sneaky]), with_key())


class MappedClaims:
    """An authenticator whose ClaimMapping copies the IdP's claims into the passport."""

    name = "mapped"

    def __init__(self, mapping: ClaimMapping) -> None:
        self.mapping = mapping

    def credential(self, request: EdgeRequest) -> str | None:
        values = request.get_header("X-Mapped")
        return values[0] if values else None

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        idp_claims = {"sub": credential, "sid": "session-1", "conf": {"jkt": "x"}}
        return Identity(credential, method=self.name, common=self.mapping.common(idp_claims))

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        return self.authenticate(credential, request)


@pytest.mark.parametrize(("claim", "source"), [("txn", "sid"), ("cnf", "conf"), ("x", "sid")])
def test_a_claim_mapping_cannot_set_a_claim_the_edge_reserves(
    make_edge: MakeEdge, mint: Mint, claim: str, source: str
) -> None:
    edge = make_edge(authenticators=[MappedClaims(ClaimMapping(claims={claim: source}))])
    if claim == "x":  # any other claim name is the mapping's to copy
        assert mint(edge, request({"X-Mapped": "alice"})).subject == "alice"
        return
    with pytest.raises(MintingError, match=f"'{claim}' claim"):
        mint(edge, request({"X-Mapped": "alice"}))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"authenticators": []}, "at least one authenticator"),
        ({"authenticators": [object()]}, "not an Authenticator"),
        ({"audiences": []}, "at least one downstream audience"),
        ({"audiences": ["orders", Audience("orders")]}, "configured twice"),
        ({"audiences": [Audience("orders", ttl=7200)]}, "max_ttl"),
        ({"enrichers": [object()]}, "not an Enricher"),
        ({"cache_max_age": 0}, "cache_max_age"),
        ({"cache_max_age": 7200}, "cache_max_age"),
        ({"max_passport_bytes": 9000}, "max_token_bytes"),
        ({"minter": "not a minter"}, "needs a Minter"),
    ],
)
def test_configuration_errors(options: dict[str, Any], message: str, make_edge: MakeEdge) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_edge(**options)


def test_two_authenticators_or_enrichers_may_not_share_a_name(
    make_edge: MakeEdge, key_table: KeyTable
) -> None:
    with pytest.raises(ConfigurationError, match="share a name"):
        make_edge(authenticators=[APIKeyAuthenticator(key_table), APIKeyAuthenticator(key_table)])

    def roles(identity: Identity) -> None:
        return None

    with pytest.raises(ConfigurationError, match="share a name"):
        make_edge(enrichers=[FunctionEnricher(roles), FunctionEnricher(roles)])


def test_the_edge_repr_names_its_parts_and_no_secret(make_edge: MakeEdge, mint: Mint) -> None:
    edge = make_edge()
    mint(edge, with_key())
    text = repr(edge)
    assert "api_key" in text
    assert "orders" in text
    assert ALICE_KEY not in text


def test_a_minter_with_a_small_max_token_bytes_bounds_the_edge(
    edge_minter: Minter, make_edge: MakeEdge, mint: Mint, ring: Any, edge_clock: ManualClock
) -> None:
    small = Minter(ring, issuer=edge_minter.issuer, max_token_bytes=600, clock=edge_clock)
    with pytest.raises(ConfigurationError, match="max_token_bytes"):
        make_edge(minter=small)
    edge = make_edge(minter=small, max_passport_bytes=600)
    big = FunctionEnricher(lambda i: {"profile": {"bio": "x" * 700}}, name="bio")
    with pytest.raises(PassportTooLarge):
        mint(make_edge(minter=small, max_passport_bytes=600, enrichers=[big]), with_key())
    assert mint(edge, with_key()).subject == "alice"


def test_after_a_rotation_a_passport_signed_by_the_old_key_is_reminted(
    make_edge: MakeEdge, mint: Mint, ring: KeyRing, edge_verifier: VerifierFor
) -> None:
    edge = make_edge()
    old = ring.active.kid
    first = mint(edge, with_key())
    assert mint(edge, with_key()).cached
    ring.prepare()
    new = ring.promote(force=True).kid
    ring.retire(old, force=True)
    again = mint(edge, with_key())
    assert not again.cached
    assert again.token != first.token
    assert unverified_header(again.token)["kid"] == new
    assert edge_verifier("orders").verify(again.token).subject == "alice"
    assert mint(edge, with_key()).cached  # the new passport is cached in turn


def test_api_key_cache_for_bounds_the_mint_cache(
    make_edge: MakeEdge, key_table: KeyTable, edge_clock: ManualClock
) -> None:
    key_table.add("ak_short_lived_0123456789", "carol", cache_for=5.0)
    edge = make_edge()
    carol = with_key("ak_short_lived_0123456789")
    assert not edge.mint(carol).cached
    edge_clock.advance(4.9)
    assert edge.mint(carol).cached
    edge_clock.advance(0.2)
    assert not edge.mint(carol).cached


@pytest.mark.parametrize("cache_for", [-1, float("nan"), float("inf"), True, "5"])
def test_identity_cache_for_must_be_a_non_negative_number(cache_for: Any) -> None:
    with pytest.raises(ConfigurationError, match="cache_for"):
        Identity(subject="alice", method="api_key", cache_for=cache_for)


class BuggyAuthenticator:
    """A user's authenticator whose errors quote the credential."""

    name = "buggy"

    def __init__(self, where: str) -> None:
        self.where = where

    def credential(self, request: EdgeRequest) -> str | None:
        found = next(iter(request.get_header("X-Buggy")), None)
        if self.where == "credential":
            raise KeyError(f"no row for {found}")
        return found

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        raise RuntimeError(f"driver error: no row for key {credential!r}")

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        raise RuntimeError(f"driver error: no row for key {credential!r}")


@pytest.mark.parametrize("where", ["credential", "authenticate"])
def test_an_authenticator_raising_anything_is_a_503_that_never_quotes_it(
    where: str, make_edge: MakeEdge, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk_live_very_secret_credential"
    edge = make_edge(authenticators=[BuggyAuthenticator(where)])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IdentityProviderUnavailable) as info:
        mint(edge, request({"X-Buggy": secret}))
    error = info.value
    assert error.status == 503
    kind = "KeyError" if where == "credential" else "RuntimeError"
    assert error.message == f"the 'buggy' authenticator failed ({kind})"
    assert error.__cause__ is None  # nothing downstream logs the original's text
    assert error.__suppress_context__
    assert secret not in caplog.text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert kind in record.getMessage()
    assert "test_edge.py" in record.getMessage()  # the frames, for whoever debugs it


@pytest.mark.parametrize("header", ["Authorization", "authorization", "", "X-Pässport"])
def test_the_passport_header_is_a_header_of_its_own(make_edge: MakeEdge, header: str) -> None:
    with pytest.raises(ConfigurationError):
        make_edge(header=header)


def test_two_edges_sharing_one_cache_never_serve_each_others_passports(
    make_edge: MakeEdge, mint: Mint, ring: KeyRing, edge_clock: ManualClock
) -> None:
    shared = MintCache(clock=edge_clock)
    first = make_edge(cache=shared)
    second = make_edge(
        cache=shared, minter=Minter(ring, issuer="https://other-edge.test", clock=edge_clock)
    )
    one = mint(first, with_key())
    other = mint(second, with_key())
    assert not other.cached
    assert other.token != one.token
    assert mint(first, with_key()).token == one.token  # each still hits its own entry


class _Broken:
    """A custom authenticator that breaks its contract: it returns no Identity."""

    name = "broken"

    def credential(self, request: EdgeRequest) -> str | None:
        return "anything"

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        return None  # type: ignore[return-value]

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        return None  # type: ignore[return-value]


def test_an_authenticator_returning_no_identity_is_a_503(make_edge: MakeEdge, mint: Mint) -> None:
    edge = make_edge(authenticators=[_Broken()])
    with pytest.raises(IdentityProviderUnavailable, match="returned no identity"):
        mint(edge, request())
