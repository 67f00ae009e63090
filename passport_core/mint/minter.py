"""Minting: building and signing passports at the edge."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from passport_core import claims as c
from passport_core.errors import ConfigurationError, MintingError, PassportTooLarge
from passport_core.keys.key import Key
from passport_core.keys.ring import KeyRing
from passport_core.token.compact import MAX_TOKEN_BYTES
from passport_core.token.encoding import b64url_encode, json_dumps
from passport_core.token.values import is_numeric_date, is_string_list

__all__ = ["DEFAULT_TTL", "Minter"]

#: a passport lives five minutes unless told otherwise: short by default
DEFAULT_TTL = 300.0
#: claims mint() sets from its own checked arguments; ``claims=`` must not bypass those checks
_OWN_CLAIMS = c.REGISTERED | {
    c.ROLES,
    c.SCOPE,
    c.PERMISSIONS,
    c.TENANT,
    c.PROFILE,
    c.ACTOR,
    c.AUTH_METHODS,
    c.AUTH_CONTEXT,
    c.AUTH_TIME,
    c.CONFIRMATION,
}


def _strings(name: str, values: Iterable[str]) -> list[str]:
    # The usual argument, a list of distinct non-empty strings, checked with C calls only
    # (every mint takes up to four of them): the same list as the general path below gives.
    if (
        type(values) is list
        and is_string_list(values)
        and "" not in values
        and len(set(values)) == len(values)
    ):
        return values.copy()
    # A bare string is iterable too; "admin" must not become ["a", "d", ...].
    if isinstance(values, (str, bytes)):
        raise MintingError(f"{name} must be a collection of strings, not one string")
    try:
        items = list(dict.fromkeys(values))  # de-duplicated, in the caller's order
    except TypeError:  # an unhashable item: not a string anyway
        raise MintingError(f"every item of {name} must be a non-empty string") from None
    if not is_string_list(items) or "" in items:
        raise MintingError(f"every item of {name} must be a non-empty string")
    return items


class Minter:
    """Signs passports with the active key of a key ring.

    ::

        minter = Minter(KeyRing.generate(), issuer="https://edge.example")
        token = minter.mint("user-42", audience="orders", roles=["admin"])

    :param keys: a :class:`KeyRing` (its active key signs) or one private :class:`Key`.
    :param issuer: the ``iss`` of every passport.
    :param default_ttl: lifetime in seconds when ``mint`` is given none.
    :param max_ttl: the longest lifetime ``mint`` accepts.
    :param max_token_bytes: the longest passport ``mint`` returns; a longer one is
        :class:`~passport_core.PassportTooLarge` at mint time, never a passport the
        next hop refuses (default: the verifier's own default limit).
    :param typ: the JOSE ``typ`` header of every token (RFC 8725 §3.11: explicit typing);
        ``passport+jwt`` unless this minter issues another kind, e.g. ``txntoken+jwt``
        (see :class:`~passport_core.TransactionTokens`).
    """

    def __init__(
        self,
        keys: KeyRing | Key,
        *,
        issuer: str,
        default_ttl: float = DEFAULT_TTL,
        max_ttl: float = 3600.0,
        max_token_bytes: int = MAX_TOKEN_BYTES,
        clock: Callable[[], float] = time.time,
        typ: str = c.TOKEN_TYPE,
    ) -> None:
        if not isinstance(typ, str) or not typ or not typ.isascii() or not typ.isprintable():
            raise ConfigurationError("typ must be a non-empty printable ASCII media type")
        self.typ = typ
        if isinstance(max_token_bytes, bool) or not isinstance(max_token_bytes, int):
            raise ConfigurationError("max_token_bytes must be a whole number of bytes")
        if max_token_bytes < 256:
            raise ConfigurationError("max_token_bytes below 256 would refuse every passport")
        self.max_token_bytes = max_token_bytes
        if not isinstance(issuer, str) or not issuer:
            raise ConfigurationError("a minter needs a non-empty issuer")
        if not (math.isfinite(max_ttl) and 0 < default_ttl <= max_ttl):
            raise ConfigurationError("default_ttl must be positive and at most a finite max_ttl")
        if isinstance(keys, KeyRing):
            if max_ttl > keys.max_token_lifetime:
                # The ring unpublishes a retired key max_token_lifetime (+ leeway) after it
                # stops signing: a longer passport would outlive its key and fail as unknown_kid.
                raise ConfigurationError(
                    f"max_ttl {max_ttl:g} s exceeds the key ring's max_token_lifetime "
                    f"{keys.max_token_lifetime:g} s"
                )
            self._ring = keys
        else:
            self._ring = KeyRing(keys, max_token_lifetime=max_ttl)
        self.issuer = issuer
        self.default_ttl = float(default_ttl)
        self.max_ttl = float(max_ttl)
        self._clock = clock
        # Key -> its encoded header: the same for every passport the key signs
        self._header_segments: dict[Key, str] = {}

    @property
    def key_ring(self) -> KeyRing:
        return self._ring

    def mint(
        self,
        subject: str,
        *,
        audience: str | Iterable[str],
        ttl: float | None = None,
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        permissions: Iterable[str] = (),
        tenant: str | None = None,
        profile: Mapping[str, Any] | None = None,
        actor: Mapping[str, Any] | None = None,
        claims: Mapping[str, Any] | None = None,
        jti: str | None = None,
        auth_methods: Iterable[str] = (),
        auth_context: str | None = None,
        auth_time: int | None = None,
        cnf: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign a new passport and return it in compact form.

        ``actor`` is the ``act`` claim (RFC 8693 §4.1) recording who acts for
        the subject; ``claims`` adds custom claims but cannot set the registered
        ones nor those the other arguments set (``roles``, ``scope``, ``act``...).
        ``auth_methods``, ``auth_context`` and ``auth_time`` record how the caller
        authenticated (``amr``, ``acr``, ``auth_time``: OpenID Connect Core §2).
        ``cnf`` binds the passport to its holder's key (RFC 7800 §3.1), e.g.
        :func:`~passport_core.confirmation` of it: ``{"jkt": thumbprint}`` (RFC 9449 §6.1).
        """
        payload = self._payload(
            subject, audience, ttl, roles, scopes, permissions, tenant, profile, actor, claims, jti
        )
        if auth_methods:
            payload[c.AUTH_METHODS] = _strings("auth_methods", auth_methods)
        if auth_context is not None:
            if not isinstance(auth_context, str) or not auth_context:
                raise MintingError("auth_context must be a non-empty string")
            payload[c.AUTH_CONTEXT] = auth_context
        if auth_time is not None:
            if not is_numeric_date(auth_time):
                raise MintingError("auth_time must be a date in seconds since the epoch")
            payload[c.AUTH_TIME] = int(auth_time)
        if cnf is not None:
            jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
            # RFC 9449 §6.1: the one confirmation method this library checks is jkt.
            if not isinstance(jkt, str) or not jkt:
                raise MintingError("cnf must be a mapping with a non-empty string 'jkt'")
            payload[c.CONFIRMATION] = dict(cnf)
        key = self._ring.active
        header_segment = self._header_segments.get(key)
        if header_segment is None:
            header_segment = self._header_segment(key)
        try:
            payload_segment = b64url_encode(json_dumps(payload))
        except (TypeError, ValueError) as exc:
            raise MintingError(f"the claims are not JSON-serialisable: {exc}") from exc
        signing_input = f"{header_segment}.{payload_segment}"
        signature = key.sign(signing_input.encode("ascii"))
        token = f"{signing_input}.{b64url_encode(signature)}"
        if len(token) > self.max_token_bytes:
            raise PassportTooLarge(
                f"the passport is {len(token)} bytes, over the budget of {self.max_token_bytes}: "
                "carry less common data, or shape it per audience"
            )
        return token

    def _header_segment(self, key: Key) -> str:
        header = {"alg": key.alg, "typ": self.typ, "kid": key.kid}
        if len(self._header_segments) >= 8:
            self._header_segments.clear()  # keys rotated many times: keep only the current ones
        segment = self._header_segments[key] = b64url_encode(json_dumps(header))
        return segment

    def _payload(
        self,
        subject: str,
        audience: str | Iterable[str],
        ttl: float | None,
        roles: Iterable[str],
        scopes: Iterable[str],
        permissions: Iterable[str],
        tenant: str | None,
        profile: Mapping[str, Any] | None,
        actor: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None,
        jti: str | None,
    ) -> dict[str, Any]:
        if not isinstance(subject, str) or not subject:
            raise MintingError("a passport needs a non-empty subject")
        audiences = [audience] if isinstance(audience, str) else _strings("audience", audience)
        if not audiences or not all(audiences):
            raise MintingError("a passport needs a non-empty audience")
        lifetime = self.default_ttl if ttl is None else ttl
        if not math.isfinite(lifetime) or lifetime <= 0:
            raise MintingError("a passport needs a positive lifetime")
        if lifetime > self.max_ttl:
            raise MintingError(f"lifetime {lifetime:g} s exceeds max_ttl {self.max_ttl:g} s")
        now = int(self._clock())
        payload: dict[str, Any] = {
            c.ISSUER: self.issuer,
            c.SUBJECT: subject,
            c.AUDIENCE: audiences[0] if len(audiences) == 1 else audiences,
            c.ISSUED_AT: now,
            c.NOT_BEFORE: now,
            c.EXPIRES_AT: now + math.ceil(lifetime),
            c.JWT_ID: jti or b64url_encode(os.urandom(16)),  # what secrets.token_urlsafe does
        }
        if extra:
            if not is_string_list(list(extra)):  # the claim names
                raise MintingError("custom claim names must be strings")
            overridden = _OWN_CLAIMS & extra.keys()
            if overridden:
                raise MintingError(f"custom claims cannot override {sorted(overridden)}")
            payload.update(extra)
        if roles:
            payload[c.ROLES] = _strings("roles", roles)
        if scopes:
            scope_list = _strings("scopes", scopes)
            scope = " ".join(scope_list)
            if scope.count(" ") != len(scope_list) - 1:  # one of them holds a space
                raise MintingError("a scope cannot contain a space (RFC 6749 §3.3)")
            payload[c.SCOPE] = scope
        if permissions:
            payload[c.PERMISSIONS] = _strings("permissions", permissions)
        if tenant is not None:
            if not isinstance(tenant, str) or not tenant:
                raise MintingError("tenant must be a non-empty string")
            payload[c.TENANT] = tenant
        if profile is not None:
            # dict first: an ABC's isinstance is a Python call, and a profile is nearly always one
            if not isinstance(profile, dict) and not isinstance(profile, Mapping):
                raise MintingError("profile must be a mapping")
            payload[c.PROFILE] = dict(profile)
        if actor is not None:
            if not isinstance(actor, Mapping) or not isinstance(actor.get(c.SUBJECT), str):
                raise MintingError("actor must be a mapping with a string 'sub'")
            payload[c.ACTOR] = dict(actor)
        return payload
