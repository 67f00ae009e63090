"""Project Wycheproof vectors (tests/vectors/wycheproof) against our signature layer.

Wycheproof tokens carry no passport claims (their payload is e.g. ``foo``), so
they are checked one layer below ``Verifier.verify``: the key is imported with
``load_key``, the compact form is parsed with our strict ``b64url_decode`` /
``json_loads_object``, the header must name the key's own algorithm and kid
and no embedded key, and ``Key.verify`` checks the signature over
``header.payload``: the same steps, in the same order, as the verifier.

The primitive files (Ed25519, ECDSA P-256 P1363, RSA PKCS#1 v1.5 and PSS, all
2048-bit) test ``Key.verify`` directly. See ``wycheproof/json_web_crypto.md``
and ``tests/vectors/README.md`` for the format and the known data quirks, each of
which is handled below by name, with the condition that makes it a quirk
asserted, so that a corrected vector file shows up as a failing test.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from passport_core import (
    AlgorithmNotAllowed,
    BadSignature,
    ForbiddenHeader,
    InvalidKey,
    Key,
    KeyUsageForbidden,
    MalformedToken,
    PassportError,
    UnknownKey,
    load_key,
)
from passport_core.keys.primitives import ed25519_verifier
from passport_core.token.encoding import b64url_decode, json_loads_object
from tests.conftest import VECTORS

#: in the repository (tests/vectors/README.md): a missing file is an error, never a skip
WYCHEPROOF = VECTORS / "wycheproof"


@functools.cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WYCHEPROOF / name).read_text(encoding="utf-8"))
    return data


def _id(test: Mapping[str, Any]) -> str:
    comment = re.sub(r"[^A-Za-z0-9]+", "-", str(test.get("comment", ""))).strip("-")
    return f"tc{test['tcId']}-{comment}"[:60] if comment else f"tc{test['tcId']}"


def _params(name: str) -> Iterator[Any]:
    """One pytest param per test: (group index, test dict)."""
    data = _load(name)
    for index, group in enumerate(data["testGroups"]):
        for test in group["tests"]:
            yield pytest.param(index, test, id=_id(test))


@functools.cache
def _group(name: str, index: int) -> dict[str, Any]:
    group: dict[str, Any] = _load(name)["testGroups"][index]
    return group


# --- json_web_signature_test.json ----------------------------------------------------------------

JWS_FILE = "json_web_signature_test.json"
_FORBIDDEN = ("jwk", "jku", "x5u", "x5c")


def check_compact_jws(jws: str, key: Key) -> None:
    """Our verification short of the claims; returns if accepted, else raises PassportError."""
    segments = jws.split(".")
    if len(segments) != 3:
        raise MalformedToken(f"{len(segments)} segments")
    header_b64, payload_b64, signature_b64 = segments
    header = json_loads_object(b64url_decode(header_b64, "header"), "header")
    if header.get("alg") != key.alg:
        raise AlgorithmNotAllowed
    if any(name in header for name in _FORBIDDEN):
        raise ForbiddenHeader
    if header.get("kid") != key.kid:
        raise UnknownKey
    b64url_decode(payload_b64, "payload")  # strict, though the payload need not be JSON here
    signature = b64url_decode(signature_b64, "signature")
    if not key.verify(f"{header_b64}.{payload_b64}".encode("ascii"), signature):
        raise BadSignature


def jws_key(group: Mapping[str, Any]) -> dict[str, Any]:
    """The verification JWK of a group: the public key, or the secret for HMAC groups."""
    jwk: dict[str, Any] = group.get("public") or group["private"]
    return jwk


def jws_header(jws: str) -> dict[str, Any]:
    return json_loads_object(b64url_decode(jws.split(".", maxsplit=1)[0]))


def _valid_jws_of(tc_id: int) -> str:
    data = _load(JWS_FILE)
    (jws,) = [t["jws"] for g in data["testGroups"] for t in g["tests"] if t["tcId"] == tc_id]
    assert isinstance(jws, str)
    return jws


#: The data quirks named in vectors/README.md, by tcId. Each is checked for the condition that
#: makes it a quirk before our own expectation is asserted.
QUIRKS = {
    # RFC 7520 keys declare one algorithm, the token uses another (PS256 key, PS384 token).
    # The vector says valid; RFC 8725 §3.1 says the key decides: we refuse.
    346: "alg-differs-from-key",
    350: "alg-differs-from-key",
    # The key declares "ES521", which is no JOSE algorithm (ES512 is meant): we refuse the key.
    347: "key-alg-es521",
    351: "key-alg-es521",
    # Marked invalid ("invalidBase64Padding"), yet byte-identical to the valid tcId 357: the
    # padding the vector was meant to carry is missing from the file. We accept what is there.
    367: "identical-to-357",
    370: "identical-to-357",
    # Marked valid though a '?' sits inside a segment: lenient decoders skip it, ours does not.
    372: "question-mark",
    373: "question-mark",
}


@pytest.mark.parametrize(("group_index", "test"), list(_params(JWS_FILE)))
def test_json_web_signature(group_index: int, test: dict[str, Any]) -> None:
    group = _group(JWS_FILE, group_index)
    jws: str = test["jws"]
    quirk = QUIRKS.get(test["tcId"])

    if "JsonSerialization" in test["flags"]:
        # JWS JSON serialization is not a passport: only the compact form is parsed, so the
        # vector (invalid for exactly this reason) must fail as malformed, not verify.
        assert test["result"] == "invalid"
        assert jws.lstrip().startswith("{")
        with pytest.raises(MalformedToken):
            check_compact_jws(jws, load_key(jws_key(group)))
        return

    if quirk == "key-alg-es521":
        jwk = jws_key(group)
        assert jwk["alg"] == "ES521"
        assert test["result"] == "valid"
        with pytest.raises(InvalidKey):
            load_key(jwk)
        # Bound to the algorithm that was meant, the same key does verify the token.
        fixed = load_key({k: v for k, v in jwk.items() if k != "alg"}, alg="ES512")
        check_compact_jws(jws, fixed)
        return

    try:
        key = load_key(jws_key(group))
    except KeyUsageForbidden:
        # Keys for encryption ("use": "enc", "key_ops": ["encrypt"]) are refused when loaded,
        # so no token can ever be checked against them: the rejection the vector asks for.
        assert test["result"] == "invalid"
        return

    if quirk == "alg-differs-from-key":
        assert test["result"] == "valid"
        assert jws_header(jws)["alg"] != key.alg
        with pytest.raises(AlgorithmNotAllowed):
            check_compact_jws(jws, key)
        # The signature itself is sound under the token's algorithm.
        token_alg = jws_header(jws)["alg"]
        bare = {k: v for k, v in jws_key(group).items() if k != "alg"}
        check_compact_jws(jws, load_key(bare, alg=token_alg))
        return

    if quirk == "identical-to-357":
        assert test["result"] == "invalid"
        assert jws == _valid_jws_of(357)
        check_compact_jws(jws, key)
        return

    if quirk == "question-mark":
        assert test["result"] == "valid"
        assert "?" in jws
        with pytest.raises(MalformedToken):
            check_compact_jws(jws, key)
        return

    assert quirk is None
    if test["result"] == "valid":
        check_compact_jws(jws, key)
    else:
        assert test["result"] == "invalid"
        with pytest.raises(PassportError) as info:
            check_compact_jws(jws, key)
        assert info.value.status == 401


def test_every_quirk_is_still_in_the_file() -> None:
    data = _load(JWS_FILE)
    ids = {test["tcId"] for group in data["testGroups"] for test in group["tests"]}

    assert set(QUIRKS) <= ids


# --- primitive signature files -------------------------------------------------------------------

PRIMITIVE_FILES = {
    "ed25519_test.json": "EdDSA",
    "ecdsa_secp256r1_sha256_p1363_test.json": "ES256",
    "rsa_signature_2048_sha256_test.json": "RS256",
    "rsa_pss_2048_sha256_mgf1_32_test.json": "PS256",
}


@functools.cache
def primitive_key(name: str, index: int) -> Key:
    """The group's public key, from its JWK when the file has one, else from its PEM."""
    group = _group(name, index)
    alg = PRIMITIVE_FILES[name]
    jwk = group.get("publicKeyJwk") or group.get("keyJwk")
    if jwk is not None:
        # Wycheproof JWKs carry kid "none" and (RSA) their own alg: bind ours explicitly.
        return load_key({k: v for k, v in jwk.items() if k != "alg"}, alg=alg)
    return load_key(group["publicKeyPem"], alg=alg)


