"""Exchanged passports bound to the calling service's key (RFC 9449 §5 at the token endpoint).

A request with a ``DPoP`` proof gets a passport whose ``cnf.jkt`` names the proof's key
and whose token type is ``DPoP``; a bad proof is ``invalid_dpop_proof`` (400).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from passport_core import (
    Audience,
    ClientRegistry,
    ExchangeRules,
    InvalidExchangeProof,
    ProofVerifier,
    RedisReplayCache,
    RequestTarget,
    ServiceClient,
    TokenExchangeEndpoint,
    TokenService,
    generate_key,
    jwk_thumbprint,
    make_proof,
)
from tests.core.exchange.conftest import EDGE, STS, World

URL = "http://sts.test/token"


def as_lists(form: dict[str, Any]) -> dict[str, list[str]]:
    return {name: value if isinstance(value, list) else [value] for name, value in form.items()}


def test_a_request_with_a_proof_gets_a_passport_bound_to_its_key(world: World) -> None:
    key = generate_key("ES256")
    form = world.form("a", world.passport("a"), "b")
    response = world.post(form, headers={"DPoP": make_proof(key, "POST", URL)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    passport = world.verifier("b").verify(body["access_token"])
    assert passport.claims["cnf"] == {"jkt": jwk_thumbprint(key)}


def test_without_a_proof_the_passport_is_a_bearer_one(world: World) -> None:
    response = world.post(world.form("a", world.passport("a"), "b"))
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in world.verifier("b").verify(response.json()["access_token"]).claims


def test_a_bound_subject_token_does_not_pass_its_binding_on(world: World) -> None:
    # The caller's passport was bound to the caller's key; the next hop's is bound to
    # whatever key the exchange request proves, or to none.
    subject = world.passport("a", cnf={"jkt": jwk_thumbprint(generate_key("ES256"))})
    response = world.post(world.form("a", subject, "b"))
    assert response.status_code == 200, response.text
    assert "cnf" not in world.verifier("b").verify(response.json()["access_token"]).claims


def _proofs(key: Any) -> dict[str, list[str]]:
    now = time.time()
    signed = make_proof(key, "POST", URL)
    head, payload, signature = signed.split(".")
    return {
        "for another method": [make_proof(key, "GET", URL)],
        "for another URL": [make_proof(key, "POST", "http://sts.test/other")],
        "for another host": [make_proof(key, "POST", "http://elsewhere.test/token")],
        "too old": [make_proof(key, "POST", URL, iat=now - 3600)],
        "from the future": [make_proof(key, "POST", URL, iat=now + 3600)],
        "with a forged signature": [f"{head}.{payload}.{signature[::-1]}"],
        "not a JWS": ["not.a.proof"],
        "sent twice": [make_proof(key, "POST", URL), make_proof(key, "POST", URL)],
    }


@pytest.mark.parametrize("case", sorted(_proofs(generate_key("ES256"))))
def test_a_bad_proof_is_invalid_dpop_proof(world: World, case: str) -> None:
    proofs = _proofs(generate_key("ES256"))[case]
    form = world.form("a", world.passport("a"), "b")
    response = world.post(form, headers=[("DPoP", proof) for proof in proofs])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_dpop_proof"
    assert response.headers["cache-control"] == "no-store"


def test_a_replayed_proof_is_refused(world: World) -> None:
    proof = make_proof(generate_key("ES256"), "POST", URL)
    first = world.post(world.form("a", world.passport("a"), "b"), headers={"DPoP": proof})
    again = world.post(world.form("a", world.passport("a"), "b"), headers={"DPoP": proof})
    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["error"]) == (400, "invalid_dpop_proof")
    assert "already used" in again.json()["error_description"]


def test_the_proof_is_checked_only_once_the_client_is_authenticated(world: World) -> None:
    # An unauthenticated caller cannot use up a proof (nor fill the replay cache).
    proof = make_proof(generate_key("ES256"), "POST", URL)
    form = world.form("a", world.passport("a"), "b", client_assertion="x.y.z")
    refused = world.post(form, headers={"DPoP": proof})
    assert refused.json()["error"] == "invalid_client"
    accepted = world.post(world.form("a", world.passport("a"), "b"), headers={"DPoP": proof})
    assert accepted.status_code == 200, accepted.text


def _service(world: World, **options: Any) -> TokenService:
    client = ServiceClient("a", world.keys["a"].public(), targets={"b"}, **options)
    return TokenService(
        world.sts,
        ClientRegistry([client], token_service=[STS, URL]),
        ExchangeRules([Audience("b")]),
        trusted={EDGE: world.edge.key_ring},
    )


def test_a_client_registered_as_bound_must_send_a_proof(world: World) -> None:
    service = _service(world, dpop_bound_access_tokens=True)
    form = as_lists(world.form("a", world.passport("a"), "b"))
    with pytest.raises(InvalidExchangeProof) as refused:
        service.exchange(form)
    assert (refused.value.error, refused.value.status) == ("invalid_dpop_proof", 400)
    key = generate_key("EdDSA")
    target_form = as_lists(world.form("a", world.passport("a"), "b"))
    result = service.exchange(
        target_form, proofs=[make_proof(key, "POST", URL)], target=RequestTarget("POST", URL)
    )
    assert result.token_type == "DPoP"


def test_the_public_url_is_what_a_proof_names(world: World) -> None:
    public = "https://sts.example/oauth/token"
    endpoint = TokenExchangeEndpoint(_service(world), url=public)
    behind_proxy = World(world.edge, world.sts, endpoint.service, endpoint, world.keys)
    key = generate_key("ES256")
    seen_by_proxy = behind_proxy.post(
        world.form("a", world.passport("a"), "b"), headers={"DPoP": make_proof(key, "POST", URL)}
    )
    assert seen_by_proxy.json()["error"] == "invalid_dpop_proof"
    as_called = behind_proxy.post(
        world.form("a", world.passport("a"), "b"), headers={"DPoP": make_proof(key, "POST", public)}
    )
    assert as_called.status_code == 200, as_called.text


def test_a_replay_cache_that_is_down_is_503_not_an_accepted_proof(world: World) -> None:
    down = RedisReplayCache.from_url("redis://127.0.0.1:1/0", timeout=0.5)
    service = _service(world)
    service.proofs = ProofVerifier(replay=down)
    shielded = World(world.edge, world.sts, service, TokenExchangeEndpoint(service), world.keys)
    proof = make_proof(generate_key("ES256"), "POST", URL)
    response = shielded.post(world.form("a", world.passport("a"), "b"), headers={"DPoP": proof})
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "retry-after" in response.headers


@pytest.mark.parametrize("host", ["elsewhere.test/anything#", "a b", "sts.test@evil.test"])
def test_a_host_that_is_not_a_host_makes_no_url_a_proof_can_name(world: World, host: str) -> None:
    # Without a configured public URL, the URL a proof must name is rebuilt from Host: a
    # value that is not a host cannot steer it to one of the client's choosing.
    proof = make_proof(generate_key("ES256"), "POST", "http://elsewhere.test/anything")
    response = world.post(
        world.form("a", world.passport("a"), "b"), headers={"DPoP": proof, "Host": host}
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_dpop_proof")
