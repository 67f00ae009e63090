"""The Txn-Token Service (draft-ietf-oauth-transaction-tokens-10) through the token endpoint:
the Txn-Token Request and Response, replacements, the self-made subject token types, and
every refusal with its RFC 6749 §5.2 code and status."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from passport_core import (
    CertificateSubject,
    ClientRegistry,
    ConfigurationError,
    ExchangeRules,
    InvalidClient,
    Minter,
    Passport,
    ServiceClient,
    TokenExchangeEndpoint,
    TokenService,
    TransactionTokens,
    TxnTokenService,
    TxnWorkload,
    generate_key,
)
from passport_core.exchange import (
    ACCESS_TOKEN_TYPE,
    JWT_BEARER_ASSERTION,
    JWT_TOKEN_TYPE,
    SELF_SIGNED_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    TXN_TOKEN_URN,
    UNSIGNED_JSON_TOKEN_TYPE,
)

from .conftest import EDGE, STS, World

TRUST_DOMAIN = "trust-domain.test"
EVERY_TYPE = ("access_token", "jwt", "txn_token", "self_signed", "unsigned_json")


@pytest.fixture(scope="module")
def tts(world: World) -> TxnTokenService:
    return TxnTokenService(
        world.service,
        trust_domain=TRUST_DOMAIN,
        workloads=[
            # a: the gateway, may name any subject
            TxnWorkload(
                "a", scopes={"orders:read", "orders:write"}, subject_token_types=EVERY_TYPE
            ),
            TxnWorkload("b", scopes={"orders:read"}),  # the default types: passports, txn_token
        ],
        identifiers=[STS, "http://sts.test/token"],
        max_chain=3,
    )


@pytest.fixture(scope="module")
def endpoint(world: World, tts: TxnTokenService) -> TokenExchangeEndpoint:
    return TokenExchangeEndpoint(world.service, txn_tokens=tts)


def post(
    app: TokenExchangeEndpoint, form: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sts.test") as client:
            return await client.post("/token", data=dict(form), headers=headers)

    return asyncio.run(go())


def txn_form(world: World, workload: str, subject: str, /, **extra: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "requested_token_type": TXN_TOKEN_URN,
        "audience": TRUST_DOMAIN,
        "scope": "orders:read",
        "subject_token": subject,
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "client_assertion_type": JWT_BEARER_ASSERTION,
        "client_assertion": world.assertion(workload),
    }
    form.update(extra)
    return {name: value for name, value in form.items() if value is not None}


def verify(world: World, token: str) -> Passport:
    return TransactionTokens(TRUST_DOMAIN, issuer=STS).verifier(world.sts.key_ring).verify(token)


def header(token: str) -> dict[str, Any]:
    segment = token.split(".", maxsplit=1)[0]
    result: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return result


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code, response.text
    assert isinstance(response.json()["error_description"], str)
    assert response.headers["cache-control"] == "no-store"


def issue(
    world: World,
    endpoint: TokenExchangeEndpoint,
    workload: str,
    subject: str,
    /,
    **extra: str | None,
) -> str:
    response = post(endpoint, txn_form(world, workload, subject, **extra))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


# -- the Txn-Token Request and Response -----------------------------------------------------


def test_a_passport_becomes_a_txn_token_of_the_drafts_shape(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    form = txn_form(
        world,
        "a",
        world.passport("a"),
        scope="orders:read orders:write",
        request_context=json.dumps({"req_ip": "192.0.2.7", "authn": "face"}),
        request_details=json.dumps({"action": "BUY", "ticker": "MSFT", "quantity": "100"}),
    )
    response = post(endpoint, form)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    # draft -10, "Txn-Token Response"
    assert body["token_type"] == "N_A"
    assert body["issued_token_type"] == TXN_TOKEN_URN
    # ...and nothing else: no refresh_token (-10), no expires_in nor scope (-06 forbade
    # them; the Txn-Token's exp and scope say it)
    assert set(body) == {"access_token", "issued_token_type", "token_type"}
    token = body["access_token"]
    assert header(token)["typ"] == "txntoken+jwt"
    txn = verify(world, token)
    assert txn.subject == "user-1"
    assert txn.audience == (TRUST_DOMAIN,)
    assert txn.issuer == STS
    assert txn.scopes == {"orders:read", "orders:write"}
    assert txn.claims["req_wl"] == "a"
    assert txn.claims["tctx"] == {"action": "BUY", "ticker": "MSFT", "quantity": "100"}
    assert txn.claims["rctx"] == {"req_ip": "192.0.2.7", "authn": "face"}
    uuid.UUID(txn.claims["txn"])
    # the access token presented is not in the Txn-Token (-10, "Access Tokens")
    assert form["subject_token"] not in json.dumps(dict(txn.claims))


def test_each_request_is_a_new_transaction(world: World, endpoint: TokenExchangeEndpoint) -> None:
    passport = world.passport("a")
    first = verify(world, issue(world, endpoint, "a", passport))
    second = verify(world, issue(world, endpoint, "a", passport))
    assert first.claims["txn"] != second.claims["txn"]


def test_jwt_is_a_passport_subject_too_and_its_exp_bounds_the_txn_token(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    short = world.passport("a", ttl=20)
    token = issue(world, endpoint, "a", short, subject_token_type=JWT_TOKEN_TYPE)
    assert verify(world, token).expires_at <= subject_expiry(world, short)


def subject_expiry(world: World, token: str) -> Any:
    return world.service.subjects.verify(token).expires_at


def test_the_sync_twin_issues_the_same(world: World, tts: TxnTokenService) -> None:
    form = {k: [v] for k, v in txn_form(world, "b", world.passport("b")).items()}
    result = tts.issue(form)
    assert (result.token_type, result.issued_token_type) == ("N_A", TXN_TOKEN_URN)
    assert verify(world, result.access_token).claims["req_wl"] == "b"


def test_the_same_endpoint_still_exchanges_passports(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    response = post(endpoint, world.form("a", world.passport("a"), "b"))
    assert response.status_code == 200, response.text
    assert response.json()["issued_token_type"] == JWT_TOKEN_TYPE
    assert world.verifier("b").verify(response.json()["access_token"]).subject == "user-1"


def test_without_a_txn_token_service_the_request_is_refused(world: World) -> None:
    response = world.post(txn_form(world, "a", world.passport("a")))
    refused(response, 400, "invalid_request")


# -- replacement Txn-Tokens (-10, "Txn-Token as a subject_token") -----------------------------


def test_a_replacement_keeps_txn_sub_and_context_and_appends_req_wl(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    original_token = issue(
        world,
        endpoint,
        "a",
        world.passport("a"),
        scope="orders:read orders:write",
        request_context=json.dumps({"req_ip": "192.0.2.7"}),
        request_details=json.dumps({"order": "o-1"}),
    )
    original = verify(world, original_token)

    replaced = verify(
        world,
        issue(world, endpoint, "b", original_token, subject_token_type=TXN_TOKEN_URN),
    )

    assert replaced.claims["txn"] == original.claims["txn"]
    assert replaced.subject == original.subject
    assert replaced.audience == original.audience
    assert replaced.claims["tctx"] == {"order": "o-1"}
    assert replaced.claims["rctx"] == {"req_ip": "192.0.2.7"}
    assert replaced.claims["req_wl"] == "a,b"
    assert replaced.scopes == {"orders:read"}  # narrowed
    assert replaced.expires_at <= original.expires_at
    # replaced again: the chain grows by one each time
    again = issue(world, endpoint, "a", replaced.token, subject_token_type=TXN_TOKEN_URN)
    assert verify(world, again).claims["req_wl"] == "a,b,a"


def test_a_replacement_may_not_widen_the_scope(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    narrow = issue(world, endpoint, "a", world.passport("a"), scope="orders:read")
    response = post(
        endpoint,
        txn_form(
            world, "a", narrow, subject_token_type=TXN_TOKEN_URN, scope="orders:read orders:write"
        ),
    )
    refused(response, 400, "invalid_scope")


@pytest.mark.parametrize("name", ["request_details", "request_context"])
def test_a_replacement_may_not_change_the_context(
    world: World, endpoint: TokenExchangeEndpoint, name: str
) -> None:
    token = issue(world, endpoint, "a", world.passport("a"))
    form = txn_form(
        world, "b", token, subject_token_type=TXN_TOKEN_URN, **{name: '{"order":"o-2"}'}
    )
    refused(post(endpoint, form), 400, "invalid_request")


def test_replacements_are_bounded(world: World, endpoint: TokenExchangeEndpoint) -> None:
    token = issue(world, endpoint, "a", world.passport("a"))
    token = issue(world, endpoint, "b", token, subject_token_type=TXN_TOKEN_URN)
    token = issue(world, endpoint, "a", token, subject_token_type=TXN_TOKEN_URN)  # a,b,a: max 3
    form = txn_form(world, "b", token, subject_token_type=TXN_TOKEN_URN)
    refused(post(endpoint, form), 400, "invalid_request")


def test_an_expired_txn_token_is_not_replaced(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    minted_earlier = TransactionTokens(TRUST_DOMAIN, issuer=STS).minter(
        world.sts.key_ring, clock=lambda: time.time() - 120
    )
    expired = minted_earlier.mint("user-1", scope="orders:read", requesting_workload="a", ttl=60)
    # ...and one expired 5 s ago, inside the verifier's leeway
    recently = TransactionTokens(TRUST_DOMAIN, issuer=STS).minter(
        world.sts.key_ring, clock=lambda: time.time() - 65
    )
    just_expired = recently.mint("user-1", scope="orders:read", requesting_workload="a", ttl=60)
    form = txn_form(world, "b", just_expired, subject_token_type=TXN_TOKEN_URN)
    refused(post(endpoint, form), 400, "invalid_request")
    form = txn_form(world, "b", expired, subject_token_type=TXN_TOKEN_URN)
    refused(post(endpoint, form), 400, "invalid_request")


def test_a_txn_token_of_another_signer_is_not_replaced(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    other = TransactionTokens(TRUST_DOMAIN, issuer=STS).minter(generate_key("EdDSA"))
    forged = other.mint("admin", scope="orders:read", requesting_workload="a")
    form = txn_form(world, "b", forged, subject_token_type=TXN_TOKEN_URN)
    refused(post(endpoint, form), 400, "invalid_request")


# -- the self-made subject token types ------------------------------------------------------


def self_signed(world: World, issuer: str, subject: str, **options: Any) -> str:
    key = options.pop("key", world.keys[issuer])
    audience = options.pop("audience", STS)
    minter = Minter(key, issuer=issuer, default_ttl=60, max_ttl=3600, typ="JWT")
    return minter.mint(subject, audience=audience, **options)


def test_a_self_signed_subject_names_the_subject(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    token = self_signed(world, "a", "batch-user")
    txn = verify(
        world, issue(world, endpoint, "a", token, subject_token_type=SELF_SIGNED_TOKEN_TYPE)
    )
    assert txn.subject == "batch-user"
    assert txn.claims["req_wl"] == "a"
    assert txn.scopes == {"orders:read"}


@pytest.mark.parametrize(
    "options",
    [
        {"key": generate_key("ES256")},  # not the workload's key
        {"audience": "https://someone-else.test"},  # -10: aud is the TTS
        {"ttl": 1200},  # a long-lived self-signed token is no transaction's
    ],
    ids=["other-key", "other-aud", "long-lived"],
)
def test_a_bad_self_signed_subject_is_refused(
    world: World, endpoint: TokenExchangeEndpoint, options: dict[str, Any]
) -> None:
    token = self_signed(world, "a", "batch-user", **options)
    form = txn_form(world, "a", token, subject_token_type=SELF_SIGNED_TOKEN_TYPE)
    refused(post(endpoint, form), 400, "invalid_request")


def test_a_self_signed_subject_of_another_workload_is_refused(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    # -10: iss is the requesting workload; b's own token presented by a is not a's
    token = self_signed(world, "b", "batch-user")
    form = txn_form(world, "a", token, subject_token_type=SELF_SIGNED_TOKEN_TYPE)
    refused(post(endpoint, form), 400, "invalid_request")


def test_an_unsigned_json_subject(world: World, endpoint: TokenExchangeEndpoint) -> None:
    subject = json.dumps({"sub": "user-9", "note": "nightly job"})
    token = issue(world, endpoint, "a", subject, subject_token_type=UNSIGNED_JSON_TOKEN_TYPE)
    assert verify(world, token).subject == "user-9"


@pytest.mark.parametrize("subject", ['{"note": "no sub"}', "not json", '["sub"]', '{"sub": ""}'])
def test_a_bad_unsigned_json_subject_is_refused(
    world: World, endpoint: TokenExchangeEndpoint, subject: str
) -> None:
    form = txn_form(world, "a", subject, subject_token_type=UNSIGNED_JSON_TOKEN_TYPE)
    refused(post(endpoint, form), 400, "invalid_request")


@pytest.mark.parametrize("kind", [SELF_SIGNED_TOKEN_TYPE, UNSIGNED_JSON_TOKEN_TYPE])
def test_a_workload_names_a_subject_only_if_allowed(
    world: World, endpoint: TokenExchangeEndpoint, kind: str
) -> None:
    subject = self_signed(world, "b", "user-9") if kind == SELF_SIGNED_TOKEN_TYPE else '{"sub":"x"}'
    form = txn_form(world, "b", subject, subject_token_type=kind)
    refused(post(endpoint, form), 400, "unauthorized_client")


# -- every refusal, with its code and status ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"scope": None}, 400, "invalid_request"),  # -10: scope REQUIRED
        ({"scope": " "}, 400, "invalid_request"),
        ({"audience": None}, 400, "invalid_request"),  # -10: audience REQUIRED
        ({"audience": "other-domain.test"}, 400, "invalid_target"),
        ({"resource": "https://b.test/api"}, 400, "invalid_request"),
        ({"subject_token": None}, 400, "invalid_request"),
        ({"subject_token_type": None}, 400, "invalid_request"),
        (
            {"subject_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
            400,
            "invalid_request",
        ),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, 400, "invalid_request"),
        ({"request_details": "not json"}, 400, "invalid_request"),
        ({"request_details": '["a", "list"]'}, 400, "invalid_request"),
        # -06 and earlier base64url-encoded the JSON: no longer (-07)
        ({"request_context": "eyJyZXFfaXAiOiIxOTIuMC4yLjcifQ"}, 400, "invalid_request"),
        ({"request_context": json.dumps({"pad": "x" * 5000})}, 400, "invalid_request"),
        ({"actor_token": "x", "actor_token_type": ACCESS_TOKEN_TYPE}, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"client_assertion": None, "client_assertion_type": None}, 401, "invalid_client"),
        ({"client_id": "b"}, 401, "invalid_client"),  # not the assertion's client
        ({"scope": "orders:delete"}, 400, "invalid_scope"),  # not a's to ask for
    ],
)
def test_a_bad_request_is_refused_with_its_code(
    world: World,
    endpoint: TokenExchangeEndpoint,
    change: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    form = txn_form(world, "a", world.passport("a"), **change)
    refused(post(endpoint, form), status, code)


def test_a_txn_token_too_large_for_its_verifiers_is_invalid_request(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    big = json.dumps({"pad": "x" * 3900})  # each under the 4 KiB cap, together too much
    form = txn_form(world, "a", world.passport("a"), request_context=big, request_details=big)
    refused(post(endpoint, form), 400, "invalid_request")


def test_a_repeated_audience_is_invalid_request(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    form: dict[str, Any] = dict(txn_form(world, "a", world.passport("a")))
    form["audience"] = [TRUST_DOMAIN, TRUST_DOMAIN]
    refused(post(endpoint, form), 400, "invalid_request")


def test_a_replayed_client_assertion_is_invalid_client(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    form = txn_form(world, "a", world.passport("a"))
    assert post(endpoint, form).status_code == 200
    refused(post(endpoint, form), 401, "invalid_client")


def test_a_client_that_is_no_workload_is_unauthorized(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    refused(post(endpoint, txn_form(world, "c", world.passport("c"))), 400, "unauthorized_client")


def expired_passport(world: World) -> str:
    """Expired 5 s ago: inside the verifier's clock-skew leeway, still no Txn-Token (-10)."""
    earlier = Minter(world.edge.key_ring, issuer=EDGE, clock=lambda: time.time() - 65)
    return earlier.mint("user-1", audience="a", scopes=["orders:read"], ttl=60)


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        (lambda w: w.passport("a", scopes=["billing:read"]), "invalid_scope"),  # wider
        (lambda w: w.passport("a", scopes=[]), "invalid_scope"),  # -10: unknown scope
        (lambda w: w.passport("b"), "invalid_request"),  # not addressed to a
        (lambda w: w.passport("a", ttl=1), "invalid_request"),  # expires too soon
        (expired_passport, "invalid_request"),  # by less than the leeway
        (
            lambda w: Minter(generate_key("EdDSA"), issuer="https://edge.test").mint(
                "user-1", audience="a", scopes=["orders:read"]
            ),
            "invalid_request",
        ),  # forged
        (lambda w: w.passport("a", claims={"may_act": {"sub": "b"}}), "unauthorized_client"),
    ],
    ids=["wider-scope", "no-scope", "other-audience", "expiring", "expired", "forged", "may-act"],
)
def test_a_passport_subject_the_workload_may_not_use_is_refused(
    world: World, endpoint: TokenExchangeEndpoint, subject: Any, code: str
) -> None:
    refused(post(endpoint, txn_form(world, "a", subject(world))), 400, code)


