"""The Passport: an immutable, typed view of verified claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from passport_core import claims as c
from passport_core.token.fingerprint import fingerprint

__all__ = ["Actor", "Passport"]


@dataclass(frozen=True, slots=True)
class Actor:
    """One party in the ``act`` chain (RFC 8693 §4.1): who acted for the subject."""

    subject: str
    issuer: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc)


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

        The passport takes ownership of ``claims`` (read-only views, no copies).
        """
        aud = claims[c.AUDIENCE]
        scope = claims.get(c.SCOPE)
        return cls(
            subject=claims[c.SUBJECT],
            issuer=claims[c.ISSUER],
            audience=(aud,) if isinstance(aud, str) else tuple(aud),
            issued_at=_timestamp(claims.get(c.ISSUED_AT)),
            expires_at=datetime.fromtimestamp(claims[c.EXPIRES_AT], tz=timezone.utc),
            not_before=_timestamp(claims.get(c.NOT_BEFORE)),
            jti=claims.get(c.JWT_ID),
            roles=frozenset(claims.get(c.ROLES, ())),
            scopes=frozenset(scope.split()) if scope else frozenset(),
            permissions=frozenset(claims.get(c.PERMISSIONS, ())),
            tenant=claims.get(c.TENANT),
            profile=MappingProxyType(claims.get(c.PROFILE) or {}),
            actor=_actors(claims.get(c.ACTOR)),
            claims=MappingProxyType(claims),
            token=token,
            header=MappingProxyType(header or {}),
            auth_methods=frozenset(claims.get(c.AUTH_METHODS, ())),
            auth_context=claims.get(c.AUTH_CONTEXT),
            auth_time=_timestamp(claims.get(c.AUTH_TIME)),
        )

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
