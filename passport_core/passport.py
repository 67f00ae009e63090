"""The Passport: an immutable, typed view of verified claims."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from passport_core import claims as c
from passport_core.token.fingerprint import fingerprint
from passport_core.token.frozen import freeze_members

__all__ = ["Actor", "Passport", "carries", "verified_passport"]


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


class _Verified:
    """Where a verified passport keeps its claims as parsed, until its fields are read.

    A slot of its own, outside the dataclass fields: it takes no part in ``==``,
    ``repr``, copies or :func:`dataclasses.fields`.
    """

    __slots__ = ("_raw",)
    _raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Passport(_Verified):
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
            raw = claims
        else:
            raw = dict(claims)  # a mapping of the caller's: its fields read from a copy
        built = verified_passport(raw, token, header)
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


# ---------------------------------------------------------------------------------------
# Fields computed on first read.
#
# A cold verify used to build every field: four datetimes, four frozensets, read-only
# copies of every JSON array and object in the claims. Most requests read two or three of
# them, so a verified passport now fills only its cheap fields (plain strings, the token,
# the header) and leaves the others' slots empty. Reading an empty slot raises
# AttributeError inside CPython, which then calls ``__getattr__``: it computes the value
# once, from ``_raw``, and stores it in the slot, where every later read is the plain slot
# read (no Python-level descriptor on the hot path). Values and types are exactly those
# an eager build gave; the object stays immutable to its users (the dataclass's
# ``__setattr__``/``__delattr__`` refuse, and a filled slot never changes).
# ---------------------------------------------------------------------------------------


def _at(claims: Mapping[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    return None if value is None else _fromtimestamp(value, _UTC)


def _strings(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    values = claims.get(name)
    return frozenset(values) if values else _NOTHING


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get(c.SCOPE)
    return frozenset(scope.split()) if scope else _NOTHING


def _claims_of(passport: Passport) -> Mapping[str, Any]:
    raw: dict[str, Any] = passport._raw
    # A cached passport is shared by every request presenting its token: its JSON arrays
    # and objects become read-only before anyone can reach them.
    freeze_members(raw)
    return MappingProxyType(raw)


def _profile_of(passport: Passport) -> Mapping[str, Any]:
    profile = passport.claims.get(c.PROFILE)  # the frozen copy, so nested values are too
    return MappingProxyType(profile) if profile else _NO_PROFILE


def _actor_of(passport: Passport) -> tuple[Actor, ...]:
    act = passport.claims.get(c.ACTOR)
    return _actors(act) if act is not None else ()


#: how each lazily filled field is computed; from the parsed claims (``_raw``), or, for
#: the ones that hand out JSON containers, from the frozen ``claims``
_LAZY: dict[str, Callable[[Passport], Any]] = {
    "issued_at": lambda p: _at(p._raw, c.ISSUED_AT),
    "expires_at": lambda p: _fromtimestamp(p._raw[c.EXPIRES_AT], _UTC),
    "not_before": lambda p: _at(p._raw, c.NOT_BEFORE),
    "auth_time": lambda p: _at(p._raw, c.AUTH_TIME),
    "roles": lambda p: _strings(p._raw, c.ROLES),
    "scopes": lambda p: _scopes(p._raw),
    "permissions": lambda p: _strings(p._raw, c.PERMISSIONS),
    "auth_methods": lambda p: _strings(p._raw, c.AUTH_METHODS),
    "claims": _claims_of,
    "profile": _profile_of,
    "actor": _actor_of,
}
#: one lock for every first read: a field is computed once even when threads race to it
#: (re-entrant: ``profile`` reads ``claims``); a filled slot is read without it
_FILLING = threading.RLock()
_set_slot = object.__setattr__


def _missing(passport: object, name: str) -> AttributeError:
    return AttributeError(
        f"{type(passport).__name__!r} object has no attribute {name!r}", name=name, obj=passport
    )


def _fill(passport: Passport, name: str) -> Any:
    """``__getattr__`` of :class:`Passport`: an empty lazy slot's value, computed once."""
    compute = _LAZY.get(name)
    if compute is None:
        raise _missing(passport, name)
    slot = _SLOT_READERS[name]
    with _FILLING:
        try:
            return slot(passport)  # another thread filled it while this one waited
        except AttributeError:
            pass
        try:
            passport._raw  # noqa: B018 - built by __init__: every slot is set, or none
        except AttributeError:
            raise _missing(passport, name) from None
        value = compute(passport)
        _set_slot(passport, name, value)
        return value


#: the slot itself (CPython's member descriptor), read without falling back to __getattr__
_SLOT_READERS: dict[str, Callable[[Passport], Any]] = {
    name: Passport.__dict__[name].__get__ for name in _LAZY
}

if not TYPE_CHECKING:  # to type checkers, a Passport has its declared fields and no others
    Passport.__getattr__ = _fill


def carries(passport: Passport, name: str) -> bool:
    """Whether ``passport``'s claims hold ``name``, without building its read-only ``claims``.

    For core's own per-request questions (the gate's "is it bound?"): answered from the
    parsed claims a verified passport keeps, so a request that never reads ``claims``
    never pays for freezing them.
    """
    try:
        raw = passport._raw
    except AttributeError:  # built by __init__ (a bundle, a subclass): every field is set
        return name in passport.claims
    return name in raw


class _Draft(_Verified):
    """A mutable twin of :class:`Passport` with the same slots, filled then re-classed.

    Why: a frozen dataclass can only be filled through ``object.__setattr__`` (a generic
    call per field, about 8 % of what a cold verify spent outside the signature,
    measured with callgrind on Python 3.11);
    plain slot stores are the cheapest assignment CPython has, and assigning
    ``__class__`` to a class of the identical slot layout is a documented operation
    (it raises ``TypeError`` if the layouts ever differ, which the tests would show).
    """

    __slots__ = _FIELDS


def verified_passport(
    claims: dict[str, Any], token: str, header: Mapping[str, Any] | None
) -> Passport:
    """A :class:`Passport` of claims already type-checked; it takes ownership of ``claims``.

    The verifier's path. Only the plain fields are set here; the others (times,
    sets, the read-only claims) are computed on first read (see ``_LAZY``).
    """
    # Runs on every cold verify: a handful of lookups, no allocation beyond the passport.
    get = claims.get
    aud = claims[c.AUDIENCE]
    draft: Any = _new(_Draft)
    draft._raw = claims
    draft.subject = claims[c.SUBJECT]
    draft.issuer = claims[c.ISSUER]
    draft.audience = (aud,) if aud.__class__ is str else tuple(aud)
    draft.jti = get(c.JWT_ID)
    draft.tenant = get(c.TENANT)
    draft.auth_context = get(c.AUTH_CONTEXT)
    draft.token = token
    draft.header = (
        header if isinstance(header, MappingProxyType) else MappingProxyType(header or {})
    )
    draft.__class__ = Passport
    passport: Passport = draft
    return passport
