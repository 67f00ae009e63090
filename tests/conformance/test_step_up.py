"""Step-up authentication (RFC 9470) answered alike by every adapter's policy path.

``/stepup`` of the conformance service requires :data:`~tests.conformance.apps.STEP_UP`
through the adapter's own idiom (FastAPI ``require_policy``, Flask and Django
``require_policy`` decorators, DRF ``HasPolicy``); a passport whose authentication
falls short gets core's 401 challenge, to the byte.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from passport_core import InsufficientAuthentication, PassportError
from tests.conformance.apps import AUDIENCE, STEP_UP
from tests.conformance.conftest import Send
from tests.conformance.test_conformance import GATE, MINTER, _getter, _one, assert_core_answer

STRONG: dict[str, Any] = {"auth_context": "urn:acr:mfa", "auth_methods": ["pwd", "hwk"]}

#: case -> the authentication claims of a passport the step-up route refuses
TOO_WEAK: dict[str, dict[str, Any]] = {
    "no acr": {"auth_methods": ["hwk"], "auth_time": int(time.time())},
    "another acr": {**STRONG, "auth_context": "urn:acr:pwd", "auth_time": int(time.time())},
    "a method missing": {**STRONG, "auth_methods": ["pwd"], "auth_time": int(time.time())},
    "no auth_time": STRONG,
    "too long ago": {**STRONG, "auth_time": int(time.time()) - 3600},
}


def _refusal(token: str) -> PassportError:
    passport = GATE.authenticate(_getter(_one(token)))
    assert passport is not None
    with pytest.raises(InsufficientAuthentication) as caught:
        STEP_UP.check(passport)
    return caught.value


@pytest.mark.parametrize("case", list(TOO_WEAK))
def test_a_weak_authentication_gets_the_step_up_challenge(send: Send, case: str) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE, **TOO_WEAK[case])
    answer = send("/stepup", _one(token))
    assert answer.status == 401
    assert answer.json()["code"] == "insufficient_user_authentication"
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_user_authentication"')
    assert 'acr_values="urn:acr:mfa urn:acr:hwk"' in challenge
    assert 'max_age="300"' in challenge
    assert_core_answer(answer, _refusal(token))


def test_a_strong_recent_authentication_passes(send: Send) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE, **STRONG, auth_time=int(time.time()) - 10)
    answer = send("/stepup", _one(token))
    assert (answer.status, answer.json()) == (200, {"subject": "alice"})


def test_without_a_passport_the_step_up_route_is_a_plain_401(send: Send) -> None:
    answer = send("/stepup", [])
    assert answer.status == 401
    assert answer.json()["code"] == "missing_token"
