"""The passport every micro-benchmark measures: one per algorithm, minted by our Minter.

A realistic passport, not a toy: 15 claims (the registered ones, roles, scopes,
permissions, a profile, a tenant, how the caller authenticated) and about 1.1 KB
in compact form, so that base64url and JSON cost what they cost in production.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from passport_core import Key, KeyRing, Minter, Verifier

ISSUER = "https://edge.bench.example"
AUDIENCE = "orders"
SUBJECT = "user-42"
#: the algorithms every micro-benchmark covers, in table order
ALGORITHMS = ("EdDSA", "ES256", "RS256", "PS256", "HS256")


def common_data(index: int = 0) -> dict[str, Any]:
    """What the edge puts in a passport (``index`` varies it to make distinct tokens)."""
    return {
        "roles": ["admin", "staff", "billing-reader"],
        "scopes": ["orders:read", "orders:write", "invoices:read", "profile"],
        "permissions": ["orders.create", "orders.cancel", "invoices.view", "refunds.request"],
        "tenant": "acme-corporation",
        "profile": {
            "name": "Ada Lovelace",
            "email": f"ada.{index}@analytical-engines.example",
            "locale": "en-GB",
            "department": "Research and Development",
            "employee_id": "E-1815-1210",
            "title": "Countess of Lovelace",
            "timezone": "Europe/London",
        },
        "auth_methods": ["pwd", "otp"],
        "auth_context": "urn:example:acr:mfa",
    }


@dataclass(frozen=True)
class Sample:
    """One algorithm's key ring, minter and tokens (valid and expired)."""

    alg: str
    ring: KeyRing
    minter: Minter
    token: str
    expired: str

    @property
    def key(self) -> Key:
        """The private (or secret) key that signed :attr:`token`."""
        return self.ring.active

    @property
    def secret(self) -> bytes:
        """The HMAC secret (HS* only)."""
        encoded = self.key.to_jwk(private=True)["k"]
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))

    @property
    def public_pem(self) -> bytes:
        return self.key.to_pem(private=False)

    @property
    def private_pem(self) -> bytes:
        return self.key.to_pem(private=True)

    @property
    def is_symmetric(self) -> bool:
        return self.key.is_symmetric

    def verification_keys(self) -> Any:
        """What our Verifier takes: the public JWKS, or the ring itself for a secret."""
        return self.ring if self.is_symmetric else self.ring.public_jwks()

    def verifier(self, **options: Any) -> Verifier:
        return Verifier(keys=self.verification_keys(), issuer=ISSUER, audience=AUDIENCE, **options)

    def mint(self, index: int = 0) -> str:
        return mint(self.minter, index)


def mint(
    minter: Minter,
    index: int = 0,
    auth_time: int | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """A benchmark passport from ``minter`` (``index`` makes it distinct; ``data``: common data
    built before, instead of ``common_data(index)``)."""
    if data is None:
        data = common_data(index)
    now = int(time.time()) if auth_time is None else auth_time
    return minter.mint(
        SUBJECT,
        audience=AUDIENCE,
        ttl=600,
        roles=data["roles"],
        scopes=data["scopes"],
        permissions=data["permissions"],
        tenant=data["tenant"],
        profile=data["profile"],
        auth_methods=data["auth_methods"],
        auth_context=data["auth_context"],
        auth_time=now - 60,
    )


def make_sample(alg: str) -> Sample:
    """A fresh key for ``alg`` and the passports it signs."""
    ring = KeyRing.generate(alg)
    minter = Minter(ring, issuer=ISSUER)
    two_hours_ago = time.time() - 7200
    stale = Minter(ring, issuer=ISSUER, clock=lambda: two_hours_ago)
    return Sample(alg, ring, minter, mint(minter), mint(stale, auth_time=int(two_hours_ago)))
