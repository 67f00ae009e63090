"""The shared request flow: extract, verify, log without tokens."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import pytest

from passport_core import (
    BadSignature,
    KeyRing,
    MemoryRevocations,
    Minter,
    MissingToken,
    Passport,
    PassportError,
    PassportGate,
    PassportNotBound,
    ProofBinding,
    Revocation,
    TokenLocation,
    Verifier,
    asgi_header_getter,
    confirmation,
    fingerprint,
    generate_key,
    warm_path_of,
)

ISSUER = "https://edge.test"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def gate(ring: KeyRing) -> PassportGate:
    verifier = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience="orders")
    return PassportGate(verifier, TokenLocation())


@pytest.fixture
def token(ring: KeyRing) -> str:
    return Minter(ring, issuer=ISSUER).mint("user-1", audience="orders")


def forge_signature(token: str) -> str:
    """Change the signature's first character: still canonical base64url, now wrong."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def getter(token: str | None) -> object:
    def get(name: str) -> Sequence[str]:
        return [token] if token is not None and name == "X-Passport" else []

    return get


def from_asgi(gate: PassportGate, headers: list[tuple[bytes, bytes]]) -> Passport | None:
    """The warm path over an ASGI scope's headers list, read in place as FastAPI's fast path
    reads it; through a header getter over the same list it answers alike."""
    found = gate.cached(headers)
    assert gate.cached(asgi_header_getter(headers)) is found
    return found


def test_required_passport(gate: PassportGate, token: str) -> None:
    passport = gate.authenticate(getter(token))
    assert passport is not None
    assert passport.subject == "user-1"


def test_required_and_absent(gate: PassportGate) -> None:
    with pytest.raises(MissingToken):
        gate.authenticate(getter(None))


def test_optional_and_absent_is_none(gate: PassportGate) -> None:
    assert gate.authenticate(getter(None), required=False) is None


def test_optional_never_means_forgeable(gate: PassportGate, token: str) -> None:
    forged = forge_signature(token)
    with pytest.raises(BadSignature):
        gate.authenticate(getter(forged), required=False)


def test_async_flow(gate: PassportGate, token: str) -> None:
    passport = asyncio.run(gate.aauthenticate(getter(token)))
    assert passport is not None
    assert passport.subject == "user-1"
    assert asyncio.run(gate.aauthenticate(getter(None), required=False)) is None


