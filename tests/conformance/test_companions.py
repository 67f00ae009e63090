"""Several passports, one view: every adapter merges a profile companion the same way.

The conformance service is set up with
:data:`~tests.conformance.apps.COMPANION_SETTINGS`: the edge's passport in
``X-Passport`` plus the profile service's in ``X-Passport-Profile``, each
verified against its own issuer and keys, bound by ``txn`` to one request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from passport_core import (
    Minter,
    Passport,
    companion_claims,
    confirmation,
    generate_key,
    make_proof,
)
from tests.conformance.apps import (
    COMPANION_SETTINGS,
    PROFILE_HEADER,
    PROFILE_ISSUER,
    PROFILE_RING,
    RING,
)
from tests.conformance.conftest import Headers, Send, serving
from tests.conformance.test_conformance import GATE, MINTER, _getter, _one
from tests.conformance.test_dpop import url

PROFILE = Minter(PROFILE_RING, issuer=PROFILE_ISSUER)


def _primary(subject: str = "alice") -> tuple[str, Passport]:
    token = MINTER.mint(subject, audience="orders", roles=["viewer"], profile={"name": "Alice"})
    passport = GATE.authenticate(_getter(_one(token)))
    assert passport is not None
    return token, passport


def _companion(primary: Passport, subject: str | None = None, **extra: Any) -> str:
    claims = {**companion_claims(primary), **extra.pop("claims", {})}
    return PROFILE.mint(subject or primary.subject, audience="orders", claims=claims, **extra)


@pytest.fixture
def send_bundle(adapter: str) -> Iterator[Send]:
    with serving(adapter, COMPANION_SETTINGS) as sender:
        yield sender


def test_the_route_sees_one_merged_view(send_bundle: Send) -> None:
    token, primary = _primary()
    companion = _companion(
        primary, roles=["editor"], permissions=["orders:read"], profile={"email": "a@x.test"}
    )
    answer = send_bundle("/whoami", [("X-Passport", token), (PROFILE_HEADER, companion)])
    assert answer.status == 200
    assert answer.json() == {
        "subject": "alice",
        "roles": ["editor", "viewer"],
        "permissions": ["orders:read"],
        "profile": {"email": "a@x.test", "name": "Alice"},
    }


def _another_subject(primary: Passport) -> str:
    return _companion(primary, subject="bob")


def _another_request(primary: Passport) -> str:
    _, other = _primary()
    return _companion(other)


def _contradiction(primary: Passport) -> str:
    return _companion(primary, profile={"name": "Mallory"})


def _signed_by_the_edge(primary: Passport) -> str:
    # the edge's key does not sign for the profile service
    return Minter(RING, issuer=PROFILE_ISSUER).mint(
        "alice", audience="orders", claims=companion_claims(primary)
    )


def _forged(primary: Passport) -> str:
    impostor = generate_key("ES256", kid=PROFILE_RING.active.kid)
    return Minter(impostor, issuer=PROFILE_ISSUER).mint(
        "alice", audience="orders", claims=companion_claims(primary), roles=["admin"]
    )


#: case -> (how the companion is made from the primary, the code every adapter answers)
REFUSED: dict[str, tuple[Callable[[Passport], str], str]] = {
    "another subject": (_another_subject, "companion_mismatch"),
    "another request": (_another_request, "companion_mismatch"),
    "no txn": (lambda p: PROFILE.mint("alice", audience="orders"), "companion_mismatch"),
    "contradicting profile": (_contradiction, "companion_mismatch"),
    "signed by the edge's key": (_signed_by_the_edge, "unknown_kid"),
    "forged": (_forged, "bad_signature"),
    "malformed": (lambda p: "not-a-passport", "malformed_token"),
    # bound to a key no proof of this request covers: it could have been stolen
    "bound to a key": (
        lambda p: _companion(p, cnf=confirmation(generate_key("ES256"))),
        "companion_mismatch",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_companions_that_do_not_belong_together_are_refused(send_bundle: Send, case: str) -> None:
    make, code = REFUSED[case]
    token, primary = _primary()
    companion = make(primary)
    headers: Headers = [("X-Passport", token), (PROFILE_HEADER, companion)]
    for route in ("/required", "/optional", "/whoami"):
        answer = send_bundle(route, headers)
        assert answer.status == 401, route
        assert answer.json()["code"] == code
        assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert companion not in answer.content.decode()
        assert token not in answer.content.decode()


def test_a_required_companion_missing_is_401(send_bundle: Send) -> None:
    token, _ = _primary()
    answer = send_bundle("/required", [("X-Passport", token)])
    assert (answer.status, answer.json()["code"]) == (401, "missing_companion")
    # no passport at all: an optional route stays anonymous, companions or not
    assert send_bundle("/optional", []).json() == {"subject": None}


def test_an_optional_companion_may_be_absent_but_never_wrong(adapter: str) -> None:
    settings = {
        **COMPANION_SETTINGS,
        "companions": {
            PROFILE_HEADER: {**COMPANION_SETTINGS["companions"][PROFILE_HEADER], "required": False}
        },
    }
    token, primary = _primary()
    with serving(adapter, settings) as send:
        assert send("/required", [("X-Passport", token)]).json() == {"subject": "alice"}
        wrong = send(
            "/required", [("X-Passport", token), (PROFILE_HEADER, _another_subject(primary))]
        )
        assert (wrong.status, wrong.json()["code"]) == (401, "companion_mismatch")


def test_a_companion_bound_to_the_key_the_passport_proves_is_accepted(
    send_bundle: Send, adapter: str
) -> None:
    holder = generate_key("ES256")
    bound = confirmation(holder)
    token = MINTER.mint("alice", audience="orders", roles=["viewer"], cnf=bound)
    primary = GATE.verifier.verify(token)
    companion = _companion(primary, roles=["editor"], cnf=bound)
    proof = make_proof(holder, "GET", url(adapter, "/whoami"), token=token)
    headers: Headers = [("X-Passport", token), (PROFILE_HEADER, companion), ("DPoP", proof)]
    answer = send_bundle("/whoami", headers)
    assert answer.status == 200, answer.content
    assert answer.json()["roles"] == ["editor", "viewer"]
