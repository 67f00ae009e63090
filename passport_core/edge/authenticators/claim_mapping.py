"""Where an identity provider's token keeps roles, scopes, tenant and profile fields.

Providers disagree: roles sit in ``roles`` (RFC 9068 §2.2.3.1, Entra ID), ``groups``
(Okta, Pomerium), ``realm_access.roles`` (Keycloak) or a namespaced claim
(``https://example.com/roles``, Auth0); scopes in ``scope`` (a space-separated
string, RFC 9068 §2.2.3) or ``scp`` (a list at Okta, a string at Entra ID). A
:class:`ClaimMapping` names the places; the values found become the identity's
:class:`~passport_core.edge.CommonData`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from passport_core.edge.common import CommonData
from passport_core.errors import ConfigurationError, InvalidCredential

__all__ = ["ClaimMapping", "ClaimPath"]

#: a top-level claim name, or the keys leading into nested objects
#: (``("realm_access", "roles")``); names are never split on dots, since
#: namespaced claims are URLs full of them
ClaimPath = str | tuple[str, ...]

_PROFILE_TYPES = (str, int, float, bool)


def _path(path: ClaimPath) -> tuple[str, ...]:
    keys = (path,) if isinstance(path, str) else tuple(path)
    if not keys or not all(isinstance(key, str) and key for key in keys):
        raise ConfigurationError(f"a claim path must be non-empty names, not {path!r}")
    return keys


def _paths(paths: ClaimPath | Iterable[ClaimPath]) -> tuple[tuple[str, ...], ...]:
    if isinstance(paths, str):
        return (_path(paths),)
    return tuple(_path(p) for p in paths)


def _shown(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _lookup(claims: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = claims
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _strings(value: Any, path: tuple[str, ...], *, split: bool) -> set[str]:
    if split and isinstance(value, str):
        return set(value.split())
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return set(value)
    # The provider sent the claim in a shape we cannot read: say so rather than
    # mint a passport without the roles the caller has.
    kind = "a space-separated string or a list of strings" if split else "a list of strings"
    raise InvalidCredential(f"the credential's {_shown(path)!r} claim must be {kind}")


@dataclass(frozen=True)
class ClaimMapping:
    """Where the token's common data is; every place found is read, missing ones skipped.

    :param roles: claims holding role names (lists of strings).
    :param scopes: claims holding scopes (space-separated strings or lists).
    :param permissions: claims holding permission names (lists of strings).
    :param tenant: the claim naming the tenant (a string), if any.
    :param profile: profile field → claim, copied when the claim is a string,
        number or boolean (``{"email": "email", "name": "name"}``); a list of names
        copies each claim under its own name.
    :param claims: passport claim → token claim, copied as they are (for
        example ``{"client_id": "client_id"}``).
    """

    roles: tuple[tuple[str, ...], ...]
    scopes: tuple[tuple[str, ...], ...]
    permissions: tuple[tuple[str, ...], ...]
    tenant: tuple[str, ...] | None
    profile: Mapping[str, tuple[str, ...]]
    claims: Mapping[str, tuple[str, ...]]

    def __init__(
        self,
        *,
        roles: ClaimPath | Iterable[ClaimPath] = ("roles",),
        scopes: ClaimPath | Iterable[ClaimPath] = ("scope", "scp"),
        permissions: ClaimPath | Iterable[ClaimPath] = (),
        tenant: ClaimPath | None = None,
        profile: Mapping[str, ClaimPath] | Iterable[str] | None = None,
        claims: Mapping[str, ClaimPath] | None = None,
    ) -> None:
        if profile is None:
            profile = {"email": "email", "name": "name"}
        elif isinstance(profile, str):
            raise ConfigurationError("profile must be a mapping or a list of claim names")
        elif not isinstance(profile, Mapping):
            profile = {name: name for name in profile}
        for what, names in (("profile field", profile), ("passport claim", claims or {})):
            if not all(isinstance(name, str) and name for name in names):
                raise ConfigurationError(f"every {what} name must be a non-empty string")
        object.__setattr__(self, "roles", _paths(roles))
        object.__setattr__(self, "scopes", _paths(scopes))
        object.__setattr__(self, "permissions", _paths(permissions))
        object.__setattr__(self, "tenant", None if tenant is None else _path(tenant))
        object.__setattr__(
            self, "profile", MappingProxyType({k: _path(v) for k, v in profile.items()})
        )
        object.__setattr__(
            self, "claims", MappingProxyType({k: _path(v) for k, v in (claims or {}).items()})
        )

    def _collect(
        self, claims: Mapping[str, Any], paths: tuple[tuple[str, ...], ...], *, split: bool
    ) -> frozenset[str]:
        found: set[str] = set()
        for path in paths:
            value = _lookup(claims, path)
            if value is not None:
                found |= _strings(value, path, split=split)
        return frozenset(found)

    def common(self, claims: Mapping[str, Any]) -> CommonData:
        """The common data ``claims`` carry; :class:`InvalidCredential` for a mapped claim
        of the wrong shape."""
        tenant = None
        if self.tenant is not None:
            tenant = _lookup(claims, self.tenant)
            if tenant is not None and (not isinstance(tenant, str) or not tenant):
                raise InvalidCredential(
                    f"the credential's {_shown(self.tenant)!r} claim must be a non-empty string"
                )
        profile = {}
        for name, path in self.profile.items():
            value = _lookup(claims, path)
            if isinstance(value, _PROFILE_TYPES):
                profile[name] = value
        extra = {}
        for name, path in self.claims.items():
            value = _lookup(claims, path)
            if value is not None:
                extra[name] = value
        return CommonData(
            roles=self._collect(claims, self.roles, split=False),
            scopes=self._collect(claims, self.scopes, split=True),
            permissions=self._collect(claims, self.permissions, split=False),
            tenant=tenant,
            profile=MappingProxyType(profile),
            claims=MappingProxyType(extra),
        )
