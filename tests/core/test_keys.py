"""Keys: generation, loading, RFC 7638 kids, algorithm binding, weak and misused keys, export."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from passport_core import (
    ALGORITHMS,
    DuplicateKeyId,
    InvalidKey,
    Key,
    KeyUsageForbidden,
    PassportError,
    PrivateKeyInPublicSet,
    WeakKey,
    generate_key,
    load_jwks,
    load_key,
    load_key_env,
    load_key_file,
    public_jwks,
)
from passport_core.keys.primitives import signature_size

KeyOfAlg = Callable[[str], Key]

ALL_ALGS = sorted(ALGORITHMS)
ASYMMETRIC_ALGS = [alg for alg in ALL_ALGS if not alg.startswith("HS")]
HMAC_ALGS = [alg for alg in ALL_ALGS if alg.startswith("HS")]
#: RFC 7517/7518/8037: the members that hold private key material
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
#: RFC 7638 §3.2 and RFC 8037 §2: the members a thumbprint is computed over
THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
    "OKP": ("crv", "kty", "x"),
}
#: exactly what a published public JWK holds, per key type
PUBLIC_JWK_MEMBERS = {
    "EC": {"kty", "crv", "x", "y", "kid", "alg", "use"},
    "RSA": {"kty", "n", "e", "kid", "alg", "use"},
    "OKP": {"kty", "crv", "x", "kid", "alg", "use"},
}
EXPECTED_KTY = {
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "HS256": "oct",
    "HS384": "oct",
    "HS512": "oct",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    """Computed here by hand: SHA-256 over the canonical JSON of the required members."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def verifier_half(key: Key) -> Key:
    return key if key.is_symmetric else key.public()


# --- generation ---------------------------------------------------------------------------------