def test_a_txn_token_is_no_access_token_subject(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    # RFC 8725 §3.11: typ tells them apart; a Txn-Token as access_token is refused...
    token = issue(world, endpoint, "a", world.passport("a"))
    refused(post(endpoint, txn_form(world, "a", token)), 400, "invalid_request")
    # ...and a passport presented as a Txn-Token too
    form = txn_form(world, "a", world.passport("a"), subject_token_type=TXN_TOKEN_URN)
    refused(post(endpoint, form), 400, "invalid_request")


def test_a_dpop_proof_is_refused(world: World, endpoint: TokenExchangeEndpoint) -> None:
    form = txn_form(world, "a", world.passport("a"))
    refused(post(endpoint, form, headers={"DPoP": "x.y.z"}), 400, "invalid_request")


def test_no_token_reaches_the_logs_or_the_answers(
    world: World, endpoint: TokenExchangeEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    subject = world.passport("a", scopes=["billing:read"])
    with caplog.at_level(logging.DEBUG, logger="passport_core"):
        bad = post(endpoint, txn_form(world, "a", subject))
        good = post(endpoint, txn_form(world, "a", world.passport("a")))
    issued = good.json()["access_token"]
    assert subject not in bad.text
    for record in caplog.records:
        assert subject not in record.getMessage()
        assert issued not in record.getMessage()
    assert any("issued Txn-Token" in record.getMessage() for record in caplog.records)


# -- the policy is checked when it is built -------------------------------------------------


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: TxnWorkload("a,b", scopes={"x"}), "comma"),
        (lambda: TxnWorkload("a", scopes=set()), "scopes"),
        (
            lambda: TxnWorkload("a", scopes={"x"}, subject_token_types={"refresh_token"}),
            "refresh_token",
        ),
        (lambda: TxnWorkload("a", scopes="x"), "collections"),
    ],
)
def test_a_bad_workload_is_a_configuration_error(build: Any, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        build()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"workloads": [TxnWorkload("nobody", scopes={"x"})]}, "nobody"),
        ({"ttl": 301}, "ttl"),
        ({"ttl": 0}, "ttl"),
        ({"max_chain": 1}, "max_chain"),
        ({"trust_domain": ""}, "trust domain"),
    ],
)
def test_a_bad_service_is_a_configuration_error(
    world: World, options: dict[str, Any], named: str
) -> None:
    settings: dict[str, Any] = {"trust_domain": TRUST_DOMAIN, "workloads": []}
    settings.update(options)
    with pytest.raises(ConfigurationError, match=named):
        TxnTokenService(world.service, **settings)


