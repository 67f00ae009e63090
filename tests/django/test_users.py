"""PassportUser: request.user from a passport, with no database behind it."""

from __future__ import annotations

import pytest

from passport_core import Minter, Passport, Verifier
from passport_django import PassportUser
from tests.django import settings as test_settings
from tests.django.conftest import Mint


@pytest.fixture
def verify() -> Verifier:
    return Verifier(
        keys=test_settings.ring.public_jwks(),
        issuer=test_settings.issuer,
        audience=test_settings.audience,
    )


def test_the_user_is_authenticated_and_named_after_the_subject(
    mint: Mint, verify: Verifier
) -> None:
    token = mint("alice", roles=["admin"], scopes=["orders:read"], tenant="acme")
    user = PassportUser(verify.verify(token))
    assert (user.is_authenticated, user.is_anonymous, user.is_active) == (True, False, True)
    assert (user.is_staff, user.is_superuser, user.pk) == (False, False, None)
    assert user.username == user.get_username() == str(user) == "alice"
    assert (user.roles, user.scopes, user.tenant) == ({"admin"}, {"orders:read"}, "acme")
    assert token not in repr(user)


def test_django_permissions_are_the_passport_permissions(mint: Mint, verify: Verifier) -> None:
    user = PassportUser(verify.verify(mint(permissions=["orders.refund", "orders.view"])))
    assert user.has_perm("orders.refund")
    assert not user.has_perm("billing.refund")
    assert user.has_perms(["orders.refund", "orders.view"])
    assert not user.has_perms(["orders.refund", "orders.delete"])
    assert user.get_all_permissions() == {"orders.refund", "orders.view"}
    assert user.has_module_perms("orders")
    assert not user.has_module_perms("billing")


def test_users_are_equal_per_issuer_and_subject(mint: Mint, verify: Verifier) -> None:
    first, again = verify.verify(mint("alice")), verify.verify(mint("alice"))
    assert first.jti != again.jti
    assert PassportUser(first) == PassportUser(again)
    assert len({PassportUser(first), PassportUser(again)}) == 1
    assert PassportUser(first) != PassportUser(verify.verify(mint("bob")))
    other_issuer = Verifier(
        keys=test_settings.ring.public_jwks(), issuer="https://other.test", audience="orders"
    )
    from_other: Passport = other_issuer.verify(
        Minter(test_settings.ring, issuer="https://other.test").mint("alice", audience="orders")
    )
    assert PassportUser(from_other) != PassportUser(first)
