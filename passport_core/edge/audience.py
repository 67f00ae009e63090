"""Per-audience shaping: each downstream audience sees only the common data it may."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from passport_core.edge.common import COMMON_FIELDS, CommonData
from passport_core.encryption import Encrypter
from passport_core.errors import ConfigurationError

__all__ = ["Audience", "passport_budget"]

#: gunicorn's limit_request_field_size (the whole ``Name: value`` line, RFC 9112 §5);
#: nginx's large_client_header_buffers (4 buffers of 8 KiB) allows a line of 8192 with its CRLF
_SMALLEST_HEADER_LINE = 8190


#: RFC 6750 §2.1: ``Authorization: Bearer <token>``
_BEARER_PREFIX = "Bearer "


def passport_budget(header: str, *, bearer: bool = False) -> int:
    """The longest passport that fits in one ``header`` line every default proxy accepts.

    In ``Authorization`` (``bearer=True``, or the header named so) a passport always
    travels as ``Bearer <passport>`` (RFC 6750 §2.1): the scheme counts against the line.
    """
    is_authorization = header.strip().lower() == "authorization"
    if bearer and not is_authorization:
        raise ConfigurationError("a Bearer passport travels in Authorization, not " + header)
    prefix = _BEARER_PREFIX if is_authorization else ""
    return _SMALLEST_HEADER_LINE - len(header) - len(": ") - len(prefix)


@dataclass(frozen=True)
class Audience:
    """A downstream audience and what its passports may carry.

    :param name: the ``aud`` its passports name.
    :param fields: the common-data fields it sees (``roles``, ``scopes``,
        ``permissions``, ``tenant``, ``profile``); ``None`` for all of them.
    :param profile: the ``profile`` members it sees; ``None`` for all.
    :param claims: the custom claims it sees; ``None`` for all.
    :param ttl: its passports' lifetime; ``None`` for the edge's default.
    :param recipients: the ``aud`` values its passports name (default: ``name``
        alone); a chain of services that forward one passport each verify their
        own name in it (RFC 7519 §4.1.3: ``aud`` may be a list).
    :param encrypt_to: its public encryption key (a JWK) or an
        :class:`~passport_core.Encrypter`: its passports are then signed, then
        encrypted to it (a nested JWE), for common data only it may read; a hop
        without the key forwards them unread. The size budget holds for the JWE.
    """

    name: str
    fields: frozenset[str] | None = None
    profile: frozenset[str] | None = None
    claims: frozenset[str] | None = None
    ttl: float | None = None
    recipients: tuple[str, ...] = ()
    encrypter: Encrypter | None = None

    def __init__(
        self,
        name: str,
        *,
        fields: Iterable[str] | None = None,
        profile: Iterable[str] | None = None,
        claims: Iterable[str] | None = None,
        ttl: float | None = None,
        recipients: Iterable[str] | None = None,
        encrypt_to: Encrypter | Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigurationError("an audience needs a non-empty name")
        for option, value in (("fields", fields), ("profile", profile), ("claims", claims)):
            # A bare string is iterable too: profile="email" must not mean {"e", "m", ...}.
            if isinstance(value, (str, bytes)):
                raise ConfigurationError(
                    f"audience {name!r}: {option} must be a collection of names, not one string"
                )
        if ttl is not None and (
            isinstance(ttl, bool)
            or not isinstance(ttl, (int, float))
            or not math.isfinite(ttl)
            or ttl <= 0
        ):
            raise ConfigurationError(f"audience {name!r}: ttl must be a positive number of seconds")
        chosen = None if fields is None else frozenset(fields)
        if chosen is not None and not chosen <= COMMON_FIELDS:
            unknown = ", ".join(sorted(chosen - COMMON_FIELDS))
            raise ConfigurationError(
                f"unknown common-data fields {unknown} for audience {name!r} "
                f"(known: {', '.join(sorted(COMMON_FIELDS))})"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "fields", chosen)
        object.__setattr__(self, "profile", None if profile is None else frozenset(profile))
        object.__setattr__(self, "claims", None if claims is None else frozenset(claims))
        object.__setattr__(self, "ttl", ttl)
        named = (name,) if recipients is None else tuple(recipients)
        if not named or not all(isinstance(item, str) and item for item in named):
            raise ConfigurationError(f"audience {name!r} needs non-empty recipient names")
        object.__setattr__(self, "recipients", named)
        if encrypt_to is not None and not isinstance(encrypt_to, Encrypter):
            encrypt_to = Encrypter(encrypt_to)
        object.__setattr__(self, "encrypter", encrypt_to)

    def _sees(self, field: str) -> bool:
        return self.fields is None or field in self.fields

    def shape(self, common: CommonData) -> CommonData:
        """``common`` reduced to what this audience may see."""
        profile = common.profile if self._sees("profile") else {}
        if self.profile is not None:
            profile = {k: v for k, v in profile.items() if k in self.profile}
        claims = common.claims
        if self.claims is not None:
            claims = {k: v for k, v in claims.items() if k in self.claims}
        return CommonData(
            roles=common.roles if self._sees("roles") else frozenset(),
            scopes=common.scopes if self._sees("scopes") else frozenset(),
            permissions=common.permissions if self._sees("permissions") else frozenset(),
            tenant=common.tenant if self._sees("tenant") else None,
            profile=MappingProxyType(dict(profile)),
            claims=MappingProxyType(dict(claims)),
        )