def test_self_signed_needs_keys_to_check_them_with(world: World) -> None:
    mtls_only = ServiceClient(
        "m",
        None,
        auth_method="tls_client_auth",
        tls_subject=CertificateSubject("tls_client_auth_san_dns", "m.internal"),
    )
    service = TokenService(
        world.sts,
        ClientRegistry([mtls_only], token_service=STS),
        ExchangeRules([]),
        trusted={},
    )
    TxnTokenService(  # a mutual-TLS workload may present passports...
        service, trust_domain=TRUST_DOMAIN, workloads=[TxnWorkload("m", scopes={"x"})]
    )
    with pytest.raises(ConfigurationError, match="no keys"):  # ...not tokens it signs
        TxnTokenService(
            service,
            trust_domain=TRUST_DOMAIN,
            workloads=[TxnWorkload("m", scopes={"x"}, subject_token_types={"self_signed"})],
        )


def test_a_self_signed_subject_token_cannot_serve_again_as_a_client_assertion(
    world: World, endpoint: TokenExchangeEndpoint
) -> None:
    # Shaped like one (iss = sub = the workload, aud this service, a jti): once presented as
    # a subject token its jti is spent, so it cannot log the workload in afterwards.
    token = self_signed(world, "a", "a")
    issue(world, endpoint, "a", token, subject_token_type=SELF_SIGNED_TOKEN_TYPE)
    with pytest.raises(InvalidClient):
        world.service.clients.authenticate(token, "a")
    again = post(endpoint, txn_form(world, "a", token, subject_token_type=SELF_SIGNED_TOKEN_TYPE))
    refused(again, 400, "invalid_request")
