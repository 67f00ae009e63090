"""The suite-wide secrets check (tests/secrets_hygiene.py) finds what it must, and only that."""

from __future__ import annotations

import logging
import sys
import time

import pytest

from passport_core import KeyRing, Minter, Verifier
from tests.secrets_hygiene import SecretWatch, secrets_in


@pytest.fixture(scope="module")
def passport() -> str:
    ring = KeyRing.generate("ES256")
    return Minter(ring, issuer="https://edge.test").mint("user-1", audience="orders")


def _record(
    message: str, *args: object, exc: BaseException | None = None, name: str = "passport_core"
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, message, args, exc_info)


def test_a_token_in_a_debug_record_of_ours_is_found(passport: str) -> None:
    watch = SecretWatch()
    watch.handle(_record("sending headers %s", {"x-passport": passport}))
    assert watch.found == ["passport_core (DEBUG) logged a compact JWS/JWE"]
    assert passport not in " ".join(watch.found)  # the report names the kind, never the secret


def test_a_library_s_record_counts_when_our_code_is_on_the_stack(passport: str) -> None:
    """httpx logging inside a call of ours (here the verifier asks its clock) is ours to
    answer for; the same record made for the test itself is not."""
    ring = KeyRing.generate("EdDSA")
    watch = SecretWatch()
    leaked = _record("response headers %s", [(b"x-passport", passport.encode())], name="httpx")

    def clock() -> float:
        watch.handle(leaked)
        return time.time()

    verifier = Verifier(keys=ring.public_jwks(), issuer="https://edge.test", audience="orders",
                        clock=clock)  # fmt: skip
    verifier.verify(Minter(ring, issuer="https://edge.test").mint("user-1", audience="orders"))
    assert watch.found[:1] == ["httpx (DEBUG) logged a compact JWS/JWE"]

    alone = SecretWatch()
    alone.handle(leaked)
    assert alone.found == []


def test_a_token_in_an_exception_s_text_is_found(passport: str) -> None:
    watch = SecretWatch()
    try:
        raise ValueError(f"cannot parse {passport}")
    except ValueError:
        error = sys.exc_info()[1]
    assert error is not None
    watch.handle(_record("request failed", exc=error))
    assert watch.found == ["passport_core (DEBUG) logged a compact JWS/JWE"]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...", ["a PEM private key"]),
        ("-----BEGIN EC PRIVATE KEY-----", ["a PEM private key"]),
        ('{"kty": "OKP", "crv": "Ed25519", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}',
         ["a JWK's private member"]),
        ("{'kty': 'oct', 'k': 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T'}",
         ["a JWK's private member"]),
        # what a log line may say: a fingerprint, a kid, a public key, a code
        ("passport refused: code=bad_signature fp=3f2a9c0d81b4e6a7", []),
        ('{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
         []),
        ("-----BEGIN PUBLIC KEY-----", []),
        ("GET http://127.0.0.1:8000/.well-known/jwks.json 200", []),
    ],
)  # fmt: skip
def test_what_counts_as_a_secret(text: str, kinds: list[str]) -> None:
    assert secrets_in(text) == kinds


def test_the_root_logger_is_at_debug_while_the_suite_runs() -> None:
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
