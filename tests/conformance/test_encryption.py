"""Encrypted passports (nested JWE) in every adapter: opened with ``decryption_keys``, refused
without them (401 ``encrypted_passport``), the same in every framework."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey

from passport_core import EncryptedPassport, Encrypter, problem_response
from tests.conformance.apps import SETTINGS
from tests.conformance.conftest import Send, serving
from tests.conformance.test_conformance import _one, _valid

#: the service's own decryption key; the edge encrypts to its public half
PRIVATE = ECKey.generate_key("P-256", parameters={"kid": "orders-enc"}).as_dict(private=True)
PUBLIC: dict[str, Any] = {k: v for k, v in PRIVATE.items() if k != "d"}


def test_an_encrypted_passport_is_accepted_with_the_key(adapter: str) -> None:
    token = Encrypter(PUBLIC).encrypt(_valid("alice"))
    settings = {**SETTINGS, "decryption_keys": {"keys": [PRIVATE]}}

    with serving(adapter, settings) as send:
        answer = send("/required", _one(token))
    assert answer.status == 200
    assert answer.json() == {"subject": "alice"}


def test_an_encrypted_passport_is_refused_without_the_key(send: Send) -> None:
    token = Encrypter(PUBLIC).encrypt(_valid("alice"))

    answer = send("/required", _one(token))
    assert answer.status == 401
    assert answer.json()["code"] == "encrypted_passport"
    assert answer.content == problem_response(EncryptedPassport()).content


def test_a_tampered_encrypted_passport_is_a_401_not_a_500(adapter: str) -> None:
    segments = Encrypter(PUBLIC).encrypt(_valid("alice")).split(".")
    segments[3] = ("A" if segments[3][0] != "A" else "B") + segments[3][1:]
    settings = {**SETTINGS, "decryption_keys": {"keys": [PRIVATE]}}

    with serving(adapter, settings) as send:
        answer = send("/required", _one(".".join(segments)))
    assert answer.status == 401
    assert answer.json()["code"] == "bad_signature"