def test_refusals_are_logged_by_fingerprint_never_by_token(
    gate: PassportGate, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    forged = forge_signature(token)
    with caplog.at_level(logging.INFO, logger="passport_core"), pytest.raises(BadSignature):
        gate.authenticate(getter(forged))
    text = caplog.text
    assert "bad_signature" in text
    assert fingerprint(forged) in text
    assert forged not in text
    assert forged.split(".")[1] not in text  # not even the payload segment


def test_the_warm_path_settles_only_a_passport_already_verified(
    gate: PassportGate, token: str
) -> None:
    assert gate.cached(getter(token)) is None  # never verified: aauthenticate decides
    assert gate.cached(getter(None)) is None
    first = asyncio.run(gate.aauthenticate(getter(token)))
    assert gate.cached(getter(token)) is first
    forged = forge_signature(token)
    assert gate.cached(getter(forged)) is None  # another token: verified (and refused) in full
    with pytest.raises(BadSignature):
        asyncio.run(gate.aauthenticate(getter(forged)))


def test_the_warm_path_leaves_duplicates_and_bound_passports_to_aauthenticate(
    ring: KeyRing, gate: PassportGate, token: str
) -> None:
    asyncio.run(gate.aauthenticate(getter(token)))

    def twice(name: str) -> Sequence[str]:
        return [token, token] if name == "X-Passport" else []

    assert gate.cached(twice) is None  # a duplicate header is refused by aauthenticate

    bound = Minter(ring, issuer=ISSUER).mint(
        "user-1", audience="orders", cnf=confirmation(generate_key("EdDSA"))
    )
    gate.verifier.verify(bound)  # in the verifier's cache, but its proof is unchecked
    assert gate.cached(getter(bound)) is None
    with pytest.raises(PassportError):
        asyncio.run(gate.aauthenticate(getter(bound)))  # no DPoP proof


def test_the_warm_path_follows_the_header_rules_of_extract_token(
    ring: KeyRing, gate: PassportGate, token: str
) -> None:
    first = asyncio.run(gate.aauthenticate(getter(token)))
    raw = token.encode()
    assert from_asgi(gate, [(b"host", b"a"), (b"x-passport", b" " + raw + b"\t")]) is first
    assert from_asgi(gate, []) is None
    assert from_asgi(gate, [(b"x-passport", raw), (b"x-passport", raw)]) is None  # twice
    assert from_asgi(gate, [(b"x-passport", raw + b", " + raw)]) is None  # folded
    assert from_asgi(gate, [(b"x-passport", b"")]) is None
    # Bearer as well: one place used is a hit, both is a duplicate, which aauthenticate refuses.
    both = PassportGate(gate.verifier, TokenLocation(bearer=True))
    assert from_asgi(both, [(b"x-passport", raw)]) is first
    assert from_asgi(both, [(b"x-passport", raw), (b"authorization", b"Bearer " + raw)]) is None


def test_the_warm_path_stays_off_where_a_subclass_checks_more(
    ring: KeyRing, gate: PassportGate, token: str
) -> None:
    class Stricter(PassportGate):
        async def aauthenticate(self, *args: Any, **kwargs: Any) -> Passport | None:
            raise MissingToken  # a check of its own, on every request

    class StricterSync(PassportGate):
        def authenticate(self, *args: Any, **kwargs: Any) -> Passport | None:
            raise MissingToken  # a sync server's check of its own

    class Checking(Verifier):
        async def averify(self, token: str | bytes | None) -> Passport:
            return await super().averify(token)

    raw = [(b"x-passport", token.encode())]
    stricter = Stricter(gate.verifier, TokenLocation())
    gate.verifier.verify(token)
    assert from_asgi(stricter, raw) is None
    assert stricter.cached(getter(token)) is None
    assert StricterSync(gate.verifier, TokenLocation()).cached(getter(token)) is None
    assert PassportGate(gate.verifier, TokenLocation()).cached(getter(token)) is not None
    checking = Checking(keys=ring.public_jwks(), issuer=ISSUER, audience="orders")
    checking.verify(token)
    assert checking.cached(token) is None
    assert from_asgi(PassportGate(checking), raw) is None


def test_the_warm_path_follows_a_changed_location_and_a_required_binding(
    gate: PassportGate, token: str
) -> None:
    gate.verifier.verify(token)
    assert from_asgi(gate, [(b"x-passport", token.encode())]) is not None
    gate.location = TokenLocation(header="X-Other")
    assert from_asgi(gate, [(b"x-passport", token.encode())]) is None
    assert from_asgi(gate, [(b"x-other", token.encode())]) is not None
    bound = PassportGate(gate.verifier, binding=ProofBinding("required"))
    assert from_asgi(bound, [(b"x-passport", token.encode())]) is None


@pytest.mark.parametrize("path", ["authenticate", "aauthenticate", "warm path"])
def test_a_binding_required_after_construction_rules_every_path(
    gate: PassportGate, token: str, path: str
) -> None:
    """A gate's binding replaced after it was built: an unbound passport, verified and cached
    before, is refused on every path, none of which may keep the old rule."""
    assert gate.authenticate(getter(token)) is not None  # verified and cached under "optional"
    gate.binding = ProofBinding("required")
    assert gate.binding.mode == "required"
    if path == "warm path":
        assert from_asgi(gate, [(b"x-passport", token.encode())]) is None  # left to aauthenticate
        return

    def authenticate() -> Passport | None:
        if path == "authenticate":
            return gate.authenticate(getter(token))
        return asyncio.run(gate.aauthenticate(getter(token)))

    with pytest.raises(PassportNotBound):
        authenticate()


def test_a_binding_s_mode_cannot_change_under_a_gate() -> None:
    binding = ProofBinding("optional")
    with pytest.raises(AttributeError):
        binding.mode = "required"  # type: ignore[misc]
    assert binding.mode == "optional"


def test_a_sync_cache_hit_demands_what_a_cold_authenticate_demands(
    ring: KeyRing, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``authenticate`` answers a passport seen before from the verifier's cache; a hit is
    refused as a miss is: a bound passport without its proof, an unbound one where binding
    is required, a revoked one (logged once, by fingerprint), and a stricter verifier's own
    ``verify`` sees every request."""
    revocations = MemoryRevocations()
    verifier = Verifier(
        keys=ring.public_jwks(), issuer=ISSUER, audience="orders", revocations=revocations
    )
    gate = PassportGate(verifier)
    first = gate.authenticate(getter(token))
    assert gate.authenticate(getter(token)) is first  # the cached passport, not a new one

    bound = Minter(ring, issuer=ISSUER).mint(
        "user-1", audience="orders", cnf=confirmation(generate_key("EdDSA"))
    )
    codes = []
    for _ in range(2):  # a miss, then a hit: the verifier cached it the first time
        with pytest.raises(PassportError) as refused:
            gate.authenticate(getter(bound))  # no DPoP proof
        codes.append((refused.value.code, refused.value.status))
    assert verifier.cached(bound) is not None
    assert codes == [("invalid_dpop_proof", 401)] * 2

    required = PassportGate(verifier, binding=ProofBinding("required"))
    with pytest.raises(PassportError) as refused:
        required.authenticate(getter(token))  # cached, but unbound where binding is required
    assert refused.value.status == 401

    revocations.revoke(Revocation.passport(ISSUER, first.jti, expires=time.time() + 3600))
    caplog.set_level(logging.INFO, logger="passport_core")
    caplog.clear()  # only this refusal's records
    with pytest.raises(PassportError) as refused:
        gate.authenticate(getter(token))
    assert refused.value.code == "passport_revoked"
    logged = [record.getMessage() for record in caplog.records]
    assert logged == [f"passport refused: code=passport_revoked fp={fingerprint(token)}"]

    calls: list[str] = []

    class Counting(Verifier):
        def verify(self, token: str | bytes | None) -> Passport:
            calls.append("verify")
            return super().verify(token)

    counting = PassportGate(Counting(keys=ring.public_jwks(), issuer=ISSUER, audience="orders"))
    counting.authenticate(getter(token))
    counting.authenticate(getter(token))
    assert calls == ["verify", "verify"]  # its verify sees every request


def test_an_async_adapter_s_warm_path_is_only_a_passport_gate_s(
    gate: PassportGate, token: str
) -> None:
    """``warm_path_of`` answers from a ``PassportGate``'s cache; another gate's ``cached``
    (the edge's, a user's) is never called: every request of such a gate is awaited."""
    raw = [(b"x-passport", token.encode())]
    assert warm_path_of(gate)(raw) is None  # not verified yet
    first = gate.authenticate(getter(token))
    assert warm_path_of(gate)(raw) is first

    class Yours:
        missing = MissingToken

        def cached(self, headers: object) -> Passport:
            raise AssertionError("a gate's own cached() is not the warm path")

    assert warm_path_of(Yours())(raw) is None  # type: ignore[arg-type]