def _primitive_params() -> Iterator[Any]:
    for name in PRIMITIVE_FILES:
        for param in _params(name):
            group_index, test = param.values
            stem = Path(name).stem.removesuffix("_test")
            yield pytest.param(name, group_index, test, id=f"{stem}-{param.id}", marks=param.marks)


@pytest.mark.parametrize(("name", "group_index", "test"), list(_primitive_params()))
def test_primitive_signature(name: str, group_index: int, test: dict[str, Any]) -> None:
    key = primitive_key(name, group_index)
    assert key.alg == PRIMITIVE_FILES[name]
    assert not key.is_private

    accepted = key.verify(bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))

    assert isinstance(accepted, bool)
    if test["result"] == "valid":
        assert accepted
    elif test["result"] == "invalid":
        assert not accepted
    else:
        # "acceptable": a legacy encoding (e.g. PKCS#1 without the NULL parameter) that
        # verifiers may take or refuse; either is fine, raising is not.
        assert test["result"] == "acceptable"


def _ed25519_params() -> Iterator[Any]:
    for param in _params("ed25519_test.json"):
        for backend in ("libsodium", "openssl"):
            yield pytest.param(*param.values, backend, id=f"{backend}-{param.id}")


@pytest.mark.parametrize(("group_index", "test", "backend"), list(_ed25519_params()))
def test_both_ed25519_backends_agree_with_the_vectors(
    group_index: int, test: dict[str, Any], backend: str
) -> None:
    """libsodium (the [fast] extra) and OpenSSL (the fallback) each pass every vector."""
    public = primitive_key("ed25519_test.json", group_index).jwk.get_op_key("verify")
    verify = ed25519_verifier(public, libsodium=backend == "libsodium")

    accepted = verify(bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))

    assert accepted is (test["result"] == "valid")


@pytest.mark.parametrize("name", list(PRIMITIVE_FILES))
def test_pem_and_jwk_imports_agree(name: str) -> None:
    data = _load(name)
    alg = PRIMITIVE_FILES[name]
    checked = 0
    for group in data["testGroups"]:
        jwk = group.get("publicKeyJwk") or group.get("keyJwk")
        if jwk is None:
            continue
        from_jwk = load_key({k: v for k, v in jwk.items() if k not in ("alg", "kid")}, alg=alg)
        from_pem = load_key(group["publicKeyPem"], alg=alg)
        assert from_pem.to_jwk() == from_jwk.to_jwk()
        assert from_pem.kid == from_jwk.kid  # the RFC 7638 thumbprint of the same key
        checked += 1

    assert checked > 0
