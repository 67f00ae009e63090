"""Encrypter and Decrypter: what opens, and everything refused before or while decrypting."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from passport_core import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadSignature,
    ConfigurationError,
    Decrypter,
    Encrypter,
    ForbiddenHeader,
    InvalidKey,
    InvalidType,
    MalformedToken,
    PrivateKeyInPublicSet,
    TokenTooLarge,
    UnknownKey,
    UnsupportedCritical,
    WeakKey,
)
from passport_core.token.encoding import b64url_decode, b64url_encode
from tests.core.encryption.conftest import public


def forge(jwk: dict[str, Any], header: dict[str, Any], plaintext: bytes, *extra: str) -> str:
    """A JWE made by joserfc with any header: what a sender we do not control could send."""
    key = ECKey.import_key(jwk) if jwk["kty"] == "EC" else RSAKey.import_key(jwk)
    algorithms = [header["alg"], header["enc"], *extra]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # RSA1_5: forged on purpose
        return jwe.encrypt_compact(header, plaintext, key, algorithms=algorithms)


def _segments(token: str) -> list[str]:
    return token.split(".")


@pytest.mark.parametrize("which", ["ec_private", "rsa_private"])
def test_round_trip_per_algorithm(
    which: str, passport: str, request: pytest.FixtureRequest
) -> None:
    private = request.getfixturevalue(which)
    encrypter = Encrypter(public(private))
    token = encrypter.encrypt(passport)

    header = json.loads(b64url_decode(token.split(".")[0]))
    assert len(_segments(token)) == 5
    assert header["alg"] == {"EC": "ECDH-ES+A256KW", "RSA": "RSA-OAEP-256"}[private["kty"]]
    assert header["enc"] == "A256GCM"
    assert header["cty"] == "JWT"
    assert header["typ"] == "passport+jwt"
    assert header["kid"] == private["kid"]
    assert "zip" not in header
    assert Decrypter(private).decrypt(token) == passport.encode()


def test_a_jwe_without_kid_opens_with_the_one_key_that_fits(
    ec_private: dict[str, Any], rsa_private: dict[str, Any], passport: str
) -> None:
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT"}
    token = forge(ec_private, header, passport.encode())

    assert Decrypter([ec_private, rsa_private]).decrypt(token) == passport.encode()


def test_a_jwe_without_kid_is_refused_when_two_keys_could_open_it(
    ec_private: dict[str, Any], passport: str
) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "enc-ec-2"}).as_dict(private=True)
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT"}
    token = forge(ec_private, header, passport.encode())

    with pytest.raises(UnknownKey):
        Decrypter([ec_private, other]).decrypt(token)


def test_compression_is_refused_whatever_its_value(
    ec_private: dict[str, Any], passport: str
) -> None:
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT", "zip": "DEF"}
    token = forge(ec_private, header, passport.encode(), "DEF")

    with pytest.raises(ForbiddenHeader, match="zip"):
        Decrypter(ec_private).decrypt(token)


def test_zip_with_any_other_value_is_refused_before_decrypting(
    ec_private: dict[str, Any], passport: str
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)
    first, *rest = token.split(".")
    header = json.loads(b64url_decode(first))
    header["zip"] = "none"
    forged = ".".join([b64url_encode(json.dumps(header).encode()), *rest])

    with pytest.raises(ForbiddenHeader):
        Decrypter(ec_private).decrypt(forged)


def test_unknown_crit_is_refused(ec_private: dict[str, Any], passport: str) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)
    first, *rest = token.split(".")
    header = {**json.loads(b64url_decode(first)), "crit": ["exp"], "exp": 1}
    forged = ".".join([b64url_encode(json.dumps(header).encode()), *rest])

    with pytest.raises(UnsupportedCritical):
        Decrypter(ec_private).decrypt(forged)


def test_an_oversized_token_is_refused_unparsed(ec_private: dict[str, Any]) -> None:
    decrypter = Decrypter(ec_private, max_token_bytes=1024)

    with pytest.raises(TokenTooLarge):
        decrypter.decrypt("e" * 1025)


def test_an_oversized_plaintext_is_refused_before_decrypting(
    ec_private: dict[str, Any], passport: str
) -> None:
    token = Encrypter(public(ec_private)).encrypt(passport)

    with pytest.raises(TokenTooLarge, match="content"):
        Decrypter(ec_private, max_plaintext_bytes=len(passport) - 1).decrypt(token)


@pytest.mark.parametrize(
    ("alg", "enc"),
    [("ECDH-ES", "A256GCM"), ("ECDH-ES+A128KW", "A256GCM"), ("ECDH-ES+A256KW", "A128GCM")],
)
def test_an_alg_or_enc_not_configured_is_refused(
    ec_private: dict[str, Any], passport: str, alg: str, enc: str
) -> None:
    token = forge(ec_private, {"alg": alg, "enc": enc, "cty": "JWT"}, passport.encode())

    with pytest.raises(AlgorithmNotAllowed):
        Decrypter(ec_private).decrypt(token)
    # and opens where it is configured
    opened = Decrypter(ec_private, algorithms={alg}, encryptions={enc}).decrypt(token)
    assert opened == passport.encode()


def test_rsa1_5_is_refused_and_cannot_be_configured(
    rsa_private: dict[str, Any], passport: str
) -> None:
    token = forge(rsa_private, {"alg": "RSA1_5", "enc": "A256GCM", "cty": "JWT"}, passport.encode())

    with pytest.raises(AlgorithmNotAllowed, match="RSA1_5"):
        Decrypter(rsa_private).decrypt(token)
    for alg in ("RSA1_5", "dir", "A256KW", "PBES2-HS256+A128KW"):
        with pytest.raises(ConfigurationError):
            Decrypter(rsa_private, algorithms={alg})


def test_a_key_bound_to_one_alg_refuses_another(ec_private: dict[str, Any], passport: str) -> None:
    bound = {**ec_private, "alg": "ECDH-ES+A128KW"}
    token = Encrypter(public(ec_private)).encrypt(passport)  # ECDH-ES+A256KW

    with pytest.raises(AlgorithmNotAllowed):
        Decrypter(bound, algorithms={"ECDH-ES+A128KW", "ECDH-ES+A256KW"}).decrypt(token)


def test_a_token_for_another_key_is_refused(ec_private: dict[str, Any], passport: str) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "enc-ec"}).as_dict(private=True)
    token = Encrypter(public(other)).encrypt(passport)  # same kid, another key

    with pytest.raises(BadSignature):
        Decrypter(ec_private).decrypt(token)


def test_an_unknown_kid_is_refused(ec_private: dict[str, Any], passport: str) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "elsewhere"})
    token = Encrypter(public(other.as_dict(private=True))).encrypt(passport)

    with pytest.raises(UnknownKey):
        Decrypter(ec_private).decrypt(token)


def _flip(segment: str) -> str:
    raw = bytearray(b64url_decode(segment))
    raw[len(raw) // 2] ^= 0x01
    return b64url_encode(bytes(raw))


@pytest.mark.parametrize("index", [1, 2, 3, 4], ids=["encrypted-key", "iv", "ciphertext", "tag"])
@pytest.mark.parametrize("which", ["ec_private", "rsa_private"])
def test_a_tampered_segment_is_refused(
    which: str, index: int, passport: str, request: pytest.FixtureRequest
) -> None:
    private = request.getfixturevalue(which)
    segments = Encrypter(public(private)).encrypt(passport).split(".")
    segments[index] = _flip(segments[index])

    with pytest.raises(BadSignature):
        Decrypter(private).decrypt(".".join(segments))


def test_a_tampered_header_is_refused(ec_private: dict[str, Any], passport: str) -> None:
    first, *rest = Encrypter(public(ec_private)).encrypt(passport).split(".")
    header = {**json.loads(b64url_decode(first)), "typ": "JWT"}  # still passes our checks
    forged = ".".join([b64url_encode(json.dumps(header).encode()), *rest])

    with pytest.raises(BadSignature):  # the header is the AAD (RFC 7516 §5.1 step 14)
        Decrypter(ec_private).decrypt(forged)


def test_an_encrypted_unsigned_payload_is_refused(ec_private: dict[str, Any]) -> None:
    claims = json.dumps({"iss": "https://edge.example", "sub": "user-1"}).encode()
    token = forge(ec_private, {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT"}, claims)

    with pytest.raises(MalformedToken, match="signed"):
        Decrypter(ec_private).decrypt(token)


def test_a_jwe_without_cty_jwt_is_refused(ec_private: dict[str, Any], passport: str) -> None:
    token = forge(ec_private, {"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}, passport.encode())

    with pytest.raises(InvalidType):
        Decrypter(ec_private).decrypt(token)
    assert Decrypter(ec_private).decrypt_content(token) == passport.encode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b.c",
        "a.b.c.d",
        "a.b.c.d.e.f",
        "....",
        "eyJ.a.b.c.d",
        b64url_encode(b"[]") + ".a.b.c.d",
        b64url_encode(b'{"alg":1,"enc":"A256GCM"}') + "...c.d",
        "é.a.b.c.d",
    ],
)
def test_malformed_tokens_get_a_typed_401(ec_private: dict[str, Any], token: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Decrypter(ec_private).decrypt(token)
    assert caught.value.status == 401


def test_segments_missing_are_malformed(ec_private: dict[str, Any], passport: str) -> None:
    segments = Encrypter(public(ec_private)).encrypt(passport).split(".")
    for index in (2, 3, 4):
        broken = list(segments)
        broken[index] = ""
        with pytest.raises(MalformedToken):
            Decrypter(ec_private).decrypt(".".join(broken))


def test_keys_are_checked_when_configured(ec_private: dict[str, Any]) -> None:
    with pytest.raises(InvalidKey):
        Decrypter(public(ec_private))  # decrypting needs the private key
    with pytest.raises(PrivateKeyInPublicSet):
        Encrypter(ec_private)  # the edge never holds the audience's private key
    with pytest.raises(InvalidKey):
        Decrypter({"kty": "oct", "k": base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")})
    with pytest.raises(InvalidKey):
        Decrypter({**ec_private, "use": "sig"})
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the weak key refused
    with pytest.raises(WeakKey):
        Decrypter(weak)
    with pytest.raises(ConfigurationError):
        Decrypter(ec_private, algorithms={"RSA-OAEP-256"})  # no key can do it


def test_keys_load_from_a_jwks_file(
    tmp_path: Any, ec_private: dict[str, Any], rsa_private: dict[str, Any], passport: str
) -> None:
    path = tmp_path / "decryption.json"
    path.write_text(json.dumps({"keys": [ec_private, rsa_private]}))
    token = Encrypter(public(rsa_private)).encrypt(passport)

    assert Decrypter(path).decrypt(token) == passport.encode()
    assert Decrypter(str(path)).decrypt(token) == passport.encode()


def test_only_a_signed_passport_is_encrypted(ec_private: dict[str, Any]) -> None:
    with pytest.raises(MalformedToken):
        Encrypter(public(ec_private)).encrypt('{"sub": "user-1"}')
