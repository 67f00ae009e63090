"""Sender-constrained passports (RFC 9449) answer the same in every adapter.

A bound passport (``cnf.jkt``) passes only with a fresh DPoP proof for the very
request; every refusal is core's own 401 with the ``DPoP`` challenge.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from passport_core import (
    InvalidProof,
    Minter,
    MissingProof,
    PassportNotBound,
    ProofReplayed,
    confirmation,
    generate_key,
    make_proof,
    problem_response,
)
from tests.conformance.apps import AUDIENCE, ISSUER, RING, SETTINGS
from tests.conformance.conftest import Answer, Send, serving

MINTER = Minter(RING, issuer=ISSUER)
HOLDER = generate_key("ES256")
#: the URL each test client addresses (its default host), before the route's path
BASE = {
    "fastapi": "http://testserver",
    "flask": "http://localhost",
    "django": "http://testserver",
    "django-async": "http://testserver/async",
    "drf": "http://testserver/drf",
}


@pytest.fixture(params=["optional", "required"])
def send_bound(adapter: str, request: pytest.FixtureRequest) -> Iterator[Send]:
    with serving(adapter, {**SETTINGS, "binding": request.param}) as sender:
        yield sender


def bound_passport() -> str:
    return MINTER.mint("alice", audience=AUDIENCE, cnf=confirmation(HOLDER))


def url(adapter: str, path: str) -> str:
    return BASE[adapter] + path


def assert_refused_like_core(answer: Answer, error: type[InvalidProof | PassportNotBound]) -> None:
    expected = problem_response(error())
    assert answer.status == 401
    assert answer.json()["code"] == error.code
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith("DPoP ")
    scheme_error = "invalid_dpop_proof" if issubclass(error, InvalidProof) else "invalid_token"
    assert f'error="{scheme_error}"' in challenge
    assert expected.headers["WWW-Authenticate"].split(",")[0] == challenge.split(",")[0]


@pytest.mark.parametrize("route", ["/required", "/optional", "/group/required"])
def test_a_bound_passport_with_its_proof_passes(send_bound: Send, adapter: str, route: str) -> None:
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, route) + "?ignored=1", token=token)
    answer = send_bound(route, [("X-Passport", token), ("DPoP", proof)])
    assert answer.status == 200, answer.content
    assert answer.json()["subject"] == "alice"


@pytest.mark.parametrize(
    "path", ["/items/caf%C3%A9%20au%20lait", "/items/100%25", "/items/%7Euser%20x"]
)
def test_the_proof_names_the_path_as_the_client_sent_it(
    send_bound: Send, adapter: str, path: str
) -> None:
    # RFC 9449 §4.3 step 9: the htu is the URI the client called, percent-encoded as sent,
    # while frameworks hand out the decoded path. (An encoded "/" needs the path as sent,
    # which Django's test clients do not pass: tests/django/test_servers.py has it.)
    if adapter == "django-async" and "%C3" in path:
        # Django's AsyncClient puts a Latin-1 decoded path in the ASGI scope, against the
        # ASGI spec (UTF-8); under a real ASGI server this case is in test_servers.py.
        path = "/items/caf%20au%20lait"
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, path), token=token)
    answer = send_bound(path, [("X-Passport", token), ("DPoP", proof)])
    assert answer.status == 200, answer.content
    assert answer.json()["subject"] == "alice"


def test_a_proof_for_another_path_is_refused(send_bound: Send, adapter: str) -> None:
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, "/items/other"), token=token)
    answer = send_bound("/items/caf%C3%A9", [("X-Passport", token), ("DPoP", proof)])
    assert_refused_like_core(answer, InvalidProof)


def test_a_bound_passport_without_proof_is_refused(send_bound: Send) -> None:
    answer = send_bound("/required", [("X-Passport", bound_passport())])
    assert_refused_like_core(answer, MissingProof)
    # optional means "may be absent", never "may be stolen"
    answer = send_bound("/optional", [("X-Passport", bound_passport())])
    assert_refused_like_core(answer, MissingProof)


def test_a_replayed_proof_is_refused(send_bound: Send, adapter: str) -> None:
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, "/required"), token=token)
    assert send_bound("/required", [("X-Passport", token), ("DPoP", proof)]).status == 200
    answer = send_bound("/required", [("X-Passport", token), ("DPoP", proof)])
    assert_refused_like_core(answer, ProofReplayed)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/required"), ("GET", "/admin"), ("GET", "https://elsewhere.test/required")],
    ids=["method", "path", "host"],
)
def test_a_proof_for_another_request_is_refused(
    send_bound: Send, adapter: str, method: str, path: str
) -> None:
    token = bound_passport()
    target = path if path.startswith("https:") else url(adapter, path)
    proof = make_proof(HOLDER, method, target, token=token)
    answer = send_bound("/required", [("X-Passport", token), ("DPoP", proof)])
    assert_refused_like_core(answer, InvalidProof)


@pytest.mark.parametrize(
    ("skew", "accepted"),
    [(-3600, False), (-30, True), (3, True), (3600, False)],
    ids=["an-hour-old", "half-a-minute-old", "clock-a-little-ahead", "an-hour-ahead"],
)
def test_a_proof_outside_its_time_window_is_refused(
    send_bound: Send, adapter: str, skew: int, accepted: bool
) -> None:
    # RFC 9449 §11.1: iat within the window (60 s old at most, 5 s of clock skew ahead).
    token = bound_passport()
    iat = time.time() + skew
    proof = make_proof(HOLDER, "GET", url(adapter, "/required"), token=token, iat=iat)
    answer = send_bound("/required", [("X-Passport", token), ("DPoP", proof)])
    if accepted:
        assert answer.status == 200, answer.content
    else:
        assert_refused_like_core(answer, InvalidProof)


def test_a_proof_by_another_key_is_refused(send_bound: Send, adapter: str) -> None:
    token = bound_passport()
    thief = generate_key("ES256")
    proof = make_proof(thief, "GET", url(adapter, "/required"), token=token)
    answer = send_bound("/required", [("X-Passport", token), ("DPoP", proof)])
    assert_refused_like_core(answer, InvalidProof)


def test_two_proofs_are_refused(send_bound: Send, adapter: str) -> None:
    token = bound_passport()
    proofs = [
        ("DPoP", make_proof(HOLDER, "GET", url(adapter, "/required"), token=token))
        for _ in range(2)
    ]
    answer = send_bound("/required", [("X-Passport", token), *proofs])
    assert_refused_like_core(answer, InvalidProof)


def test_an_unbound_passport_is_refused_where_binding_is_required(adapter: str) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE)
    with serving(adapter, {**SETTINGS, "binding": "required"}) as send:
        assert_refused_like_core(send("/required", [("X-Passport", token)]), PassportNotBound)
    with serving(adapter, {**SETTINGS, "binding": "optional"}) as send:
        assert send("/required", [("X-Passport", token)]).status == 200


def test_a_bound_passport_is_refused_where_binding_is_off(adapter: str) -> None:
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, "/required"), token=token)
    with serving(adapter, {**SETTINGS, "binding": "off"}) as send:
        answer = send("/required", [("X-Passport", token), ("DPoP", proof)])
    assert_refused_like_core(answer, InvalidProof)


def test_the_rfc_9449_authorization_scheme_carries_a_bound_passport(adapter: str) -> None:
    token = bound_passport()
    proof = make_proof(HOLDER, "GET", url(adapter, "/required"), token=token)
    with serving(adapter, {**SETTINGS, "header": None, "bearer": True}) as send:
        answer = send("/required", [("Authorization", f"DPoP {token}"), ("DPoP", proof)])
        assert answer.status == 200, answer.content
        answer = send("/required", [("Authorization", f"DPoP {bound_passport()}")])
    assert_refused_like_core(answer, MissingProof)
