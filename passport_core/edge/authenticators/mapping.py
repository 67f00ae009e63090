"""Reading common data out of an identity provider's claims.

An ID token, an access token or an introspection response (RFC 7662 §2.2)
carries roles, scopes, a tenant and profile fields under names each provider
chooses (``roles``, ``groups``, Keycloak's ``realm_access.roles``, Azure's
``scp``): a :class:`ClaimMapping` says where to find each, and turns the claims
into :class:`~passport_core.edge.CommonData`. Every authenticator that reads
claims (OpenID Connect, introspection) shares it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from passport_core.edge.common import CommonData
from passport_core.errors import ConfigurationError, InvalidCredential

__all__ = ["ClaimMapping", "claim_at"]

_ABSENT = object()


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at ``path`` (``"realm_access.roles"`` looks inside objects), or ``None``.

    A claim whose own name holds a dot (``"https://example.com/roles"``) is
    found first under its full name.
    """
    whole = claims.get(path, _ABSENT)
    if whole is not _ABSENT:
        return whole
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _check_path(what: str, path: Any) -> None:
    if not isinstance(path, str) or not path or "" in path.split("."):
        raise ConfigurationError(f"the {what} claim must be a claim name or a dotted path")


def _string_set(path: str, value: Any) -> frozenset[str]:
    """A list of strings, or one space-separated string (``scope``, RFC 6749 §3.3)."""
    if value is None:
        return frozenset()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise InvalidCredential(f"the credential's {path!r} claim is not a list of strings")
    return frozenset(items)


@dataclass(frozen=True)
class ClaimMapping:
    """Where a provider's claims hold the common data.

    :param roles: the claim (or dotted path) holding the roles; ``None`` for none.
    :param scopes: the claim holding the scopes: a space-separated string
        (``scope``, RFC 6749 §3.3) or a list (``scp``).
    :param tenant: the claim holding the tenant, a string.
    :param profile: profile fields to copy: a list of claim names (each kept
        under its own name) or a mapping of profile field to claim.

    A claim that is absent gives nothing; one of the wrong shape is an
    :class:`~passport_core.InvalidCredential`, never silently dropped.
    """

    roles: str | None = None
    scopes: str | None = "scope"
    tenant: str | None = None
    profile: Mapping[str, str] | Iterable[str] = ()
    _fields: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for what in ("roles", "scopes", "tenant"):
            path = getattr(self, what)
            if path is not None:
                _check_path(what, path)
        profile = self.profile
        if isinstance(profile, str):
            raise ConfigurationError("profile must be a list of claim names or a mapping")
        table = dict(profile) if isinstance(profile, Mapping) else {n: n for n in profile}
        for name, path in table.items():
            if not isinstance(name, str) or not name:
                raise ConfigurationError("profile field names must be non-empty strings")
            _check_path(f"profile {name!r}", path)
        object.__setattr__(self, "_fields", MappingProxyType(table))

    def read(self, claims: Mapping[str, Any]) -> CommonData:
        """The common data ``claims`` carry under this mapping."""
        roles = _string_set(self.roles, claim_at(claims, self.roles)) if self.roles else None
        scopes = _string_set(self.scopes, claim_at(claims, self.scopes)) if self.scopes else None
        tenant = claim_at(claims, self.tenant) if self.tenant else None
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            raise InvalidCredential(f"the credential's {self.tenant!r} claim is not a string")
        profile = {
            name: value
            for name, path in self._fields.items()
            if (value := claim_at(claims, path)) is not None
        }
        return CommonData(
            roles=roles or frozenset(),
            scopes=scopes or frozenset(),
            tenant=tenant,
            profile=MappingProxyType(profile),
        )
