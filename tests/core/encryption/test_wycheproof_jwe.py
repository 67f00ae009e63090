"""Project Wycheproof's JWE vectors (tests/vectors/wycheproof) through our Decrypter.

Every invalid vector must be refused with a typed 401. Every valid one must
decrypt to its plaintext, or be refused *only* because we are stricter than
RFC 7518: its ``alg`` is outside what we support at all (AES key wrap, ``dir``,
``RSA1_5``, ``PBES2``: keys shared with the edge, or padding oracles), or it is
compressed (``zip``). That reason is asserted, not just "some error".

The payloads are ``foo``, not passports, so :meth:`Decrypter.decrypt_content` is
called (it skips only the ``cty: "JWT"`` requirement of nested passports).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from joserfc.jwk import ECKey

from passport_core import (
    AlgorithmNotAllowed,
    AuthenticationError,
    Decrypter,
    ForbiddenHeader,
    InvalidKey,
)
from passport_core.encryption.algorithms import (
    DEFAULT_ALGORITHMS,
    DEFAULT_ENCRYPTIONS,
    SUPPORTED_ALGORITHMS,
    SUPPORTED_ENCRYPTIONS,
)
from passport_core.token.encoding import b64url_decode
from tests.conftest import VECTORS

FILE = VECTORS / "wycheproof" / "json_web_encryption_test.json"


@functools.cache
def _groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = json.loads(FILE.read_text(encoding="utf-8"))["testGroups"]
    return groups


def _params(valid_only: bool = False) -> Iterator[Any]:
    for group in _groups():
        for test in group["tests"]:
            if valid_only and test["result"] != "valid":
                continue
            comment = re.sub(r"[^A-Za-z0-9]+", "-", test["comment"]).strip("-")
            yield pytest.param(group["private"], test, id=f"tc{test['tcId']}-{comment}"[:60])


def _header(token: object) -> dict[str, Any] | None:
    """The vector's protected header, where it has a readable one."""
    if not isinstance(token, str):
        return None
    try:
        header = json.loads(b64url_decode(token.split(".")[0]))
    except (ValueError, AuthenticationError):
        return None
    return header if isinstance(header, dict) else None


def _decrypter(jwk: Mapping[str, Any], **options: Any) -> Decrypter:
    """A Decrypter holding the vector's key, or a stand-in where we refuse that kind of key.

    An AES (``oct``) key is never a decryption key of ours (the edge encrypts to a public
    key): the stand-in keeps the vector's kid, so what refuses its tokens is the algorithm.
    A JWK ``alg`` we do not support (``RSA1_5``) is dropped, so the key itself loads and
    the token's ``alg`` is what is refused.
    """
    if jwk.get("kty") == "oct":
        with pytest.raises(InvalidKey):
            Decrypter(jwk)
        jwk = ECKey.generate_key("P-256", parameters={"kid": str(jwk.get("kid", "x"))}).as_dict(
            private=True
        )
    elif jwk.get("alg") not in SUPPORTED_ALGORITHMS:
        jwk = {k: v for k, v in jwk.items() if k != "alg"}
    return Decrypter(jwk, **options)


def _expect(decrypter: Decrypter, test: Mapping[str, Any]) -> None:
    token = test["jwe"] if isinstance(test["jwe"], str) else json.dumps(test["jwe"])
    header = _header(test["jwe"]) or {}
    if test["result"] == "invalid":
        with pytest.raises(AuthenticationError) as caught:
            decrypter.decrypt_content(token)
        assert caught.value.status == 401
        return
    allowed = header.get("alg") in decrypter.algorithms and header.get("enc") in (
        decrypter.encryptions
    )
    if allowed and "zip" not in header:
        assert decrypter.decrypt_content(token) == bytes.fromhex(test["pt"])
        return
    # Valid per RFC 7516, refused only by our allow-list or our refusal of zip.
    with pytest.raises((AlgorithmNotAllowed, ForbiddenHeader)) as refused:
        decrypter.decrypt_content(token)
    if isinstance(refused.value, ForbiddenHeader):
        assert "zip" in header
    else:
        assert not allowed


@pytest.mark.parametrize(("jwk", "test"), list(_params()))
def test_every_vector_with_everything_we_support(jwk: dict[str, Any], test: dict[str, Any]) -> None:
    wide = _decrypter(jwk, algorithms=SUPPORTED_ALGORITHMS, encryptions=SUPPORTED_ENCRYPTIONS)
    _expect(wide, test)


@pytest.mark.parametrize(("jwk", "test"), list(_params(valid_only=True)))
def test_valid_vectors_with_the_defaults(jwk: dict[str, Any], test: dict[str, Any]) -> None:
    if jwk.get("kty") != "oct" and jwk.get("alg") not in DEFAULT_ALGORITHMS:
        jwk = {k: v for k, v in jwk.items() if k != "alg"}  # the defaults, not the key, decide
    _expect(_decrypter(jwk), test)


def test_the_vectors_exercise_what_we_accept() -> None:
    """A file that lost its ECDH-ES / RSA-OAEP-256 / GCM vectors would prove nothing."""
    opened = {
        (header["alg"], header["enc"])
        for group in _groups()
        for test in group["tests"]
        if test["result"] == "valid" and (header := _header(test["jwe"]))
    }
    assert {(alg, enc) for alg in DEFAULT_ALGORITHMS for enc in DEFAULT_ENCRYPTIONS} <= opened
