"""Receiving-side delegation policies (RFC 8693 §4.1 ``act``) answered alike by every adapter.

``/delegated`` of the conformance service requires :data:`~tests.conformance.apps.DELEGATED`
(called by ``orders`` on behalf of a user, through the ``gateway``, at most two hops)
through each adapter's own policy idiom; a chain that falls short gets core's 403, to the byte.
"""

from __future__ import annotations

from typing import Any

import pytest

from passport_core import PassportError, PermissionDenied
from tests.conformance.apps import AUDIENCE, DELEGATED
from tests.conformance.conftest import Send
from tests.conformance.test_conformance import GATE, MINTER, _getter, _one, assert_core_answer

GATEWAY_THEN_ORDERS: dict[str, Any] = {"sub": "orders", "act": {"sub": "gateway"}}

#: case -> (subject, act claim) of a passport the delegated route refuses
REFUSED: dict[str, tuple[str, dict[str, Any] | None]] = {
    "a direct call": ("user-1", None),
    "another caller": ("user-1", {"sub": "billing", "act": {"sub": "gateway"}}),
    "not on behalf of a user": ("batch-job", GATEWAY_THEN_ORDERS),
    "the gateway not in the chain": ("user-1", {"sub": "orders", "act": {"sub": "cron"}}),
    "too deep a chain": (
        "user-1",
        {"sub": "orders", "act": {"sub": "x", "act": GATEWAY_THEN_ORDERS}},
    ),
}


def _refusal(token: str) -> PassportError:
    passport = GATE.authenticate(_getter(_one(token)))
    assert passport is not None
    with pytest.raises(PermissionDenied) as caught:
        DELEGATED.check(passport)
    return caught.value


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_chain_that_falls_short_is_403_like_core(send: Send, case: str) -> None:
    subject, act = REFUSED[case]
    token = MINTER.mint(subject, audience=AUDIENCE, actor=act)
    answer = send("/delegated", _one(token))
    assert answer.status == 403
    assert answer.json()["code"] == "permission_denied"
    assert_core_answer(answer, _refusal(token))


def test_orders_calling_for_a_user_through_the_gateway_passes(send: Send) -> None:
    token = MINTER.mint("user-1", audience=AUDIENCE, actor=GATEWAY_THEN_ORDERS)
    answer = send("/delegated", _one(token))
    assert (answer.status, answer.json()) == (200, {"subject": "user-1"})


def test_without_a_passport_the_delegated_route_is_a_plain_401(send: Send) -> None:
    answer = send("/delegated", [])
    assert answer.status == 401
    assert answer.json()["code"] == "missing_token"
