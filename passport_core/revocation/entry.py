"""One revocation: what it names, and how long it must be remembered."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from passport_core.errors import ConfigurationError

__all__ = ["DEFAULT_LIFETIME", "KINDS", "Revocation", "RevocationKind"]

RevocationKind = Literal["jti", "subject", "session"]
#: what a revocation can name: one passport (``jti``), every passport of a subject
#: (``sub``) issued before a time, or every passport of one sign-in (``sid``) issued before it
KINDS: tuple[RevocationKind, ...] = ("jti", "subject", "session")
#: how long a cut-off is kept by default: a Verifier's default max_lifetime (3600 s) plus
#: its default leeway (30 s), the longest a passport issued before it is still accepted
DEFAULT_LIFETIME = 3600.0 + 30.0


@dataclass(frozen=True)
class Revocation:
    """A passport, a subject or a session taken back.

    ``issuer`` scopes the name: ``sub``, ``jti`` and ``sid`` are unique only within
    one issuer (RFC 7519 §4.1.2, §4.1.7). ``before`` (subject and session only):
    passports issued before this time are revoked, later ones are not, so a
    user who signs in again gets working passports. ``expires``: when no passport
    this entry concerns can still be accepted, so the entry may be forgotten.
    """

    kind: RevocationKind
    issuer: str
    value: str
    expires: float
    before: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigurationError(f"a revocation names one of {', '.join(KINDS)}")
        for name in ("issuer", "value"):
            field = getattr(self, name)
            if not isinstance(field, str) or not field:
                raise ConfigurationError(f"a revocation's {name} must be a non-empty string")
        if not _is_time(self.expires):
            raise ConfigurationError("a revocation's expiry must be a finite time in seconds")
        if self.kind == "jti":
            if self.before is not None:
                raise ConfigurationError("a jti revocation takes no 'before' time")
        elif not _is_time(self.before):
            raise ConfigurationError(f"a {self.kind} revocation needs a 'before' time")

    @classmethod
    def passport(cls, issuer: str, jti: str, *, expires: float) -> Revocation:
        """One passport, by its ``jti``, remembered until its ``exp`` (plus ``leeway``)."""
        return cls("jti", issuer, jti, expires)

    @classmethod
    def subject(cls, issuer: str, subject: str, *, before: float, lifetime: float) -> Revocation:
        """Every passport of ``subject`` issued before ``before``.

        ``lifetime``: the longest a passport may live past its ``iat`` (the
        verifiers' ``max_lifetime`` plus leeway): after ``before + lifetime`` no
        passport the entry concerns is still accepted.
        """
        return cls("subject", issuer, subject, before + lifetime, before)

    @classmethod
    def session(cls, issuer: str, session: str, *, before: float, lifetime: float) -> Revocation:
        """Every passport minted from one sign-in (its ``sid``) issued before ``before``."""
        return cls("session", issuer, session, before + lifetime, before)

    @property
    def key(self) -> tuple[str, str, str]:
        """What two revocations of the same thing share: the later one replaces the earlier."""
        return self.kind, self.issuer, self.value

    def to_json(self) -> str:
        members: dict[str, Any] = {
            "kind": self.kind,
            "iss": self.issuer,
            "value": self.value,
            "expires": self.expires,
        }
        if self.before is not None:
            members["before"] = self.before
        return json.dumps(members, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Revocation:
        """The revocation :meth:`to_json` wrote; ``ConfigurationError`` for anything else."""
        try:
            members = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise ConfigurationError("a revocation entry is not JSON") from None
        if not isinstance(members, dict) or not {"kind", "iss", "value", "expires"} <= set(members):
            raise ConfigurationError("a revocation entry lacks kind, iss, value or expires")
        unknown = set(members) - {"kind", "iss", "value", "expires", "before"}
        if unknown:
            raise ConfigurationError(f"a revocation entry has unknown members {sorted(unknown)}")
        return cls(
            members["kind"],
            members["iss"],
            members["value"],
            members["expires"],
            members.get("before"),
        )


def _is_time(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
