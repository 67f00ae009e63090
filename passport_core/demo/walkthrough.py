"""A guided tour of the core, run by ``passport demo``.

Each step does one thing the passport pattern promises and checks that it
behaved as expected: an edge mints, a service verifies with the public JWKS
only, policies allow and deny, hostile tokens are refused, and a key rotation
keeps earlier passports valid. Tokens are shown by fingerprint, never in full.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TextIO

from passport_core import claims as c
from passport_core.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    PassportError,
    PermissionDenied,
    RotationNotDue,
    TokenExpired,
    UnknownKey,
)
from passport_core.keys import ALGORITHMS, PRIVATE_MEMBERS, generate_key
from passport_core.keys.ring import KeyRing
from passport_core.mint.minter import Minter
from passport_core.passport import Passport
from passport_core.policy import require_role
from passport_core.token.compact import split_compact
from passport_core.token.encoding import b64url_encode, json_dumps
from passport_core.token.fingerprint import fingerprint
from passport_core.verify.verifier import Verifier

__all__ = ["run_walkthrough"]

ISSUER = "https://edge.demo"
AUDIENCE = "orders"


class _Tour:
    """Prints one line per step and remembers whether every step went as expected."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.passed = 0
        self.failed = 0
        #: seconds the key ring's clock runs ahead: the tour skips rotation waits, not steps
        self.skipped = 0.0

    def ring_clock(self) -> float:
        return time.time() + self.skipped

    def wait(self, seconds: float, why: str) -> None:
        self.skipped += seconds
        self.note(f"(the ring's clock skips {seconds:g} s: {why})")

    def step(self, ok: bool, text: str) -> bool:
        mark = "✓" if ok else "✗"
        self.out.write(f"{mark} {text}\n")
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def note(self, text: str) -> None:
        self.out.write(f"    {text}\n")

    def section(self, title: str) -> None:
        self.out.write(f"\n{title}\n")

    def verifies(self, verifier: Verifier, token: str, what: str) -> Passport | None:
        try:
            passport = verifier.verify(token)
        except PassportError as exc:
            self.step(False, f"{what}: rejected unexpectedly ({exc.code}: {exc.message})")
            return None
        self.step(True, f"{what}: verified (token {fingerprint(token)}, kid {passport.kid})")
        return passport

    def rejects(
        self, verifier: Verifier, token: str, what: str, expected: type[PassportError]
    ) -> bool:
        try:
            verifier.verify(token)
        except expected as exc:
            return self.step(True, f"{what}: rejected with {exc.code} ({exc.message})")
        except PassportError as exc:
            return self.step(False, f"{what}: rejected with {exc.code}, expected {expected.code}")
        return self.step(False, f"{what}: accepted, expected {expected.code}")


def _summary(passport: Passport) -> str:
    roles = ", ".join(sorted(passport.roles)) or "-"
    scopes = " ".join(sorted(passport.scopes)) or "-"
    return (
        f"sub={passport.subject} roles=[{roles}] scopes=[{scopes}] "
        f"tenant={passport.tenant or '-'} profile={json.dumps(dict(passport.profile))}"
    )


def _claims_of(token: str) -> dict[str, Any]:
    return split_compact(token).payload


def tamper(token: str, change: Callable[[dict[str, Any]], None]) -> str:
    """Edit the payload of a signed token and keep the old signature, as an attacker would.

    The demo and the walkthrough both forge this way; the token is read by
    :func:`~passport_core.token.compact.split_compact` like any other.
    """
    header, _, signature = token.split(".")  # the raw segments, re-joined unchanged
    claims = _claims_of(token)
    change(claims)
    return f"{header}.{b64url_encode(json_dumps(claims))}.{signature}"


def _unsigned(kid: str, claims: dict[str, Any]) -> str:
    """An ``alg: none`` token, built by hand the way an attacker would."""
    header = {"alg": "none", "typ": c.TOKEN_TYPE, "kid": kid}
    return f"{b64url_encode(json_dumps(header))}.{b64url_encode(json_dumps(claims))}."


def _grant_admin(claims: dict[str, Any]) -> None:
    claims[c.ROLES] = ["admin"]


def _publish(tour: _Tour, alg: str) -> tuple[KeyRing, dict[str, Any]]:
    tour.section("1. The edge generates a key ring and publishes its public JWKS")
    ring = KeyRing(generate_key(alg, kid="edge-key-1"), clock=tour.ring_clock)
    jwks = ring.public_jwks()
    leaked = [k.get("kid") for k in jwks["keys"] if PRIVATE_MEMBERS & k.keys()]
    tour.step(
        not leaked and len(jwks["keys"]) == 1,
        f"key ring with active {ring.active.alg} key {ring.active.kid}; "
        f"JWKS holds {len(jwks['keys'])} public key, no private members",
    )
    return ring, jwks


