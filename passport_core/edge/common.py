"""Common data: what the edge puts in a passport besides who the caller is.

Roles, scopes, permissions, tenant, profile and custom claims, gathered from
the credential itself and from enrichers, merged by one rule: sets add up,
``profile`` fields merge, and two sources that disagree on a single value
(the tenant, one custom claim, one profile field) are an error rather than a
silent winner: which enricher finished first must never decide the passport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from passport_core import claims as c
from passport_core.errors import MintingError

__all__ = ["COMMON_FIELDS", "CommonData"]

#: the names an enricher's mapping may use for the typed fields
COMMON_FIELDS = frozenset({"roles", "scopes", "permissions", "tenant", "profile"})


def _strings(name: str, value: Any) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise MintingError(f"common data {name!r} must be a collection of strings")
    items = list(value)
    if not all(isinstance(item, str) and item for item in items):
        raise MintingError(f"every item of common data {name!r} must be a non-empty string")
    return frozenset(items)


def _merged(what: str, mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(mine)
    for name, value in theirs.items():
        if name in out and out[name] != value:
            raise MintingError(f"two sources disagree on {what} {name!r}")
        out[name] = value
    return out


@dataclass(frozen=True)
class CommonData:
    """An immutable bundle of common data; :meth:`merge` combines two."""

    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    tenant: str | None = None
    profile: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: custom claims, by claim name
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | CommonData | None) -> CommonData:
        """Read an enricher's answer: the typed fields by name, anything else a custom claim."""
        if data is None:
            return cls()
        if isinstance(data, CommonData):
            return data
        if not isinstance(data, Mapping):
            raise MintingError("common data must be a mapping")
        tenant = data.get("tenant")
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            raise MintingError("common data 'tenant' must be a non-empty string")
        profile = data.get("profile") or {}
        if not isinstance(profile, Mapping):
            raise MintingError("common data 'profile' must be a mapping")
        extra = {name: value for name, value in data.items() if name not in COMMON_FIELDS}
        if not all(isinstance(name, str) and name for name in extra):
            raise MintingError("custom claim names must be non-empty strings")
        return cls(
            roles=_strings("roles", data.get("roles", ())),
            scopes=_strings("scopes", data.get("scopes", ())),
            permissions=_strings("permissions", data.get("permissions", ())),
            tenant=tenant,
            profile=MappingProxyType(dict(profile)),
            claims=MappingProxyType(extra),
        )

    def merge(self, other: CommonData) -> CommonData:
        """Both sources' data; raises :class:`MintingError` where they disagree."""
        if self.tenant and other.tenant and self.tenant != other.tenant:
            raise MintingError("two sources disagree on the tenant")
        return CommonData(
            roles=self.roles | other.roles,
            scopes=self.scopes | other.scopes,
            permissions=self.permissions | other.permissions,
            tenant=self.tenant or other.tenant,
            profile=MappingProxyType(_merged("profile field", self.profile, other.profile)),
            claims=MappingProxyType(_merged("claim", self.claims, other.claims)),
        )

    def as_claims(self) -> dict[str, Any]:
        """The passport claims this data becomes (sorted sets: a stable token for one input)."""
        out: dict[str, Any] = dict(self.claims)
        if self.roles:
            out[c.ROLES] = sorted(self.roles)
        if self.scopes:
            out[c.SCOPE] = " ".join(sorted(self.scopes))
        if self.permissions:
            out[c.PERMISSIONS] = sorted(self.permissions)
        if self.tenant is not None:
            out[c.TENANT] = self.tenant
        if self.profile:
            out[c.PROFILE] = dict(self.profile)
        return out
