"""The identity an authenticator establishes from a caller's credential."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from passport_core import claims as c
from passport_core.edge.common import CommonData
from passport_core.errors import ConfigurationError
from passport_core.token.values import is_number

__all__ = ["Identity", "issued_at_of", "session_of"]

#: the longest session id carried on (an IdP's sid is an opaque short string)
_MAX_SESSION = 255


def session_of(claims: Mapping[str, Any]) -> str | None:
    """A credential's ``sid`` (OpenID Connect Back-Channel Logout §2.1), if it has a usable one."""
    value = claims.get(c.SESSION)
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_SESSION else None


def issued_at_of(claims: Mapping[str, Any]) -> float | None:
    """A credential's ``iat`` (RFC 7519 §4.1.6), if it is a number."""
    value = claims.get(c.ISSUED_AT)
    return float(value) if is_number(value) else None


@dataclass(frozen=True)
class Identity:
    """Who the caller is and how they proved it; the input of enrichers and the minter.

    :param subject: the passport's ``sub``.
    :param method: the authenticator that established it (``"oidc"``, ``"api_key"``...).
    :param issuer: who vouched for the credential (an IdP's issuer), if anyone.
    :param auth_methods: ``amr`` values (RFC 8176), copied into the passport.
    :param auth_context: ``acr``, copied into the passport.
    :param auth_time: when the caller authenticated (seconds since the epoch).
    :param expires_at: when the credential itself expires; neither the passport
        nor the mint cache outlives it.
    :param cache_for: seconds from now a passport minted from this identity may be
        reused by the mint cache (``None``: no bound of the authenticator's own,
        the passport's ``exp`` decides; ``0``: never reused). An authenticator that
        re-checks its credential every so often (introspection's ``cache_ttl``)
        sets it, so a revoked credential stops passing within that bound.
    :param session: the sign-in the credential belongs to (an IdP's ``sid``, as in
        OpenID Connect Back-Channel Logout §2.1); the passport's ``sid``, so revoking
        that session revokes every passport minted from it. ``None``: the edge names
        the credential itself.
    :param issued_at: when the credential was issued (its ``iat``); a subject's or
        session's revocation refuses credentials issued before its cut-off.
    :param common: common data the credential already carries (an IdP's roles).
    :param attributes: the credential's own claims, for enrichers to read; never
        copied into the passport wholesale.
    """

    subject: str
    method: str
    issuer: str | None = None
    auth_methods: tuple[str, ...] = ()
    auth_context: str | None = None
    auth_time: int | None = None
    expires_at: float | None = None
    cache_for: float | None = None
    session: str | None = None
    issued_at: float | None = None
    common: CommonData = field(default_factory=CommonData)
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.subject, str) or not self.subject:
            raise ConfigurationError("an identity needs a non-empty subject")
        if not isinstance(self.method, str) or not self.method:
            raise ConfigurationError("an identity needs the name of its authentication method")
        if self.cache_for is not None and not (
            isinstance(self.cache_for, int | float)
            and not isinstance(self.cache_for, bool)
            and 0 <= self.cache_for < float("inf")
        ):
            raise ConfigurationError("cache_for must be a non-negative number of seconds")