def test_algorithm_table_has_no_none_and_covers_the_issue() -> None:
    assert "none" not in {alg.lower() for alg in ALGORITHMS}
    assert {"EdDSA", "ES256", "RS256", "PS256", "HS256"} <= set(ALGORITHMS)
    assert set(ALGORITHMS) == set(EXPECTED_KTY)


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_generate_every_algorithm(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    assert key.alg == alg
    assert key.key_type == EXPECTED_KTY[alg]
    assert key.is_private
    assert key.is_symmetric is (alg in HMAC_ALGS)
    signature = key.sign(b"signing input")
    checker = verifier_half(key)
    assert checker.verify(b"signing input", signature)
    assert not checker.verify(b"signing inpuT", signature)
    assert not checker.verify(b"signing input", b"")
    assert not checker.verify(b"signing input", b"\x00" * len(signature))


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_generated_rsa_keys_have_at_least_2048_bits(alg: str, key_of_alg: KeyOfAlg) -> None:
    n = key_of_alg(alg).to_jwk()["n"]
    modulus = int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big")
    assert modulus.bit_length() >= 2048


@pytest.mark.parametrize(("alg", "octets"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_generated_hmac_secrets_are_as_long_as_the_hash(
    alg: str, octets: int, key_of_alg: KeyOfAlg
) -> None:
    k = key_of_alg(alg).to_jwk(private=True)["k"]
    assert len(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))) >= octets


def test_generated_keys_are_random() -> None:
    assert generate_key("EdDSA").kid != generate_key("EdDSA").kid
    assert generate_key("HS256").kid != generate_key("HS256").kid


def test_generate_with_an_explicit_kid() -> None:
    assert generate_key("ES256", kid="signing-2024").kid == "signing-2024"


@pytest.mark.parametrize("alg", ["none", "None", "HS1", "RSA-OAEP", "ES256K", "", "A256GCM"])
def test_generate_refuses_unknown_algorithms(alg: str) -> None:
    with pytest.raises(InvalidKey):
        generate_key(alg)


@pytest.mark.parametrize(
    ("alg", "bits"), [("RS256", 1024), ("PS512", 2047), ("HS256", 128), ("HS384", 256)]
)
def test_generate_refuses_weak_sizes(alg: str, bits: int) -> None:
    with pytest.raises(WeakKey):
        generate_key(alg, bits=bits)


# --- kid: RFC 7638 thumbprint -------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_default_kid_is_the_rfc7638_thumbprint(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    assert key.kid == rfc7638_thumbprint(key.to_jwk(private=True))


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_public_half_loaded_without_kid_has_the_same_thumbprint(
    alg: str, key_of_alg: KeyOfAlg
) -> None:
    key = key_of_alg(alg)
    jwk = key.to_jwk()
    del jwk["kid"]
    loaded = load_key(jwk)
    assert loaded.kid == key.kid == rfc7638_thumbprint(jwk)
    assert not loaded.is_private


def test_rfc7638_example_thumbprint() -> None:
    # The RSA example key of RFC 7638 §3.1 and its published thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
        "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    key = load_key({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256"})
    assert key.kid == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_declared_kid_wins_over_the_thumbprint(key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    jwk["kid"] = "published-kid"
    assert load_key(jwk).kid == "published-kid"
    assert load_key(jwk, kid="explicit").kid == "explicit"


@pytest.mark.parametrize("kid", [5, ["a"], {"a": 1}, True])
def test_a_declared_kid_must_be_a_string(kid: Any, key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    jwk["kid"] = kid
    with pytest.raises(InvalidKey):
        load_key(jwk)


def test_an_explicit_kid_must_not_be_empty(key_of_alg: KeyOfAlg) -> None:
    with pytest.raises(InvalidKey, match="empty"):
        load_key(key_of_alg("ES256").to_jwk(), kid="")


# --- loading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_load_private_jwk_dict_and_json_text(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    jwk = key.to_jwk(private=True)
    for source in (jwk, json.dumps(jwk), json.dumps(jwk).encode(), f"\n  {json.dumps(jwk)}\n"):
        loaded = load_key(source)
        assert (loaded.kid, loaded.alg, loaded.is_private) == (key.kid, alg, True)
        assert verifier_half(key).verify(b"m", loaded.sign(b"m"))


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_pem_round_trip_private_and_public(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    private_pem = key.to_pem(private=True)
    public_pem = key.to_pem()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert b"PRIVATE" not in public_pem

    private = load_key(private_pem, alg=alg)
    public = load_key(public_pem.decode("ascii"), alg=alg)
    assert (private.kid, private.alg, private.is_private) == (key.kid, alg, True)
    assert (public.kid, public.alg, public.is_private) == (key.kid, alg, False)
    assert private.to_pem(private=True) == private_pem
    assert public.to_pem() == public_pem
    # Keys loaded from PEM sign and verify interchangeably with the original.
    assert public.verify(b"m", key.sign(b"m"))
    assert key.public().verify(b"m", private.sign(b"m"))


@pytest.mark.parametrize(
    ("alg", "natural"),
    [("EdDSA", "EdDSA"), ("ES256", "ES256"), ("ES384", "ES384"), ("ES512", "ES512")],
)
def test_pem_without_alg_gets_the_natural_algorithm(
    alg: str, natural: str, key_of_alg: KeyOfAlg
) -> None:
    assert load_key(key_of_alg(alg).to_pem()).alg == natural


def test_pem_rsa_without_alg_defaults_to_rs256(key_of_alg: KeyOfAlg) -> None:
    assert load_key(key_of_alg("PS256").to_pem()).alg == "RS256"


def test_traditional_openssl_pem_loads(key_of_alg: KeyOfAlg) -> None:
    native = serialization.load_pem_private_key(
        key_of_alg("ES256").to_pem(private=True), password=None
    )
    pem = native.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert pem.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert load_key(pem).kid == key_of_alg("ES256").kid


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_load_public_jwks(alg: str, key_of_alg: KeyOfAlg) -> None:
    keys = [key_of_alg(alg), key_of_alg("ES384")]
    jwks = public_jwks(keys)
    for source in (jwks, json.dumps(jwks), json.dumps(jwks).encode()):
        loaded = load_jwks(source)
        assert [(k.kid, k.alg, k.is_private) for k in loaded] == [
            (k.kid, k.alg, False) for k in keys
        ]


def test_load_private_jwks_only_when_asked(key_of_alg: KeyOfAlg) -> None:
    jwks = {
        "keys": [key_of_alg("EdDSA").to_jwk(private=True), key_of_alg("HS256").to_jwk(private=True)]
    }
    with pytest.raises(PrivateKeyInPublicSet):
        load_jwks(jwks)
    loaded = load_jwks(jwks, public_only=False)
    assert [k.alg for k in loaded] == ["EdDSA", "HS256"]
    assert all(k.is_private for k in loaded)


@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_load_key_file(form: str, tmp_path: Path, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg("ES256")
    path = tmp_path / f"signing.{form}"
    if form == "pem":
        path.write_bytes(key.to_pem(private=True))
    else:
        path.write_text(json.dumps(key.to_jwk(private=True)))
    loaded = load_key_file(path)
    assert (loaded.kid, loaded.alg, loaded.is_private) == (key.kid, "ES256", True)
    assert load_key_file(str(path), alg="ES256").kid == key.kid


def test_load_key_file_with_alg_binds_a_raw_hmac_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret.bin"
    path.write_bytes(b"s" * 32)
    assert load_key_file(path, alg="HS256").alg == "HS256"


@pytest.mark.parametrize("name", ["missing.pem", "."])
def test_load_key_file_that_cannot_be_read(name: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidKey, match="cannot read key file"):
        load_key_file(tmp_path / name)


@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_load_key_env(form: str, monkeypatch: pytest.MonkeyPatch, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg("EdDSA")
    value = (
        key.to_pem(private=True).decode() if form == "pem" else json.dumps(key.to_jwk(private=True))
    )
    monkeypatch.setenv("PASSPORT_TEST_SIGNING_KEY", value)
    loaded = load_key_env("PASSPORT_TEST_SIGNING_KEY")
    assert (loaded.kid, loaded.alg, loaded.is_private) == (key.kid, "EdDSA", True)


@pytest.mark.parametrize("value", [None, ""])
def test_load_key_env_unset_or_empty(value: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv("PASSPORT_TEST_SIGNING_KEY", raising=False)
    else:
        monkeypatch.setenv("PASSPORT_TEST_SIGNING_KEY", value)
    with pytest.raises(InvalidKey, match="PASSPORT_TEST_SIGNING_KEY"):
        load_key_env("PASSPORT_TEST_SIGNING_KEY")


# --- fixed algorithm binding --------------------------------------------------------------------


def test_declared_jwk_alg_mismatch_is_refused(key_of_alg: KeyOfAlg) -> None:
    for alg, other in [("ES256", "ES384"), ("RS256", "PS256"), ("EdDSA", "Ed25519")]:
        with pytest.raises(InvalidKey, match="declared") as excinfo:
            load_key(key_of_alg(alg).to_jwk(), alg=other)
        assert excinfo.type is InvalidKey
    with pytest.raises(InvalidKey, match="declared"):
        load_key(key_of_alg("HS256").to_jwk(private=True), alg="HS512")


@pytest.mark.parametrize(("curve_of", "alg"), [("ES384", "ES256"), ("ES256", "ES512")])
def test_ec_curve_mismatch_is_refused(curve_of: str, alg: str, key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg(curve_of).to_jwk()
    del jwk["alg"]
    with pytest.raises(InvalidKey, match="curve") as excinfo:
        load_key(jwk, alg=alg)
    assert excinfo.type is InvalidKey
    # A JWK that declares an alg its own curve cannot carry is refused too.
    jwk["alg"] = alg
    with pytest.raises(InvalidKey, match="curve"):
        load_key(jwk)


@pytest.mark.parametrize(
    ("key_alg", "alg"),
    [
        ("RS256", "ES256"),
        ("RS256", "EdDSA"),
        ("RS256", "HS256"),
        ("ES256", "RS256"),
        ("EdDSA", "ES256"),
        ("ES256", "EdDSA"),
        ("HS256", "RS256"),
        ("HS512", "EdDSA"),
    ],
)
def test_key_of_the_wrong_type_is_refused(key_alg: str, alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(key_alg)
    jwk = key.to_jwk(private=True)
    del jwk["alg"]
    sources: list[Any] = [jwk]
    if not key.is_symmetric:
        sources.append(key.to_pem(private=True))
    for source in sources:
        with pytest.raises(InvalidKey, match="needs a") as excinfo:
            load_key(source, alg=alg)
        assert excinfo.type is InvalidKey


def test_the_bound_algorithm_is_the_only_one_a_key_verifies(key_of_alg: KeyOfAlg) -> None:
    ps = key_of_alg("PS256")
    as_rs = load_key(ps.to_pem(), alg="RS256")
    signature = ps.sign(b"m")
    assert ps.public().verify(b"m", signature)
    assert not as_rs.verify(b"m", signature)


def test_unsupported_declared_alg_is_refused(key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg("HS256").to_jwk(private=True)
    for alg in ("none", "HS1", "RSA-OAEP"):
        jwk["alg"] = alg
        with pytest.raises(InvalidKey):
            load_key(jwk)


# --- weak keys ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the weak key under test


def _rsa_jwk(native: rsa.RSAPrivateKey, *, private: bool) -> dict[str, Any]:
    numbers = native.private_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64url_int(numbers.public_numbers.n),
        "e": b64url_int(numbers.public_numbers.e),
    }
    if private:
        jwk.update(
            d=b64url_int(numbers.d),
            p=b64url_int(numbers.p),
            q=b64url_int(numbers.q),
            dp=b64url_int(numbers.dmp1),
            dq=b64url_int(numbers.dmq1),
            qi=b64url_int(numbers.iqmp),
        )
    return jwk


def _rsa_forms(native: rsa.RSAPrivateKey) -> dict[str, Any]:
    enc = serialization.Encoding.PEM
    none = serialization.NoEncryption()
    return {
        "pkcs8 pem": native.private_bytes(enc, serialization.PrivateFormat.PKCS8, none),
        "pkcs1 pem": native.private_bytes(
            enc, serialization.PrivateFormat.TraditionalOpenSSL, none
        ),
        "spki pem": native.public_key().public_bytes(
            enc, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "pkcs1 public pem": native.public_key().public_bytes(enc, serialization.PublicFormat.PKCS1),
        "public jwk": _rsa_jwk(native, private=False),
        "private jwk": _rsa_jwk(native, private=True),
        "jwk text": json.dumps(_rsa_jwk(native, private=False)),
    }


@pytest.mark.parametrize(
    "form",
    [
        "pkcs8 pem",
        "pkcs1 pem",
        "spki pem",
        "pkcs1 public pem",
        "public jwk",
        "private jwk",
        "jwk text",
    ],
)
@pytest.mark.parametrize("alg", [None, "RS256", "PS256"])
def test_rsa_1024_is_refused_in_every_form(
    form: str, alg: str | None, rsa_1024: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(WeakKey):
        load_key(_rsa_forms(rsa_1024)[form], alg=alg)


def test_rsa_1024_is_refused_in_a_jwks(rsa_1024: rsa.RSAPrivateKey) -> None:
    with pytest.raises(WeakKey):
        load_jwks({"keys": [_rsa_jwk(rsa_1024, private=False)]})


def test_rsa_2047_is_refused_just_below_the_limit() -> None:
    native = rsa.generate_private_key(public_exponent=65537, key_size=2047)  # noqa: S505 - the weak key under test
    for form in ("spki pem", "public jwk"):
        with pytest.raises(WeakKey):
            load_key(_rsa_forms(native)[form])


@pytest.mark.parametrize(("alg", "octets"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_secret_must_be_as_long_as_the_hash(alg: str, octets: int) -> None:
    for secret in (b"s" * (octets - 1), b"", b"short"):
        with pytest.raises(WeakKey):
            load_key(secret, alg=alg)
        with pytest.raises(WeakKey):
            load_key({"kty": "oct", "k": b64url(secret)}, alg=alg)
        with pytest.raises(WeakKey):
            load_key({"kty": "oct", "k": b64url(secret), "alg": alg})
    assert load_key(b"s" * octets, alg=alg).alg == alg
    assert load_key({"kty": "oct", "k": b64url(b"s" * octets), "alg": alg}).alg == alg


def test_a_256_bit_secret_is_too_short_for_hs384_and_hs512() -> None:
    secret = {"kty": "oct", "k": b64url(b"s" * 32)}
    assert load_key(secret).alg == "HS256"
    for alg in ("HS384", "HS512"):
        with pytest.raises(WeakKey):
            load_key(secret, alg=alg)


def test_a_raw_secret_needs_an_hmac_alg() -> None:
    with pytest.raises(InvalidKey, match="neither PEM nor JWK"):
        load_key(b"s" * 64)


# --- JWKS hygiene -------------------------------------------------------------------------------


def test_jwks_with_duplicate_kid_is_refused(key_of_alg: KeyOfAlg) -> None:
    first, second = key_of_alg("ES256").to_jwk(), key_of_alg("EdDSA").to_jwk()
    first["kid"] = second["kid"] = "same"
    with pytest.raises(DuplicateKeyId):
        load_jwks({"keys": [first, second]})


def test_jwks_with_the_same_key_twice_is_refused(key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    del jwk["kid"]
    with pytest.raises(DuplicateKeyId):
        load_jwks({"keys": [jwk, dict(jwk)]})


@pytest.mark.parametrize("member", sorted(PRIVATE_MEMBERS))
@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_public_set_with_any_private_member_is_refused(
    member: str, alg: str, key_of_alg: KeyOfAlg
) -> None:
    jwk = key_of_alg(alg).to_jwk()
    jwk[member] = b64url(b"private material")
    with pytest.raises(PrivateKeyInPublicSet):
        load_jwks({"keys": [jwk]})


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_public_set_with_a_whole_private_key_is_refused(alg: str, key_of_alg: KeyOfAlg) -> None:
    with pytest.raises(PrivateKeyInPublicSet):
        load_jwks({"keys": [key_of_alg(alg).to_jwk(private=True)]})


@pytest.mark.parametrize(
    "usage",
    [
        {"use": "enc"},
        {"use": "other"},
        {"key_ops": ["encrypt", "decrypt"]},
        {"key_ops": ["wrapKey"]},
        {"key_ops": []},
    ],
)
def test_key_whose_usage_forbids_signatures_is_refused(
    usage: dict[str, Any], key_of_alg: KeyOfAlg
) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    del jwk["use"]
    jwk.update(usage)
    with pytest.raises(KeyUsageForbidden):
        load_jwks({"keys": [jwk]})
    with pytest.raises(KeyUsageForbidden):
        load_key(jwk)


@pytest.mark.parametrize(
    "usage", [{"use": "sig"}, {"key_ops": ["verify"]}, {"key_ops": ["sign", "verify"]}, {}]
)
def test_key_usage_that_allows_signatures_is_accepted(
    usage: dict[str, Any], key_of_alg: KeyOfAlg
) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    del jwk["use"]
    jwk.update(usage)
    assert load_jwks({"keys": [jwk]})[0].kid == key_of_alg("ES256").kid


def test_key_ops_must_be_a_list_of_strings(key_of_alg: KeyOfAlg) -> None:
    jwk = key_of_alg("ES256").to_jwk()
    for ops in ("verify", [1], {"verify": True}):
        jwk["key_ops"] = ops
        with pytest.raises(InvalidKey):
            load_key(jwk)


# --- garbage never escapes as anything but InvalidKey -------------------------------------------

GARBAGE_KEYS: list[Any] = [
    None,
    123,
    3.5,
    ["a"],
    object(),
    "",
    b"",
    "garbage",
    b"\xff\xfe\x00",
    "\ud800",
    "{",
    "{}",
    "[]",
    '"string"',
    '{"kty":"oct","k":NaN}',
    '{"keys":[]}',
    '{"a":' + "[" * 100_000,
    "{" * 100_000,
    {},
    {"kty": 5},
    {"kty": "RSA"},
    {"kty": "RSA", "n": 5, "e": "AQAB"},
    {"kty": "EC", "crv": "P-256"},
    {"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"},
    {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
    {"kty": "EC", "crv": 5, "x": "AA", "y": "AA"},
    {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
    {"kty": "OKP", "crv": "X25519", "x": b64url(b"x" * 32)},
    {"kty": "OKP", "crv": "Ed448", "x": "AAAA"},
    {"kty": "oct"},
    {"kty": "oct", "k": 123},
    {"kty": "oct", "k": "!!!"},
    {"kty": "oct", "k": b64url(b"s" * 32), "alg": 5},
    {"kty": "oct", "k": b64url(b"s" * 32), "alg": "none"},
    {"kty": "oct", "k": b64url(b"s" * 32), "kid": 5},
    {"kty": "unknown"},
    "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    b"-----BEGIN",
]


@pytest.mark.parametrize("data", GARBAGE_KEYS, ids=lambda d: repr(d)[:40])
@pytest.mark.parametrize("alg", [None, "HS256", "ES256"])
def test_garbage_key_data_is_invalid_key(data: Any, alg: str | None) -> None:
    if alg == "HS256" and isinstance(data, str) and not data.lstrip().startswith(("{", "-")):
        data = data.encode("utf-8", "surrogatepass")[:4]  # too short a secret, still garbage
    with pytest.raises(InvalidKey):
        load_key(data, alg=alg)


def test_a_number_is_not_a_secret() -> None:
    # bytes(40) would be 40 zero bytes: a "valid" 320-bit secret nobody meant.
    with pytest.raises(InvalidKey, match="not int"):
        load_key(40, alg="HS256")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        5,
        None,
        "x",
        b"\xff",
        "[]",
        "{}",
        '{"keys":' + "[" * 100_000,
        {"keys": "x"},
        {"keys": [5]},
        {"keys": [{"kty": "oct"}]},
        {"keys": [{"kty": "EC", "crv": "P-256"}]},
        {"nokeys": []},
    ],
    ids=lambda d: repr(d)[:40],
)
def test_garbage_jwks_is_invalid_key(data: Any) -> None:
    with pytest.raises(InvalidKey):
        load_jwks(data)


@pytest.mark.parametrize("data", GARBAGE_KEYS, ids=lambda d: repr(d)[:40])
def test_garbage_is_always_a_passport_error(data: Any) -> None:
    # The error that escapes is ours, carrying a code and a message without key material.
    with pytest.raises(PassportError) as excinfo:
        load_key(data)
    assert excinfo.value.status == 500
    assert excinfo.value.code in {"invalid_key", "weak_key"}


# --- export: never private material -------------------------------------------------------------


def _private_values(key: Key) -> list[str]:
    jwk = key.to_jwk(private=True)
    return [jwk[m] for m in PRIVATE_MEMBERS & jwk.keys()]


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_to_jwk_public_has_exactly_the_public_members(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    for source in (key, key.public()):
        jwk = source.to_jwk()
        assert set(jwk) == PUBLIC_JWK_MEMBERS[key.key_type]
        assert not PRIVATE_MEMBERS & set(jwk)
        assert (jwk["kid"], jwk["alg"], jwk["use"]) == (key.kid, alg, "sig")
        text = json.dumps(jwk)
        assert _private_values(key)
        assert not any(value in text for value in _private_values(key))


@pytest.mark.parametrize("alg", HMAC_ALGS)
def test_symmetric_keys_have_no_public_form(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    with pytest.raises(InvalidKey):
        key.to_jwk()
    with pytest.raises(InvalidKey):
        key.to_jwk(private=False)
    with pytest.raises(InvalidKey):
        key.public()
    with pytest.raises(InvalidKey):
        key.to_pem()


def test_public_jwks_of_every_key_type_holds_no_private_material(key_of_alg: KeyOfAlg) -> None:
    keys = [key_of_alg(alg) for alg in ALL_ALGS]
    jwks = public_jwks(keys)
    text = json.dumps(jwks)
    # Symmetric keys are left out entirely: an HMAC secret has no public half.
    assert [entry["kid"] for entry in jwks["keys"]] == [key_of_alg(a).kid for a in ASYMMETRIC_ALGS]
    assert all(entry["kty"] != "oct" for entry in jwks["keys"])
    for entry in jwks["keys"]:
        assert not PRIVATE_MEMBERS & set(entry)
    for key in keys:
        assert not any(value in text for value in _private_values(key))
    # And the set is publishable: it loads back as a public set.
    assert [k.kid for k in load_jwks(text)] == [key_of_alg(a).kid for a in ASYMMETRIC_ALGS]


def test_public_jwks_of_only_symmetric_keys_is_empty(key_of_alg: KeyOfAlg) -> None:
    assert public_jwks([key_of_alg(alg) for alg in HMAC_ALGS]) == {"keys": []}


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_repr_never_shows_key_material(alg: str, key_of_alg: KeyOfAlg) -> None:
    key = key_of_alg(alg)
    assert repr(key) == f"Key(kid={key.kid!r}, alg={alg!r})"
    assert not any(value in repr(key) for value in _private_values(key))


def test_public_keys_cannot_sign_nor_export_private_pem(key_of_alg: KeyOfAlg) -> None:
    public = key_of_alg("EdDSA").public()
    assert public.public() is public
    with pytest.raises(InvalidKey):
        public.sign(b"m")
    with pytest.raises(InvalidKey):
        public.to_pem(private=True)


@pytest.mark.parametrize("public", ["another-key", "not-32-bytes"])
def test_a_private_okp_jwk_whose_x_is_not_its_public_key_is_refused(public: str) -> None:
    # EC and RSA private keys are checked against their public members by cryptography;
    # joserfc takes an OKP key's 'x' as given. A ring or key file whose 'x' does not belong
    # to 'd' signed passports that no verifier of the published key accepts (or made
    # public_jwks() raise ValueError).
    jwk = generate_key("EdDSA", kid="edge").to_jwk(private=True)
    other = generate_key("EdDSA").to_jwk()["x"]
    jwk["x"] = other if public == "another-key" else "AAAA"
    with pytest.raises(InvalidKey):
        load_key(jwk)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_a_private_key_with_key_ops_sign_signs_and_its_published_half_verifies(alg: str) -> None:
    """RFC 7517 §4.3: key_ops ["sign"] on a private key; what it publishes must still verify."""
    jwk = {**generate_key(alg, kid="k").to_jwk(private=True), "key_ops": ["sign"]}
    private = load_key(jwk)
    published = private.to_jwk()
    public = load_key(published)

    signature = private.sign(b"input")

    assert "key_ops" not in published
    assert public.verify(b"input", signature)
    assert load_key({**published, "key_ops": ["verify"]}).verify(b"input", signature)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES384", "ES512", "RS256", "PS512", "HS384"])
def test_warm_up_runs_the_check_on_a_signature_of_the_right_size(alg: str) -> None:
    key = generate_key(alg, bits=4096) if alg.startswith(("RS", "PS")) else generate_key(alg)
    size = signature_size(alg, key.jwk.public_key)

    assert len(key.sign(b"input")) == size
    key.warm_up()  # a failing check of the right size: never raises
    assert not key.verify(b"warm-up", b"\x01" * size)
