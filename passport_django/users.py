"""``request.user`` for a request that carries a passport: no database row behind it."""

from __future__ import annotations

from collections.abc import Iterable

from passport_core import Passport

__all__ = ["PassportUser"]


class PassportUser:
    """An authenticated user built from a verified passport.

    It quacks like ``django.contrib.auth`` users where views look
    (``is_authenticated``, ``username``, ``has_perm``), but it is not a model:
    nothing is read from or written to a database, and Django permissions
    are the passport's ``permissions`` claim (``user.has_perm("orders.refund")``).
    """

    is_active = True
    is_anonymous = False
    is_authenticated = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, passport: Passport) -> None:
        self.passport = passport

    @property
    def username(self) -> str:
        return self.passport.subject

    def get_username(self) -> str:
        return self.passport.subject

    @property
    def roles(self) -> frozenset[str]:
        return self.passport.roles

    @property
    def scopes(self) -> frozenset[str]:
        return self.passport.scopes

    @property
    def tenant(self) -> str | None:
        return self.passport.tenant

    def get_all_permissions(self, obj: object = None) -> set[str]:
        return set(self.passport.permissions)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.passport.can(perm)

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return all(self.passport.can(perm) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.passport.permissions)

    def __str__(self) -> str:
        return self.passport.subject

    def __repr__(self) -> str:
        return f"<PassportUser {self.passport.subject!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PassportUser) and other._identity == self._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    @property
    def _identity(self) -> tuple[str, str]:
        # A subject is unique per issuer only.
        return (self.passport.issuer, self.passport.subject)
