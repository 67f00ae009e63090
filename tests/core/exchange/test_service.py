"""The token service end to end through its ASGI endpoint: the RFC 8693 happy path
over three hops, and every refusal with its RFC 6749 §5.2 code and status."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from passport_core import Audience, ConfigurationError, ExchangeRules, Minter, generate_key
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE

from .conftest import STS, World


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return result


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["error_description"], str)
    assert response.headers["cache-control"] == "no-store"


def test_three_hops_nest_the_whole_actor_chain(world: World) -> None:
    at_a = world.passport("a")
    response = world.post(world.form("a", at_a, "b"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == JWT_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 300
    at_b = body["access_token"]
    at_c = world.exchange("b", at_b, "c")
    at_d = world.exchange("c", at_c, "d")
    passport = world.verifier("d").verify(at_d)
    assert passport.subject == "user-1"
    assert passport.audience == ("d",)
    assert [actor.subject for actor in passport.actor] == ["c", "b", "a"]
    assert passport.claims["act"] == {"sub": "c", "act": {"sub": "b", "act": {"sub": "a"}}}
    # how the user authenticated survives every hop
    assert passport.auth_methods == {"pwd", "otp"}
    assert passport.auth_context == "urn:acr:mfa"
    assert passport.auth_time is not None
    # fresh jti at each hop
    assert len({_claims(t)["jti"] for t in (at_a, at_b, at_c, at_d)}) == 4


def test_exp_is_never_later_than_the_subject_tokens(world: World) -> None:
    short = world.passport("a", ttl=20)
    exchanged = world.exchange("a", short, "b")
    assert _claims(exchanged)["exp"] <= _claims(short)["exp"]
    assert _claims(exchanged)["iss"] == STS


def test_scopes_and_data_are_narrowed_per_audience(world: World) -> None:
    at_b = world.exchange("a", world.passport("a"), "b")
    # b's audience may get only the orders scopes
    assert set(_claims(at_b)["scope"].split()) == {"orders:read", "orders:write"}
    at_c = world.exchange("b", at_b, "c")
    c = world.verifier("c").verify(at_c)
    assert c.roles == {"buyer", "admin"}
    assert c.permissions == frozenset()  # not a field c sees
    assert dict(c.profile) == {"email": "u@example.test"}
    assert c.tenant == "acme"
    # the client c may ask only for orders:read; d sees scopes alone
    d = world.verifier("d").verify(world.exchange("c", at_c, "d"))
    assert d.scopes == {"orders:read"}
    assert d.roles == frozenset()
    assert d.tenant is None


def test_a_narrower_scope_is_granted_and_a_wider_one_refused(world: World) -> None:
    subject = world.passport("a", scopes=["orders:read"])
    narrowed = world.exchange("a", subject, "b", scope="orders:read")
    assert _claims(narrowed)["scope"] == "orders:read"
    _refused(
        world.post(world.form("a", subject, "b", scope="orders:read orders:write")),
        400,
        "invalid_scope",
    )


def test_resource_names_the_target(world: World) -> None:
    at_b = world.exchange("a", world.passport("a"), "b")
    form = world.form("b", at_b, None, resource="https://c.test/api")  # type: ignore[arg-type]
    response = world.post(form)
    assert response.status_code == 200, response.text
    assert _claims(response.json()["access_token"])["aud"] == "c"


def test_audience_and_resource_may_both_name_the_one_target(world: World) -> None:
    # RFC 8693 §2.1: both may be given; naming two different targets is invalid_target.
    at_b = world.exchange("a", world.passport("a"), "b")
    same = world.form("b", at_b, "c", resource="https://c.test/api")
    assert world.post(same).status_code == 200
    other = world.form("b", at_b, "d", resource="https://c.test/api")
    _refused(world.post(other), 400, "invalid_target")


def test_access_token_type_is_accepted_for_the_subject(world: World) -> None:
    form = world.form("a", world.passport("a"), "b", subject_token_type=ACCESS_TOKEN_TYPE)
    assert world.post(form).status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
        ({"subject_token": None}, "invalid_request"),
        ({"subject_token_type": None}, "invalid_request"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "invalid_request"),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "invalid_request"),
        ({"actor_token": "x", "actor_token_type": JWT_TOKEN_TYPE}, "invalid_request"),
        ({"scope": ["a", "b"]}, "invalid_request"),
        (
            {"grant_type": ["urn:ietf:params:oauth:grant-type:token-exchange"] * 2},
            "invalid_request",
        ),
        ({"audience": None}, "invalid_target"),
        ({"audience": ["b", "c"]}, "invalid_target"),
        ({"audience": "d"}, "invalid_target"),  # a may not ask for d
        ({"audience": "nowhere"}, "invalid_target"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
    ],
)
def test_malformed_requests(world: World, change: dict[str, Any], code: str) -> None:
    form = world.form("a", world.passport("a"), "b")
    form.update(change)
    form = {k: v for k, v in form.items() if v is not None}
    _refused(world.post(form), 400, code)


def test_client_authentication_failures(world: World) -> None:
    subject = world.passport("a")
    form = world.form("a", subject, "b")
    # replayed assertion (same jti)
    assert world.post(form).status_code == 200
    _refused(world.post(form), 401, "invalid_client")
    # no assertion at all
    bare = {k: v for k, v in form.items() if not k.startswith("client_assertion")}
    _refused(world.post(bare), 401, "invalid_client")
    # signed by a key the registry does not hold for "a"
    foreign = world.form(
        "a", subject, "b", client_assertion=world.assertion("a", key=generate_key("ES256"))
    )
    _refused(world.post(foreign), 401, "invalid_client")
    # addressed to another token service
    elsewhere = world.form(
        "a", subject, "b", client_assertion=world.assertion("a", audience="https://other")
    )
    _refused(world.post(elsewhere), 401, "invalid_client")
    # an unknown client (its own key, a name the registry lacks)
    unknown = world.form(
        "a", subject, "b", client_assertion=world.assertion("zed", key=generate_key("ES256"))
    )
    _refused(world.post(unknown), 401, "invalid_client")
    # client_id disagreeing with the assertion
    mismatched = world.form("a", subject, "b")
    mismatched["client_id"] = "b"
    _refused(world.post(mismatched), 401, "invalid_client")
    # garbage
    _refused(
        world.post(world.form("a", subject, "b", client_assertion="not.a.jwt")),
        401,
        "invalid_client",
    )
    # a Basic secret is not a supported method: challenged
    response = world.post(bare, headers={"Authorization": "Basic YTpi"})
    _refused(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_an_expired_client_assertion_is_refused(world: World) -> None:
    auth = ClientAuth("a", method="private_key_jwt", key=world.keys["a"])
    old = auth.credentials(STS, lambda: time.time() - 600).form["client_assertion"]
    form = world.form("a", world.passport("a"), "b", client_assertion=old)
    _refused(world.post(form), 401, "invalid_client")


def test_subject_token_failures(world: World) -> None:
    # not addressed to the caller: b presents a's passport
    _refused(world.post(world.form("b", world.passport("a"), "c")), 400, "invalid_request")
    # expired: minted by the edge's keys on a clock 50 minutes behind
    old_edge = Minter(
        world.edge.key_ring, issuer=world.edge.issuer, clock=lambda: time.time() - 3000
    )
    expired = old_edge.mint("user-1", audience="a", ttl=60)
    _refused(world.post(world.form("a", expired, "b")), 400, "invalid_request")
    # forged: an edited payload breaks the signature
    token = world.passport("a", roles=["buyer"])
    head, _, signature = token.split(".")
    claims = _claims(token)
    claims["roles"] = ["admin"]
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(
        world.post(world.form("a", f"{head}.{edited}.{signature}", "b")), 400, "invalid_request"
    )
    # an untrusted issuer
    stranger = Minter(generate_key(), issuer="https://stranger.test").mint("user-1", audience="a")
    _refused(world.post(world.form("a", stranger, "b")), 400, "invalid_request")


def test_a_forged_act_chain_is_refused(world: World) -> None:
    at_b = world.exchange("a", world.passport("a"), "b")
    head, _, signature = at_b.split(".")
    claims = _claims(at_b)
    claims["act"] = {"sub": "trusted-service"}  # b rewrites who acted before it
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(
        world.post(world.form("b", f"{head}.{edited}.{signature}", "c")), 400, "invalid_request"
    )


def test_a_truncated_chain_attempt_is_refused(world: World) -> None:
    # c holds the passport b was given (captured), and tries to exchange it as if it
    # were its own, dropping b from the chain: it is not addressed to c.
    at_b = world.exchange("a", world.passport("a"), "b")
    at_c = world.exchange("b", at_b, "c")
    _refused(world.post(world.form("c", at_b, "d")), 400, "invalid_request")
    # and the edge passport addressed to a, presented by c, likewise
    _refused(world.post(world.form("c", world.passport("a"), "d")), 400, "invalid_request")
    assert world.verifier("d").verify(world.exchange("c", at_c, "d")).actor[-1].subject == "a"


def test_chain_depth_is_capped(world: World) -> None:
    at_b = world.exchange("a", world.passport("a"), "b")
    at_c = world.exchange("b", at_b, "c")
    at_d = world.exchange("c", at_c, "d")  # three actors: the cap
    _refused(world.post(world.form("d", at_d, "a")), 400, "invalid_request")


def test_may_act_names_the_only_allowed_actor(world: World) -> None:
    allowed = world.passport("a", claims={"may_act": {"sub": "a"}})
    assert world.post(world.form("a", allowed, "b")).status_code == 200
    other = world.passport("a", claims={"may_act": {"sub": "someone-else"}})
    _refused(world.post(world.form("a", other, "b")), 400, "unauthorized_client")
    # may_act does not travel on: b can exchange what it got
    at_b = world.exchange("a", allowed, "b")
    assert "may_act" not in _claims(at_b)


def test_http_level_refusals(world: World) -> None:
    response = world.post(None, method="GET")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    response = world.post(b'{"grant_type": "x"}', headers={"content-type": "application/json"})
    _refused(response, 415, "invalid_request")
    big = b"a=" + b"x" * 40_000
    response = world.post(big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    bad_utf8 = b"grant_type=%ff%fe"
    response = world.post(bad_utf8, headers={"content-type": "application/x-www-form-urlencoded"})
    _refused(response, 400, "invalid_request")


def test_the_jwks_lets_services_trust_the_token_service(world: World) -> None:
    response = world.post(None, method="GET", path="/.well-known/jwks.json")
    assert response.status_code == 200
    kids = {key["kid"] for key in response.json()["keys"]}
    assert world.sts.key_ring.active.kid in kids


@pytest.mark.parametrize(
    "options",
    [
        {"resources": {"c": "b"}},  # a resource spelled like audience "c" would redirect it
        {"resources": {"https://x.test": "nowhere"}},
        {"scopes": {"nowhere": ["a"]}},
        {"max_depth": 0},
    ],
)
def test_rules_that_contradict_themselves_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ExchangeRules([Audience("b"), Audience("c")], **options)


def test_the_sign_in_session_survives_every_hop_whatever_an_audience_sees(world: World) -> None:
    # d's audience sees scopes alone, yet revoking the session must still reach its passport
    at_b = world.exchange("a", world.passport("a", claims={"sid": "s-9"}), "b")
    at_d = world.exchange("c", world.exchange("b", at_b, "c"), "d")
    assert _claims(at_d)["sid"] == "s-9"
    assert "sid" not in _claims(world.exchange("a", world.passport("a"), "b"))
