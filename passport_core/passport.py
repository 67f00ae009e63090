"""The Passport: an immutable, typed view of verified claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from passport_core import claims as c
from passport_core.token.fingerprint import fingerprint
from passport_core.token.frozen import freeze_members

__all__ = ["Actor", "Passport"]


@dataclass(frozen=True, slots=True)
class Actor:
    """One party in the ``act`` chain (RFC 8693 §4.1): who acted for the subject."""

    subject: str
    issuer: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


_UTC = timezone.utc
_fromtimestamp = datetime.fromtimestamp
_NOTHING: frozenset[str] = frozenset()
_NO_PROFILE: Mapping[str, Any] = MappingProxyType({})
_new = object.__new__
_set = object.__setattr__


def _actors(act: Any) -> tuple[Actor, ...]:
    chain: list[Actor] = []
    while isinstance(act, Mapping):
        chain.append(Actor(act[c.SUBJECT], act.get(c.ISSUER), MappingProxyType(dict(act))))
        act = act.get(c.ACTOR)
    return tuple(chain)


@dataclass(frozen=True, slots=True)
class Passport:
    """Verified identity and common data of the caller.

    Only :class:`~passport_core.Verifier` (and :class:`~passport_core.Minter`)
    create passports; holding one means every check passed. ``token`` is the
    raw compact JWS to forward; it is left out of ``repr`` so it never lands
    in a log by accident.
    """

    subject: str
    issuer: str
    audience: tuple[str, ...]
    issued_at: datetime | None
    expires_at: datetime
    not_before: datetime | None
    jti: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    permissions: frozenset[str]
    tenant: str | None
    profile: Mapping[str, Any]
    actor: tuple[Actor, ...]
    claims: Mapping[str, Any] = field(repr=False)
    token: str = field(repr=False)
    header: Mapping[str, Any] = field(repr=False, default_factory=dict)
    #: how the caller authenticated at the edge: ``amr`` (RFC 8176 method values),
    #: ``acr`` and ``auth_time`` (OpenID Connect Core §2), when the edge recorded them
    auth_methods: frozenset[str] = frozenset()
    auth_context: str | None = None
    auth_time: datetime | None = None

    @classmethod
    def from_claims(
        cls, claims: Mapping[str, Any], token: str, header: Mapping[str, Any] | None = None
    ) -> Passport:
        """Build from claims that verification has already type-checked.

        The passport takes ownership of ``claims``: its arrays and objects become
        read-only in place (``FrozenList``/``FrozenDict``), as a passport may be shared
        by every request presenting the same token (the verified-token cache).
        """
        if type(claims) is dict:
            freeze_members(claims)
        # Runs on every cold verify: one lookup per claim, no helper calls for absent ones.
        get = claims.get
        aud = claims[c.AUDIENCE]
        scope = get(c.SCOPE)
        roles = get(c.ROLES)
        permissions = get(c.PERMISSIONS)
        amr = get(c.AUTH_METHODS)
        iat = get(c.ISSUED_AT)
        nbf = get(c.NOT_BEFORE)
        auth_time = get(c.AUTH_TIME)
        profile = get(c.PROFILE)
        act = get(c.ACTOR)
        # The dataclass __init__ goes through a generic frozen-field setter per field; on
        # every cold verify it is cheaper to fill the slots here (the same frozen object).
        passport = _new(cls)
        _set(passport, "subject", claims[c.SUBJECT])
        _set(passport, "issuer", claims[c.ISSUER])
        _set(passport, "audience", (aud,) if aud.__class__ is str else tuple(aud))
        _set(passport, "issued_at", None if iat is None else _fromtimestamp(iat, _UTC))
        _set(passport, "expires_at", _fromtimestamp(claims[c.EXPIRES_AT], _UTC))
        _set(passport, "not_before", None if nbf is None else _fromtimestamp(nbf, _UTC))
        _set(passport, "jti", get(c.JWT_ID))
        _set(passport, "roles", frozenset(roles) if roles else _NOTHING)
        _set(passport, "scopes", frozenset(scope.split()) if scope else _NOTHING)
        _set(passport, "permissions", frozenset(permissions) if permissions else _NOTHING)
        _set(passport, "tenant", get(c.TENANT))
        _set(passport, "profile", MappingProxyType(profile) if profile else _NO_PROFILE)
        _set(passport, "actor", _actors(act) if act is not None else ())
        _set(passport, "claims", MappingProxyType(claims))
        _set(passport, "token", token)
        _set(
            passport,
            "header",
            header if isinstance(header, MappingProxyType) else MappingProxyType(header or {}),
        )
        _set(passport, "auth_methods", frozenset(amr) if amr else _NOTHING)
        _set(passport, "auth_context", get(c.AUTH_CONTEXT))
        _set(
            passport,
            "auth_time",
            None if auth_time is None else _fromtimestamp(auth_time, _UTC),
        )
        return passport

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def can(self, permission: str) -> bool:
        """True if the passport grants ``permission``."""
        return permission in self.permissions

    @property
    def fingerprint(self) -> str:
        """A short hash of the token, safe to log."""
        return fingerprint(self.token)

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None