def _mint_and_verify(
    tour: _Tour, minter: Minter, verifier: Verifier
) -> tuple[str, str, Passport | None, Passport | None]:
    tour.section("2. The edge mints passports; a service verifies them with the JWKS only")
    admin_token = minter.mint(
        "alice",
        audience=AUDIENCE,
        roles=["admin", "staff"],
        scopes=["orders:read", "orders:write"],
        tenant="acme",
        profile={"name": "Alice", "locale": "en-GB"},
    )
    user_token = minter.mint(
        "bob",
        audience=AUDIENCE,
        roles=["customer"],
        scopes=["orders:read"],
        tenant="acme",
        profile={"name": "Bob"},
    )
    admin = tour.verifies(verifier, admin_token, "admin passport")
    if admin is not None:
        tour.note(_summary(admin))
    user = tour.verifies(verifier, user_token, "user passport")
    if user is not None:
        tour.note(_summary(user))
    return admin_token, user_token, admin, user


def _policies(tour: _Tour, admin: Passport | None, user: Passport | None) -> None:
    tour.section("3. Policies: require_role('admin')")
    admins_only = require_role("admin")
    if admin is not None:
        decision = admins_only.evaluate(admin)
        tour.step(decision.allowed, f"alice allowed: {decision.reason}")
    if user is not None:
        try:
            admins_only.check(user)
        except PermissionDenied as exc:
            tour.step(exc.status == 403, f"bob denied, {exc.status} {exc.code}: {exc.message}")
        else:
            tour.step(False, "bob was allowed, expected a 403 denial")


def _attacks(tour: _Tour, ring: KeyRing, verifier: Verifier, user_token: str) -> None:
    tour.section("4. Hostile tokens are refused")
    tour.rejects(
        verifier,
        tamper(user_token, _grant_admin),
        "bob's passport edited to grant 'admin'",
        BadSignature,
    )
    forged_claims = _claims_of(user_token)
    _grant_admin(forged_claims)
    tour.rejects(
        verifier,
        _unsigned(ring.active.kid, forged_claims),
        "forged token with alg 'none'",
        AlgorithmNotAllowed,
    )
    an_hour_ago = time.time() - 3600
    stale_minter = Minter(ring, issuer=ISSUER, clock=lambda: an_hour_ago)
    tour.rejects(
        verifier,
        stale_minter.mint("alice", audience=AUDIENCE, ttl=60),
        "passport that expired an hour ago",
        TokenExpired,
    )


def _rotation(tour: _Tour, minter: Minter, old_token: str) -> None:
    tour.section("5. Key rotation without a wrong rejection: prepare, promote, retire")
    ring = minter.key_ring
    old_kid = ring.active.kid
    new_key = ring.prepare(generate_key(ring.active.alg, kid="edge-key-2"))
    # Services refresh the published JWKS; it now carries the active and the next key.
    tour.step(
        len(ring.public_jwks()["keys"]) == 2 and ring.active.kid == old_kid,
        f"prepared {new_key.kid}: published beside {old_kid}, which still signs",
    )
    try:
        ring.promote()
        tour.step(False, "promoting at once was allowed")
    except RotationNotDue as exc:
        tour.step(True, f"promoting at once is refused: {exc.code}")
    tour.wait(ring.publish_delay, "every verifier's cached JWKS has expired, all know the key")
    ring.promote()
    rotated = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE)
    tour.step(
        len(ring.public_jwks()["keys"]) == 2,
        f"promoted: {new_key.kid} signs, {old_kid} retiring and still published",
    )
    tour.verifies(rotated, old_token, "passport signed before the rotation")
    fresh = tour.verifies(rotated, minter.mint("alice", audience=AUDIENCE), "new passport")
    if fresh is not None:
        tour.step(fresh.kid == new_key.kid, f"new passports are signed by {new_key.kid}")
    tour.wait(ring.retire_after, "the longest passport the old key signed has expired")
    pruned = ring.prune()
    retired = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE)
    tour.step(pruned == (old_kid,), f"{old_kid} is pruned from the JWKS")
    tour.rejects(retired, old_token, f"old passport after {old_kid} is retired", UnknownKey)


def run_walkthrough(out: TextIO, *, alg: str = "EdDSA") -> bool:
    """Walk through minting, verifying, policies, attacks and rotation.

    Writes one line per step to ``out`` and returns True if every step
    behaved as expected.
    """
    if alg not in ALGORITHMS or alg.startswith("HS"):
        raise ValueError(f"the walkthrough needs an asymmetric algorithm, not {alg!r}")
    tour = _Tour(out)
    try:
        ring, jwks = _publish(tour, alg)
        minter = Minter(ring, issuer=ISSUER)
        # The service knows nothing but the published JWKS: no private key, no call to the edge.
        verifier = Verifier(keys=jwks, issuer=ISSUER, audience=AUDIENCE)
        admin_token, user_token, admin, user = _mint_and_verify(tour, minter, verifier)
        _policies(tour, admin, user)
        _attacks(tour, ring, verifier, user_token)
        _rotation(tour, minter, admin_token)
    except PassportError as exc:
        tour.step(False, f"stopped by an unexpected error: {exc.code}: {exc.message}")
    out.write("\n")
    if tour.failed:
        total = tour.passed + tour.failed
        out.write(f"{tour.failed} of {total} steps did NOT behave as expected\n")
        return False
    out.write(f"all {tour.passed} steps behaved as expected\n")
    return True
