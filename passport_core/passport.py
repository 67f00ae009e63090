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

__all__ = ["Actor", "Passport", "verified_passport"]


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
        built = verified_passport(claims, token, header)
        if cls is Passport:
            return built
        return cls(**{name: getattr(built, name) for name in _FIELDS})  # a subclass's own init

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def can(self, permission: str) -> bool:
        """True if the passport grants ``permission``."""
        return permission in self.permissions

    @property
    def acting_service(self) -> str | None:
        """The current actor's ``sub``: the outermost ``act`` (RFC 8693 §4.1); ``None``: direct."""
        return self.actor[0].subject if self.actor else None

    @property
    def fingerprint(self) -> str:
        """A short hash of the token, safe to log."""
        return fingerprint(self.token)

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


_FIELDS = Passport.__slots__


class _Draft:
    """A mutable twin of :class:`Passport` with the same slots, filled then re-classed.

    Why: a frozen dataclass can only be filled through ``object.__setattr__`` (a generic
    call per field: 19 of them, about 8 % of what a cold verify spends outside the
    signature, measured with callgrind on Python 3.11);
    plain slot stores are the cheapest assignment CPython has, and assigning
    ``__class__`` to a class of the identical slot layout is a documented operation
    (it raises ``TypeError`` if the layouts ever differ, which the tests would show).
    """

    __slots__ = _FIELDS


def verified_passport(
    claims: Mapping[str, Any], token: str, header: Mapping[str, Any] | None
) -> Passport:
    """A :class:`Passport` of claims already type-checked and frozen (``freeze_members``).

    The verifier's path: it checks and freezes the claims in one pass of its own.
    """
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
    draft: Any = _new(_Draft)
    draft.subject = claims[c.SUBJECT]
    draft.issuer = claims[c.ISSUER]
    draft.audience = (aud,) if aud.__class__ is str else tuple(aud)
    draft.issued_at = None if iat is None else _fromtimestamp(iat, _UTC)
    draft.expires_at = _fromtimestamp(claims[c.EXPIRES_AT], _UTC)
    draft.not_before = None if nbf is None else _fromtimestamp(nbf, _UTC)
    draft.jti = get(c.JWT_ID)
    draft.roles = frozenset(roles) if roles else _NOTHING
    draft.scopes = frozenset(scope.split()) if scope else _NOTHING
    draft.permissions = frozenset(permissions) if permissions else _NOTHING
    draft.tenant = get(c.TENANT)
    draft.profile = MappingProxyType(profile) if profile else _NO_PROFILE
    draft.actor = _actors(act) if act is not None else ()
    draft.claims = MappingProxyType(claims)
    draft.token = token
    draft.header = (
        header if isinstance(header, MappingProxyType) else MappingProxyType(header or {})
    )
    draft.auth_methods = frozenset(amr) if amr else _NOTHING
    draft.auth_context = get(c.AUTH_CONTEXT)
    draft.auth_time = None if auth_time is None else _fromtimestamp(auth_time, _UTC)
    draft.__class__ = Passport
    passport: Passport = draft
    return passport
