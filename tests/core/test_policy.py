"""Policies: requirements, combinators, decisions with reasons, 403 on denial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from passport_core import (
    ConfigurationError,
    Decision,
    InsufficientAuthentication,
    Passport,
    PermissionDenied,
    Policy,
    all_of,
    any_of,
    max_delegation_depth,
    require,
    require_actor,
    require_authentication,
    require_chain,
    require_direct,
    require_object,
    require_permission,
    require_role,
    require_scope,
)
from tests.core.conftest import NOW, ManualClock

PassportFor = Callable[..., Passport]


@pytest.fixture
def staff(passport_for: PassportFor) -> Passport:
    return passport_for(
        "alice",
        roles=["staff", "viewer"],
        scopes=["orders:read", "orders:write"],
        permissions=["orders.refund"],
        tenant="acme",
    )


@pytest.fixture
def nobody(passport_for: PassportFor) -> Passport:
    return passport_for("bob")


@dataclass
class Order:
    owner: str
    tenant: str


def owns(passport: Passport, order: Order) -> bool:
    return order.owner == passport.subject


def in_tenant(passport: Passport) -> bool:
    return passport.tenant == "acme"


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (require_role("staff"), True),
        (require_role("staff", "viewer"), True),
        (require_role("admin"), False),
        (require_role("staff", "admin"), False),
        (require_scope("orders:read"), True),
        (require_scope("orders:read", "orders:write"), True),
        (require_scope("orders"), False),
        (require_scope("orders:delete"), False),
        (require_permission("orders.refund"), True),
        (require_permission("orders.cancel"), False),
        (require(in_tenant), True),
        (require(lambda p: p.subject == "bob"), False),
    ],
    ids=repr,
)
def test_single_requirements(policy: Policy, allowed: bool, staff: Passport) -> None:
    decision = policy.evaluate(staff)
    assert isinstance(decision, Decision)
    assert decision.allowed is allowed
    assert bool(decision) is allowed


def test_nothing_is_granted_to_a_bare_passport(nobody: Passport) -> None:
    for policy in (require_role("staff"), require_scope("orders:read"), require_permission("x")):
        assert not policy.evaluate(nobody)


def test_roles_and_scopes_are_separate(staff: Passport) -> None:
    # A role name is not a scope and vice versa.
    assert not require_scope("staff").evaluate(staff)
    assert not require_role("orders:read").evaluate(staff)
    assert not require_permission("staff").evaluate(staff)


def test_denial_reason_names_what_is_missing(staff: Passport) -> None:
    assert require_role("staff", "admin", "root").evaluate(staff) == Decision(
        False, "requires role 'admin', 'root'"
    )
    assert require_scope("orders:delete").evaluate(staff).reason == "requires scope 'orders:delete'"
    assert require_permission("x").evaluate(staff).reason == "requires permission 'x'"


def test_allow_reason_names_what_was_held(staff: Passport) -> None:
    assert require_role("staff").evaluate(staff) == Decision(True, "has role 'staff'")
    assert require(in_tenant).evaluate(staff) == Decision(True, "satisfies in_tenant")


def test_predicate_reason_defaults_to_its_name_or_a_given_text(staff: Passport) -> None:
    assert require(lambda p: False, "an on-call shift").evaluate(staff).reason == (
        "requires an on-call shift"
    )
    assert require(lambda p: False).evaluate(staff).reason == "requires <lambda>"


def test_object_level_requirement(staff: Passport) -> None:
    policy = require_object(owns, "ownership of the order")
    assert policy.evaluate(staff, Order("alice", "acme")) == Decision(
        True, "satisfies ownership of the order"
    )
    assert policy.evaluate(staff, Order("carol", "acme")) == Decision(
        False, "requires ownership of the order"
    )
    with pytest.raises(PermissionDenied, match="ownership"):
        policy.check(staff, Order("carol", "acme"))
    policy.check(staff, Order("alice", "acme"))


def test_all_of_allows_only_when_every_policy_allows(staff: Passport) -> None:
    both = all_of(require_role("staff"), require_scope("orders:read"))
    assert both.evaluate(staff) == Decision(True, "has role 'staff' and has scope 'orders:read'")
    denied = all_of(require_role("staff"), require_scope("orders:delete"), require_role("x"))
    # The first denial is the reason.
    assert denied.evaluate(staff) == Decision(False, "requires scope 'orders:delete'")


def test_any_of_allows_when_one_policy_allows(staff: Passport) -> None:
    either = any_of(require_role("admin"), require_permission("orders.refund"))
    assert either.evaluate(staff) == Decision(True, "has permission 'orders.refund'")
    neither = any_of(require_role("admin"), require_scope("orders:delete"))
    # A denial lists every reason.
    assert neither.evaluate(staff) == Decision(
        False, "requires role 'admin' or requires scope 'orders:delete'"
    )


def test_operators_combine_like_all_of_and_any_of(staff: Passport, nobody: Passport) -> None:
    policy = (require_role("admin") | require_role("staff")) & require_scope("orders:write")
    assert policy.evaluate(staff)
    assert not policy.evaluate(nobody)
    assert repr(policy) == (
        "all_of(any_of(require_role('admin'), require_role('staff')), "
        "require_scope('orders:write'))"
    )
    assert not (require_role("staff") & require_role("admin")).evaluate(staff)
    assert (require_role("admin") | require_role("staff")).evaluate(staff)


def test_combinators_pass_the_object_down(staff: Passport) -> None:
    policy = require_role("admin") | (require_role("staff") & require_object(owns))
    assert policy.evaluate(staff, Order("alice", "acme"))
    assert not policy.evaluate(staff, Order("carol", "acme"))
    assert policy.evaluate(staff, Order("carol", "acme")).reason == (
        "requires role 'admin' or requires owns"
    )


@pytest.mark.parametrize(
    "policy",
    [
        require_role("admin"),
        require_scope("orders:delete"),
        require_permission("orders.cancel"),
        require(lambda p: False, "never"),
        all_of(require_role("staff"), require_role("admin")),
        any_of(require_role("admin"), require_role("root")),
    ],
    ids=repr,
)
def test_check_raises_permission_denied_403_with_the_reason(
    policy: Policy, staff: Passport
) -> None:
    with pytest.raises(PermissionDenied) as excinfo:
        policy.check(staff)
    error = excinfo.value
    assert (error.status, error.code) == (403, "permission_denied")
    assert error.message == policy.evaluate(staff).reason
    assert staff.token not in error.message


def test_check_returns_quietly_when_allowed(staff: Passport) -> None:
    require_role("staff").check(staff)
    (require_role("admin") | require_scope("orders:read")).check(staff)


def test_a_predicate_error_is_not_swallowed_as_a_denial_or_a_grant(staff: Passport) -> None:
    def broken(passport: Passport) -> bool:
        raise LookupError("backend down")

    with pytest.raises(LookupError):
        require(broken).evaluate(staff)


@pytest.mark.parametrize(
    "build",
    [
        require_role,
        require_scope,
        require_permission,
        lambda: require_role(""),
        lambda: require_scope("read", ""),
        lambda: require_permission(None),
        lambda: require_role(["admin"]),
        lambda: require("not callable"),
        lambda: require_object(None),
        all_of,
        any_of,
        lambda: all_of(require_role("a"), "b"),
        lambda: any_of(lambda p: True),
        lambda: require_role("a") & "b",
        lambda: require_role("a") | None,
    ],
)
def test_configuration_errors_for_empty_or_bad_requirements(build: Callable[[], Any]) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_decision_is_immutable() -> None:
    decision = Decision(True, "ok")
    with pytest.raises(AttributeError):
        decision.allowed = False  # type: ignore[misc]


@pytest.fixture
def mfa_user(passport_for: PassportFor) -> Passport:
    return passport_for(
        "carol",
        roles=["staff"],
        auth_methods=["pwd", "otp", "mfa"],
        auth_context="urn:acr:gold",
        auth_time=int(NOW) - 120,
    )


@pytest.mark.parametrize(
    ("kwargs", "allowed"),
    [
        ({"acr": "urn:acr:gold"}, True),
        ({"acr": ["urn:acr:silver", "urn:acr:gold"]}, True),
        ({"acr": "urn:acr:platinum"}, False),
        ({"amr": "mfa"}, True),
        ({"amr": ["otp", "pwd"]}, True),
        ({"amr": ["mfa", "hwk"]}, False),
        ({"max_age": 120}, True),
        ({"max_age": 119}, False),
        ({"acr": "urn:acr:gold", "amr": "mfa", "max_age": 600}, True),
        ({"acr": "urn:acr:gold", "amr": "hwk", "max_age": 600}, False),
    ],
)
def test_require_authentication(kwargs: dict[str, Any], allowed: bool, mfa_user: Passport) -> None:
    policy = require_authentication(clock=lambda: NOW, **kwargs)
    assert policy.evaluate(mfa_user).allowed is allowed


def test_a_passport_without_authentication_claims_is_asked_to_step_up(nobody: Passport) -> None:
    for policy in (
        require_authentication(acr="urn:acr:gold"),
        require_authentication(amr="mfa"),
        require_authentication(max_age=3600, clock=lambda: NOW),
    ):
        with pytest.raises(InsufficientAuthentication):
            policy.check(nobody)


def test_a_step_up_denial_is_a_401_carrying_what_to_come_back_with(mfa_user: Passport) -> None:
    policy = require_authentication(acr=["urn:acr:platinum"], max_age=60, clock=lambda: NOW)
    with pytest.raises(InsufficientAuthentication) as caught:
        policy.check(mfa_user)
    error = caught.value
    assert (error.status, error.code) == (401, "insufficient_user_authentication")
    assert (error.acr_values, error.max_age) == (("urn:acr:platinum",), 60)
    assert "urn:acr:platinum" in error.message


def test_a_step_up_denial_survives_all_of_and_a_role_denial_stays_403(
    mfa_user: Passport,
) -> None:
    step_up = require_role("staff") & require_authentication(amr="hwk")
    with pytest.raises(InsufficientAuthentication):
        step_up.check(mfa_user)
    with pytest.raises(PermissionDenied):
        (require_role("admin") & require_authentication(amr="mfa")).check(mfa_user)
    (require_role("staff") & require_authentication(amr="mfa")).check(mfa_user)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"acr": ""},
        {"amr": [""]},
        {"amr": [1]},
        {"max_age": -1},
        {"max_age": 1.5},
        {"max_age": True},
    ],
)
def test_require_authentication_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        require_authentication(**kwargs)


def test_require_authentication_repr_names_its_requirements() -> None:
    text = repr(require_authentication(acr="urn:acr:gold", max_age=60))
    assert "urn:acr:gold" in text
    assert "60" in text


# -- step-up: require_authentication (RFC 9470) -----------------------------------------------

AUTH_AT = 1_700_000_000


@pytest.fixture
def strong(passport_for: PassportFor) -> Passport:
    return passport_for(
        "carol",
        roles=["admin"],
        auth_context="urn:acr:mfa",
        auth_methods=["pwd", "otp", "mfa"],
        auth_time=AUTH_AT,
    )


def _challenge(policy: Policy, passport: Passport) -> InsufficientAuthentication:
    decision = policy.evaluate(passport)
    assert not decision.allowed
    assert isinstance(decision.error, InsufficientAuthentication)
    with pytest.raises(InsufficientAuthentication) as caught:
        policy.check(passport)
    assert caught.value.status == 401
    assert caught.value.code == "insufficient_user_authentication"
    return caught.value


def test_acr_must_be_one_of_the_listed_values(strong: Passport, nobody: Passport) -> None:
    assert require_authentication(acr=["urn:acr:hwk", "urn:acr:mfa"]).evaluate(strong).allowed
    refused = _challenge(require_authentication(acr="urn:acr:hwk"), strong)
    assert refused.acr_values == ("urn:acr:hwk",)
    _challenge(require_authentication(acr="urn:acr:mfa"), nobody)  # no acr at all


def test_amr_needs_every_listed_method(strong: Passport) -> None:
    assert require_authentication(amr=["otp", "mfa"]).evaluate(strong).allowed
    refused = _challenge(require_authentication(amr=["otp", "hwk"]), strong)
    assert "hwk" in refused.message
    assert "otp" not in refused.message


def test_max_age_counts_from_auth_time_on_the_policys_clock(
    strong: Passport, nobody: Passport, manual_clock: ManualClock
) -> None:
    manual_clock.now = AUTH_AT + 299
    recent = require_authentication(max_age=300, clock=manual_clock)
    assert recent.evaluate(strong).allowed
    manual_clock.advance(2)
    refused = _challenge(recent, strong)
    assert refused.max_age == 300
    assert refused.acr_values == ()
    _challenge(recent, nobody)  # no auth_time: never recent enough


def test_step_up_combines_with_other_policies(
    strong: Passport, staff: Passport, manual_clock: ManualClock
) -> None:
    manual_clock.now = AUTH_AT + 10
    step_up = require_authentication(acr="urn:acr:mfa", max_age=60, clock=manual_clock)
    both = require_role("admin") & step_up
    assert both.evaluate(strong).allowed
    # the first denial decides: a missing role is a 403, weak authentication a 401
    with pytest.raises(PermissionDenied):
        both.check(staff)
    _challenge(require_role("staff") & step_up, staff)
    # either: a staff member passes without stepping up; otherwise the last denial is a 403
    either = require_role("staff") | step_up
    assert either.evaluate(staff).allowed
    assert either.evaluate(strong).allowed
    manual_clock.advance(120)
    assert not either.evaluate(strong).allowed


@pytest.mark.parametrize(
    "build",
    [
        require_authentication,
        lambda: require_authentication(acr=[""]),
        lambda: require_authentication(amr=[3]),  # type: ignore[list-item]
        lambda: require_authentication(max_age=-1),
        lambda: require_authentication(max_age=True),
        lambda: require_authentication(max_age=1.5),  # type: ignore[arg-type]
    ],
)
def test_step_up_configuration_errors(build: Callable[[], Any]) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_any_of_keeps_a_step_up_when_stepping_up_could_satisfy_a_branch(
    mfa_user: Passport,
) -> None:
    either = any_of(
        require_role("admin"),
        require_authentication(acr="urn:acr:platinum", max_age=60, clock=lambda: NOW),
        require_authentication(amr="hwk"),
    )
    with pytest.raises(InsufficientAuthentication) as caught:
        either.check(mfa_user)
    error = caught.value
    assert (error.status, error.code) == (401, "insufficient_user_authentication")
    assert (error.acr_values, error.max_age) == (("urn:acr:platinum",), 60)  # the first step-up
    assert "admin" in error.message
    assert "urn:acr:platinum" in error.message


def test_any_of_without_a_step_up_branch_stays_403(mfa_user: Passport) -> None:
    with pytest.raises(PermissionDenied):
        any_of(require_role("admin"), require_scope("orders:delete")).check(mfa_user)
    # a branch that needs a role as well as a step-up is no step-up for a caller without it
    with pytest.raises(PermissionDenied):
        any_of(
            require_role("admin"), require_authentication(amr="hwk") & require_role("root")
        ).check(mfa_user)


def test_all_of_asks_to_step_up_only_when_nothing_else_denies(mfa_user: Passport) -> None:
    # Whatever the order: stepping up would not give carol the root role.
    with pytest.raises(PermissionDenied):
        (require_authentication(amr="hwk") & require_role("root")).check(mfa_user)
    with pytest.raises(InsufficientAuthentication):
        (require_authentication(amr="hwk") & require_role("staff")).check(mfa_user)


@pytest.mark.parametrize(("ahead", "allowed"), [(0, True), (30, True), (31, False), (10**6, False)])
def test_a_future_auth_time_satisfies_no_max_age_beyond_clock_skew(
    ahead: int, allowed: bool, strong: Passport, manual_clock: ManualClock
) -> None:
    # auth_time `ahead` seconds later than the policy's clock: no proof of a recent login.
    manual_clock.now = AUTH_AT - ahead
    policy = require_authentication(max_age=300, clock=manual_clock)
    if allowed:
        assert policy.evaluate(strong).allowed
    else:
        assert _challenge(policy, strong).max_age == 300


# -- delegation: the act chain (RFC 8693 §4.1) ----------------------------------------------

#: act claims by case; the outermost act is the current actor, the innermost acted first
CHAINS: dict[str, dict[str, Any] | None] = {
    "direct": None,
    "by orders": {"sub": "orders"},
    "gateway then orders": {"sub": "orders", "act": {"sub": "gateway"}},
    "gateway, orders, billing": {
        "sub": "billing",
        "act": {"sub": "orders", "act": {"sub": "gateway"}},
    },
}


@pytest.fixture(params=list(CHAINS))
def chain_case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _delegated(passport_for: PassportFor, case: str, subject: str = "alice") -> Passport:
    return passport_for(subject, actor=CHAINS[case])


@pytest.mark.parametrize(
    ("policy", "allowed_cases"),
    [
        (require_actor("orders"), {"by orders", "gateway then orders"}),
        (
            require_actor("orders", "billing"),
            {"by orders", "gateway then orders", "gateway, orders, billing"},
        ),
        (require_actor("gateway"), set()),  # the gateway acted, but it is not the caller
        (require_actor(), {"by orders", "gateway then orders", "gateway, orders, billing"}),
        (require_actor("orders", on_behalf_of="alice"), {"by orders", "gateway then orders"}),
        (require_actor("orders", on_behalf_of=["bob", "carol"]), set()),
        (
            require_actor(on_behalf_of=lambda sub: sub.startswith("al")),
            {"by orders", "gateway then orders", "gateway, orders, billing"},
        ),
        (require_chain("gateway"), {"gateway then orders", "gateway, orders, billing"}),
        (require_chain("billing", "gateway"), {"gateway, orders, billing"}),
        (require_chain("gateway", "billing", in_order=True), {"gateway, orders, billing"}),
        (require_chain("billing", "gateway", in_order=True), set()),
        (require_chain("orders", "gateway", in_order=True), set()),
        (max_delegation_depth(0), {"direct"}),
        (max_delegation_depth(1), {"direct", "by orders"}),
        (max_delegation_depth(3), set(CHAINS)),
        (require_direct(), {"direct"}),
    ],
    ids=repr,
)
def test_delegation_policies_read_the_act_chain(
    policy: Policy, allowed_cases: set[str], chain_case: str, passport_for: PassportFor
) -> None:
    passport = _delegated(passport_for, chain_case)
    decision = policy.evaluate(passport)
    assert decision.allowed is (chain_case in allowed_cases)
    if not decision.allowed:
        with pytest.raises(PermissionDenied) as caught:
            policy.check(passport)
        assert caught.value.status == 403
        assert caught.value.code == "permission_denied"
        assert str(caught.value) == decision.reason


@pytest.mark.parametrize(
    ("policy", "case", "reason"),
    [
        (require_actor("orders"), "direct", "requires a call by 'orders', not a direct call"),
        (
            require_actor("orders"),
            "gateway, orders, billing",
            "requires a call by 'orders', not by 'billing'",
        ),
        (require_actor(), "direct", "requires a delegated call, not a direct call"),
        (
            require_actor("orders", on_behalf_of="bob"),
            "by orders",
            "requires a call by 'orders' on behalf of 'bob'",
        ),
        (
            require_chain("gateway", "audit"),
            "gateway, orders, billing",
            "requires 'audit' in the delegation chain",
        ),
        (
            require_chain("orders", "gateway", in_order=True),
            "gateway then orders",
            "requires the delegation chain to pass orders then gateway",
        ),
        (
            max_delegation_depth(1),
            "gateway, orders, billing",
            "requires at most 1 delegation(s), the chain has 3",
        ),
        (require_direct(), "by orders", "requires a direct call, not one delegated 1 times"),
    ],
)
def test_delegation_denials_say_why(
    policy: Policy, case: str, reason: str, passport_for: PassportFor
) -> None:
    assert policy.evaluate(_delegated(passport_for, case)).reason == reason


def test_delegation_policies_compose_called_by_x_on_behalf_of_y(passport_for: PassportFor) -> None:
    policy = require_actor("orders", on_behalf_of="alice") & max_delegation_depth(2) | require_role(
        "admin"
    )
    assert policy.evaluate(_delegated(passport_for, "gateway then orders")).allowed
    assert not policy.evaluate(_delegated(passport_for, "gateway then orders", "bob")).allowed
    assert policy.evaluate(passport_for("bob", roles=["admin"])).allowed
    # depth 3 is over the limit even though orders is a caller: the chain must stay short
    assert (
        not (require_chain("orders") & max_delegation_depth(2))
        .evaluate(_delegated(passport_for, "gateway, orders, billing"))
        .allowed
    )


def test_the_acting_service_is_the_outermost_actor(passport_for: PassportFor) -> None:
    assert _delegated(passport_for, "direct").acting_service is None
    assert _delegated(passport_for, "gateway, orders, billing").acting_service == "billing"


@pytest.mark.parametrize(
    "make",
    [
        lambda: require_actor(""),
        lambda: require_actor("orders", on_behalf_of=[]),
        lambda: require_actor("orders", on_behalf_of=[""]),
        require_chain,
        lambda: require_chain("a", ""),
        lambda: max_delegation_depth(-1),
        lambda: max_delegation_depth(True),
        lambda: max_delegation_depth(1.5),  # type: ignore[arg-type]
    ],
)
def test_bad_delegation_policies_are_configuration_errors(make: Callable[[], Policy]) -> None:
    with pytest.raises(ConfigurationError):
        make()


def test_delegation_policies_have_readable_reprs() -> None:
    assert repr(require_actor("orders", on_behalf_of="alice")) == (
        "require_actor('orders', on_behalf_of='alice')"
    )
    assert repr(require_chain("a", "b", in_order=True)) == "require_chain('a', 'b', in_order=True)"
    assert repr(max_delegation_depth(2)) == "max_delegation_depth(2)"
    assert repr(require_direct()) == "require_direct()"
