"""Several passports, one view: a primary passport and the companions signed beside it.

A profile service and an authorization service may each sign their own
passport for the caller of one request; a service verifies each against its
own issuer and keys (a companion's key never signs for the edge, nor the
edge's for a companion) and sees one merged :class:`PassportBundle`.

What makes them belong together:

* the same ``sub``;
* the same request: every companion carries, in its ``txn`` claim
  (:data:`~passport_core.claims.TRANSACTION`), the primary's ``txn`` or, when
  the primary has none, its ``jti``; the common-data service signs with
  ``Minter.mint(..., claims=companion_claims(primary))``;
* no contradiction: roles, scopes and permissions add up, profile members
  merge, and two parts that disagree on one value (the tenant, a profile
  member) are refused rather than resolved by whichever came first.

Every refusal is a 401: :class:`~passport_core.MissingCompanion` for a
required companion not sent, :class:`~passport_core.CompanionMismatch` for
parts that do not belong together, and a companion's own verification error
(``bad_signature``, ``token_expired``...) naming its header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from passport_core import claims as c
from passport_core.errors import (
    CompanionMismatch,
    ConfigurationError,
    MissingCompanion,
    PassportError,
)
from passport_core.passport import Passport
from passport_core.verify.verifier import Verifier

__all__ = ["Companion", "Companions", "PassportBundle", "companion_claims", "request_binding"]


def request_binding(passport: Passport) -> str | None:
    """The value a companion of ``passport`` carries in ``txn``: its ``txn``, else its ``jti``."""
    txn = passport.claims.get(c.TRANSACTION)
    return txn if isinstance(txn, str) and txn else passport.jti


def companion_claims(primary: Passport) -> dict[str, str]:
    """The claims that bind a companion to ``primary``'s request: ``claims=`` of ``Minter.mint``."""
    binding = request_binding(primary)
    if binding is None:
        raise CompanionMismatch("the passport has neither 'txn' nor 'jti' to bind a companion to")
    return {c.TRANSACTION: binding}


@dataclass(frozen=True)
class Companion:
    """A companion passport this service reads: its header and the verifier of its issuer.

    :param required: ``False`` lets requests without it through (one sent is
        still verified and must match).
    """

    header: str
    verifier: Verifier
    required: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.header, str) or not self.header or not self.header.isascii():
            raise ConfigurationError("a companion needs an ASCII header name", setting="companions")
        if self.header.lower() == "authorization":
            raise ConfigurationError(
                "a companion travels in its own header, not Authorization", setting="companions"
            )
        if not isinstance(self.verifier, Verifier):
            raise ConfigurationError("a companion needs a Verifier", setting="companions")


@dataclass(frozen=True, slots=True)
class PassportBundle(Passport):
    """The merged view of a primary passport and its companions; a :class:`Passport` itself.

    ``roles``, ``scopes`` and ``permissions`` are the union of every part,
    ``profile`` the merge, ``tenant`` the one they agree on, ``expires_at`` the
    earliest. Identity, ``claims``, ``token`` (what is forwarded) and how the
    caller authenticated are the primary's.
    """

    primary: Passport | None = field(default=None, repr=False)
    #: each verified companion, by the header it came in
    companions: Mapping[str, Passport] = field(default_factory=dict, repr=False)


def _refusal(header: str, error: PassportError) -> PassportError:
    # The client needs to know which part failed; the error keeps its own code and status.
    try:
        return type(error)(f"{header}: {error.message}")
    except TypeError:
        return error


def _agreed(what: str, mine: str | None, theirs: str | None, header: str) -> str | None:
    if mine is not None and theirs is not None and mine != theirs:
        raise CompanionMismatch(f"{header} names another {what}")
    return mine if mine is not None else theirs


class Companions:
    """The companion passports one service reads, verified and merged with the primary."""

    def __init__(self, companions: Iterable[Companion]) -> None:
        self.companions = tuple(companions)
        headers = [companion.header.lower() for companion in self.companions]
        if not self.companions or len(set(headers)) != len(headers):
            raise ConfigurationError(
                "companions need at least one header, each named once", setting="companions"
            )

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(companion.header for companion in self.companions)

    def _check_present(self, tokens: Mapping[str, str | None]) -> None:
        for companion in self.companions:
            if companion.required and not tokens.get(companion.header):
                raise MissingCompanion(f"the {companion.header} passport is required")

    def verify(self, primary: Passport, tokens: Mapping[str, str | None]) -> PassportBundle:
        """Verify the companions in ``tokens`` (by header) and merge them with ``primary``."""
        self._check_present(tokens)
        found: dict[str, Passport] = {}
        for companion in self.companions:
            token = tokens.get(companion.header)
            if token:
                try:
                    found[companion.header] = companion.verifier.verify(token)
                except PassportError as error:
                    raise _refusal(companion.header, error) from error
        return self.merge(primary, found)

    async def averify(self, primary: Passport, tokens: Mapping[str, str | None]) -> PassportBundle:
        """:meth:`verify`, awaiting key sources that fetch over the network."""
        self._check_present(tokens)
        found: dict[str, Passport] = {}
        for companion in self.companions:
            token = tokens.get(companion.header)
            if token:
                try:
                    found[companion.header] = await companion.verifier.averify(token)
                except PassportError as error:
                    raise _refusal(companion.header, error) from error
        return self.merge(primary, found)

    @staticmethod
    def merge(primary: Passport, found: Mapping[str, Passport]) -> PassportBundle:
        """One view of ``primary`` and verified companions; refuses parts that do not match."""
        binding = request_binding(primary)
        roles, scopes, permissions = set(primary.roles), set(primary.scopes), primary.permissions
        tenant = primary.tenant
        profile: dict[str, Any] = dict(primary.profile)
        expires_at = primary.expires_at
        for header, part in found.items():
            if part.subject != primary.subject:
                raise CompanionMismatch(f"{header} concerns another subject")
            if binding is None or part.claims.get(c.TRANSACTION) != binding:
                raise CompanionMismatch(f"{header} belongs to another request ('txn')")
            # The gate checked the primary's DPoP proof only: a companion bound to a key is
            # proven by it only when both are bound to that one key (RFC 9449 §6.1).
            bound = part.claims.get(c.CONFIRMATION)
            if bound is not None and bound != primary.claims.get(c.CONFIRMATION):
                raise CompanionMismatch(f"{header} is bound to a key the passport is not ('cnf')")
            roles |= part.roles
            scopes |= part.scopes
            permissions = permissions | part.permissions
            tenant = _agreed("tenant", tenant, part.tenant, header)
            for name, value in part.profile.items():
                if name in profile and profile[name] != value:
                    raise CompanionMismatch(f"{header} contradicts the profile member {name!r}")
                profile[name] = value
            expires_at = min(expires_at, part.expires_at)
        values = {f.name: getattr(primary, f.name) for f in dataclasses.fields(Passport)}
        values.update(
            roles=frozenset(roles),
            scopes=frozenset(scopes),
            permissions=frozenset(permissions),
            tenant=tenant,
            profile=MappingProxyType(profile),
            expires_at=expires_at,
        )
        return PassportBundle(**values, primary=primary, companions=MappingProxyType(dict(found)))

    def __repr__(self) -> str:
        return f"Companions({list(self.headers)})"
