"""The topmost service mints: every adapter set up with an in-process edge.

The conformance service is set up with :data:`~tests.conformance.apps.EDGE_SETTINGS`
(an :class:`~passport_core.Edge` authenticating API keys, no keys to verify with).
The same routes then see the passport the edge minted from the caller's
credential; a passport the client sends is never read nor forwarded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from passport_core import (
    IdentityProviderUnavailable,
    InvalidCredential,
    MissingCredential,
    problem_response,
)
from tests.conformance.apps import EDGE_SETTINGS, SLOW_KEY
from tests.conformance.conftest import Headers, Send, serving
from tests.conformance.test_conformance import GATE, _getter, _valid, assert_core_answer
from tests.servers import RunningServer


def _key(key: str) -> Headers:
    return [("X-API-Key", key)]


@pytest.fixture
def send_edge(adapter: str) -> Iterator[Send]:
    """``send(path, headers)`` to the adapter's conformance service, minting in-process."""
    with serving(adapter, EDGE_SETTINGS) as sender:
        yield sender


def test_the_credential_becomes_the_routes_passport(send_edge: Send) -> None:
    answer = send_edge("/whoami", _key("key-carol"))
    assert answer.status == 200
    assert answer.json() == {
        "subject": "carol",
        "roles": ["admin"],
        "permissions": [],
        "profile": {},
    }
    assert send_edge("/optional", _key("key-alice")).json() == {"subject": "alice"}
    # the service's own policies see the minted passport
    assert send_edge("/admin", _key("key-carol")).json() == {"subject": "carol"}
    denied = send_edge("/admin", _key("key-alice"))
    assert (denied.status, denied.json()["code"]) == (403, "permission_denied")


def test_without_a_credential_a_required_route_is_401_and_an_optional_one_anonymous(
    send_edge: Send,
) -> None:
    answer = send_edge("/required", [])
    assert_core_answer(answer, MissingCredential())
    assert answer.headers["www-authenticate"] == "Bearer"
    assert send_edge("/optional", []).json() == {"subject": None}


@pytest.mark.parametrize("route", ["/required", "/optional"])
def test_a_bad_credential_is_401_even_where_optional(send_edge: Send, route: str) -> None:
    answer = send_edge(route, _key("key-guessed"))
    assert answer.status == 401
    assert answer.json()["code"] == "invalid_credential"
    assert_core_answer(answer, InvalidCredential("the API key is not valid"))
    assert "key-guessed" not in answer.content.decode()
    assert "key-guessed" not in answer.headers["www-authenticate"]


def test_a_client_sent_passport_is_never_read(send_edge: Send) -> None:
    # A genuine passport, signed by the very keys the edge uses: still not the caller's say.
    smuggled = [("X-Passport", _valid("mallory", roles=["admin"]))]
    assert send_edge("/required", smuggled).json()["code"] == "missing_credential"
    assert send_edge("/optional", smuggled).json() == {"subject": None}
    answer = send_edge("/admin", [*smuggled, *_key("key-alice")])
    assert (answer.status, answer.json()["code"]) == (403, "permission_denied")
    assert send_edge("/required", [*smuggled, *_key("key-alice")]).json() == {"subject": "alice"}


def test_the_minted_passport_goes_to_the_next_hop(send_edge: Send, echo: RunningServer) -> None:
    smuggled = _valid("mallory", roles=["admin"])
    answer = send_edge(f"/forward?url={echo.url}/x", [("X-Passport", smuggled), *_key("key-carol")])
    assert answer.status == 200
    forwarded = answer.json()["x-passport"]
    assert forwarded != smuggled
    passport = GATE.authenticate(_getter([("X-Passport", forwarded)]))
    assert passport is not None
    assert (passport.subject, passport.roles) == ("carol", frozenset({"admin"}))
    assert "x-api-key" not in {name.lower() for name in answer.json()}
    # no credential: nothing is forwarded, least of all the client's passport
    anonymous = send_edge(f"/forward?url={echo.url}/x", [("X-Passport", smuggled)])
    assert "x-passport" not in anonymous.json()


def test_an_identity_store_that_does_not_answer_is_a_503(send_edge: Send) -> None:
    answer = send_edge("/required", _key(SLOW_KEY))
    assert answer.status == 503
    assert answer.json()["code"] == "identity_provider_unavailable"
    assert_core_answer(answer, IdentityProviderUnavailable())
    assert (
        answer.headers["retry-after"]
        == problem_response(IdentityProviderUnavailable()).headers["Retry-After"]
    )


def test_step_up_applies_to_a_minted_passport(send_edge: Send) -> None:
    # an API key records no acr, amr or auth_time: the step-up route asks for more
    answer = send_edge("/stepup", _key("key-alice"))
    assert answer.status == 401
    assert answer.json()["code"] == "insufficient_user_authentication"
