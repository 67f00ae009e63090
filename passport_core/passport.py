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

    __slots__ = ("_pending", "_raw")
    _raw: dict[str, Any]
    #: the groups of fields not filled yet (see ``_fill``)
    _pending: int


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
# copies of every JSON array and object in the claims, whether or not anyone read them.
# A verified passport now fills only its cheap fields (plain strings, the audience, the
# token, the header) and leaves the others' slots empty. Reading an empty slot raises
# AttributeError inside CPython, which then calls ``__getattr__``: it fills the field's
# group (the times, the sets or the JSON-backed ones) once, from ``_raw``; every later
# read is the plain slot read (no Python-level descriptor on the hot path). Reading every
# field costs about one miss per group more than the eager build did; reading none costs
# nothing. Values and types are exactly those an eager build gave; the object stays
# immutable to its users (the dataclass's ``__setattr__``/``__delattr__`` refuse, and a
# filled slot never changes).
# ---------------------------------------------------------------------------------------


def _at(seconds: float | None) -> datetime | None:
    return None if seconds is None else _fromtimestamp(seconds, _UTC)


def _strings(values: list[str] | None) -> frozenset[str]:
    return frozenset(values) if values else _NOTHING


def _set(name: str) -> Callable[[Passport, Any], None]:
    """The slot's own store (CPython's member descriptor), past the frozen ``__setattr__``."""
    store: Callable[[Passport, Any], None] = Passport.__dict__[name].__set__
    return store


_set_issued_at, _set_expires_at, _set_not_before, _set_auth_time = map(
    _set, ("issued_at", "expires_at", "not_before", "auth_time")
)
_set_roles, _set_scopes, _set_permissions, _set_auth_methods = map(
    _set, ("roles", "scopes", "permissions", "auth_methods")
)
_set_claims, _set_profile, _set_actor = map(_set, ("claims", "profile", "actor"))


def _fill_times(passport: Passport, raw: dict[str, Any]) -> None:
    get = raw.get
    _set_issued_at(passport, _at(get(c.ISSUED_AT)))
    _set_expires_at(passport, _fromtimestamp(raw[c.EXPIRES_AT], _UTC))
    _set_not_before(passport, _at(get(c.NOT_BEFORE)))
    _set_auth_time(passport, _at(get(c.AUTH_TIME)))


def _fill_sets(passport: Passport, raw: dict[str, Any]) -> None:
    get = raw.get
    _set_roles(passport, _strings(get(c.ROLES)))
    scope = get(c.SCOPE)
    _set_scopes(passport, frozenset(scope.split()) if scope else _NOTHING)
    _set_permissions(passport, _strings(get(c.PERMISSIONS)))
    _set_auth_methods(passport, _strings(get(c.AUTH_METHODS)))


def _fill_json(passport: Passport, raw: dict[str, Any]) -> None:
    """The read-only claims, and the fields that hand out parts of them."""
    # A cached passport is shared by every request presenting its token: its JSON arrays
    # and objects become read-only before anyone can reach them.
    freeze_members(raw)
    _set_claims(passport, MappingProxyType(raw))
    profile = raw.get(c.PROFILE)
    _set_profile(passport, MappingProxyType(profile) if profile else _NO_PROFILE)
    act = raw.get(c.ACTOR)
    _set_actor(passport, _actors(act) if act is not None else ())


#: the fields a verified passport leaves empty, in groups filled at once each (a group's
#: first read pays one miss, not one per field): the times, the sets (what policies
#: read), the JSON-backed ones; bits of ``_pending``
_TIMES, _SETS, _JSON = 1, 2, 4
_GROUPS: dict[str, tuple[int, Callable[[Passport, dict[str, Any]], None]]] = {
    **dict.fromkeys(("issued_at", "expires_at", "not_before", "auth_time"), (_TIMES, _fill_times)),
    **dict.fromkeys(("roles", "scopes", "permissions", "auth_methods"), (_SETS, _fill_sets)),
    **dict.fromkeys(("claims", "profile", "actor"), (_JSON, _fill_json)),
}
#: the slot's own read, which raises rather than falling back to ``__getattr__``
_READ: dict[str, Callable[[Passport], Any]] = {
    name: Passport.__dict__[name].__get__ for name in _GROUPS
}
_set_pending = _Verified.__dict__["_pending"].__set__
#: one lock for every first read: a group is filled once even when threads race to it;
#: a filled slot is read without it
_FILLING = threading.Lock()


def _missing(passport: object, name: str) -> AttributeError:
    return AttributeError(
        f"{type(passport).__name__!r} object has no attribute {name!r}", name=name, obj=passport
    )


def _fill(passport: Passport, name: str) -> Any:
    """``__getattr__`` of :class:`Passport`: fill the group of an empty field, once."""
    group = _GROUPS.get(name)
    if group is None:
        raise _missing(passport, name)
    bit, fill = group
    with _FILLING:
        try:
            pending: int = passport._pending
        except AttributeError:  # built by __init__: every slot is set, or was deleted
            raise _missing(passport, name) from None
        if pending & bit:  # not filled by another thread while this one waited
            fill(passport, passport._raw)
            _set_pending(passport, pending & ~bit)
    return _READ[name](passport)


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
    sets, the read-only claims) are computed on first read (see ``_GROUPS``).
    """
    # Runs on every cold verify: a handful of lookups, no allocation beyond the passport.
    get = claims.get
    aud = claims[c.AUDIENCE]
    draft: Any = _new(_Draft)
    draft._raw = claims
    draft._pending = _TIMES | _SETS | _JSON
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
