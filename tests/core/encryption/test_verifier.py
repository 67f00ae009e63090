"""Verifier(decryption=...): an encrypted passport verifies as the signed one inside it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwe
from joserfc.jwk import ECKey

from passport_core import (
    BadSignature,
    ConfigurationError,
    Decrypter,
    EncryptedPassport,
    Encrypter,
    InvalidAudience,
    MalformedToken,
    Minter,
    TokenTooLarge,
    generate_key,
    passport_client,
    use_passport,
)
from passport_core.encryption import is_encrypted
from passport_core.keys import Key
from tests.core.encryption.conftest import AUDIENCE, ISSUER, public, verifier
from tests.servers import RunningServer, serve


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve() as running:
        yield running


def test_an_encrypted_passport_verifies_with_the_key(
    signing_key: Key, ec_private: dict[str, Any], passport: str
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)
    check = verifier(signing_key, decryption=Decrypter(ec_private))

    verified = check.verify(token)
    assert verified.subject == "user-1"
    assert verified.roles == frozenset({"admin"})
    assert verified.token == token  # what a hop forwards: the encrypted form, unchanged
    assert asyncio.run(check.averify(token)).subject == "user-1"
    assert check.verify(token.encode()).subject == "user-1"


def test_the_cache_answers_for_the_encrypted_token(
    signing_key: Key, ec_private: dict[str, Any], passport: str
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)
    check = verifier(signing_key, decryption=Decrypter(ec_private))

    first = check.verify(token)
    assert check.verify(token) is first
    now = time.time()
    # keyed by what was presented, never by the plaintext
    entry = check.cache.get(token, now)
    assert entry is not None
    assert entry.passport is first
    assert check.cache.get(passport, now) is None
    assert len(check.cache) == 1


def test_a_verifier_without_decryption_keys_refuses_it_clearly(
    signing_key: Key, ec_private: dict[str, Any], passport: str
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)

    with pytest.raises(EncryptedPassport) as caught:
        verifier(signing_key).verify(token)
    assert (caught.value.code, caught.value.status) == ("encrypted_passport", 401)


def test_the_signed_passport_inside_is_verified_as_ever(
    ec_private: dict[str, Any], signing_key: Key
) -> None:
    encrypter = Encrypter(public(ec_private))
    check = verifier(signing_key, decryption=Decrypter(ec_private))
    forger = Minter(generate_key("ES256", kid="sign-1"), issuer=ISSUER)
    with pytest.raises(BadSignature):
        check.verify(encrypter.encrypt(forger.mint("user-1", audience=AUDIENCE)))
    other = Minter(signing_key, issuer=ISSUER).mint("user-1", audience="billing")
    with pytest.raises(InvalidAudience):
        check.verify(encrypter.encrypt(other))


def test_a_jwe_inside_a_jwe_is_refused(
    signing_key: Key, ec_private: dict[str, Any], passport: str
) -> None:
    encrypter = Encrypter(public(ec_private))
    inner = encrypter.encrypt(passport)
    assert is_encrypted(inner)
    with pytest.raises(MalformedToken):
        encrypter.encrypt(inner)  # only a JWS is nested
    # nor does one made elsewhere open: the plaintext must be a signed passport
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT", "kid": "enc-ec"}
    key = ECKey.import_key(public(ec_private))
    twice = jwe.encrypt_compact(
        header, inner.encode(), key, algorithms=["ECDH-ES+A256KW", "A256GCM"]
    )
    check = verifier(signing_key, decryption=Decrypter(ec_private))
    with pytest.raises(MalformedToken, match="signed"):
        check.verify(twice)


def test_sizes_are_capped_for_both_forms(
    signing_key: Key, ec_private: dict[str, Any], passport: str
) -> None:
    check = verifier(signing_key, decryption=Decrypter(ec_private, max_token_bytes=2048))
    token = Encrypter(public(ec_private)).encrypt(passport)
    assert check.verify(token).subject == "user-1"

    with pytest.raises(TokenTooLarge):
        check.verify("a.b.c.d." + "e" * 3000)  # a JWE over the decrypter's cap
    with pytest.raises(TokenTooLarge):
        check.verify("a" * 9000)
    roomy = verifier(signing_key, decryption=Decrypter(ec_private, max_token_bytes=20000))
    with pytest.raises(TokenTooLarge):
        roomy.verify("a" * 8193 + ".b.c")  # a JWS over the verifier's own cap, below the JWE's
    with pytest.raises(ConfigurationError):
        verifier(signing_key, decryption=ec_private)  # type: ignore[arg-type]


def test_a_hop_forwards_the_encrypted_passport_and_the_next_verifies_it(
    signing_key: Key, ec_private: dict[str, Any], passport: str, server: RunningServer
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)
    here = verifier(signing_key, decryption=Decrypter(ec_private)).verify(token)

    with passport_client(["127.0.0.1"]) as client, use_passport(here):
        client.get(server.url)
    forwarded = server.requests[0][1]["x-passport"]
    assert forwarded == token
    # a hop without the key still forwards what it was given: the header, byte for byte
    httpx.get(server.url, headers={"X-Passport": forwarded}, timeout=5.0)
    relayed = server.requests[1][1]["x-passport"]

    next_hop = verifier(signing_key, decryption=Decrypter(ec_private))
    assert next_hop.verify(relayed).subject == "user-1"
    with pytest.raises(EncryptedPassport):
        verifier(signing_key).verify(relayed)
