"""Hostile tokens, built by hand: the JWT attack literature against Verifier.verify.

RFC 8725 (JWT BCP), jwt_tool's attack list and the CVEs named below. Each case
asserts the exact error class, its code and a 401 (``assert_rejected``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from passport_core import (
    AlgorithmNotAllowed,
    AuthenticationError,
    BadSignature,
    ConfigurationError,
    EncryptedPassport,
    ForbiddenHeader,
    InvalidIssuer,
    InvalidType,
    Key,
    MalformedToken,
    MissingToken,
    TokenTooLarge,
    UnknownKey,
    UnsupportedCritical,
    Verifier,
    generate_key,
)
from passport_core.token.encoding import MAX_JSON_DEPTH, b64url_decode, b64url_encode
from tests.core.conftest import (
    AUDIENCE,
    ISSUER,
    NOW,
    KeyOfAlg,
    assert_rejected,
    forge_token,
    good_claims,
    good_header,
    verifier_for,
)

T = int(NOW)
#: P-256 group order n
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def claims_json(**overrides: Any) -> str:
    return json.dumps(good_claims(**overrides))


def header_json(key: Key, **overrides: Any) -> str:
    return json.dumps(good_header(key, **overrides))


def signed(key: Key, header: dict[str, Any] | bytes | str, payload: dict[str, Any] | bytes) -> str:
    return forge_token(header, payload, key)


# --- missing, wrong type, oversize ---------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", b""], ids=["none", "empty-str", "empty-bytes"])
def test_missing_token(token: Any, verifier: Verifier) -> None:
    assert_rejected(verifier, token, MissingToken)


@pytest.mark.parametrize(
    "token",
    [123, 1.5, ["a.b.c"], {"token": "a.b.c"}, bytearray(b"a.b.c"), memoryview(b"a.b.c")],
    ids=["int", "float", "list", "dict", "bytearray", "memoryview"],
)
def test_token_that_is_not_text_is_malformed(token: Any, verifier: Verifier) -> None:
    assert_rejected(verifier, token, MalformedToken)


def test_oversized_token_is_refused_before_parsing(verifier: Verifier) -> None:
    # Junk, not a JWS: the size cap answers first, so nothing was parsed.
    assert_rejected(verifier, "x" * 8193, TokenTooLarge)
    assert_rejected(verifier, b"x" * 8193, TokenTooLarge)
    assert_rejected(verifier, "a." * 5_000_000, TokenTooLarge)
    # At the cap the same junk is parsed, and found malformed.
    assert_rejected(verifier, "x" * 8192, MalformedToken)


def test_size_cap_is_configurable_and_exact(ed_key: Key) -> None:
    padding = "p" * 600
    token = signed(ed_key, good_header(ed_key), good_claims(profile_data={"pad": padding}))

    assert verifier_for(ed_key, max_token_bytes=len(token)).verify(token)
    assert_rejected(verifier_for(ed_key, max_token_bytes=len(token) - 1), token, TokenTooLarge)


def test_default_cap_admits_a_large_legitimate_passport(ed_key: Key, verifier: Verifier) -> None:
    token = signed(ed_key, good_header(ed_key), good_claims(profile_data={"pad": "p" * 5000}))

    assert 7000 < len(token) <= 8192
    assert verifier.verify(token).profile["pad"] == "p" * 5000


# --- compact form: segments and base64url --------------------------------------------------------


def test_a_jwe_shaped_token_is_refused_as_encrypted_without_decryption_keys(
    ed_key: Key, verifier: Verifier
) -> None:
    h, p, s = signed(ed_key, good_header(ed_key), good_claims()).split(".")
    with pytest.raises(EncryptedPassport) as caught:
        verifier.verify(f"{h}.{p}.{p}.{p}.{s}")
    assert caught.value.code == "encrypted_passport"
    assert caught.value.status == 401


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param("{h}", id="1-segment"),
        pytest.param("{h}.{p}", id="2-segments-signature-stripped"),
        pytest.param("{h}.{p}.{s}.", id="4-segments-trailing-dot"),
        pytest.param("{h}.{p}.{s}.{s}", id="4-segments"),
        pytest.param("{h}..{p}.{s}", id="4-segments-empty-middle"),
        pytest.param(".{h}.{p}.{s}", id="leading-dot"),
        pytest.param("..", id="only-dots"),
        pytest.param(".", id="one-dot"),
        pytest.param("{h}.{p}.{s}\n", id="trailing-newline"),
        pytest.param(" {h}.{p}.{s}", id="leading-space"),
        pytest.param("Bearer {h}.{p}.{s}", id="bearer-prefix"),
        pytest.param("{h}.{p}.{s}=", id="padded-signature"),
        pytest.param("{h}=.{p}.{s}", id="padded-header"),
        pytest.param("{h}.{p}==.{s}", id="padded-payload"),
        pytest.param("{h}.{p}.{s}\x00", id="nul-byte"),
        pytest.param("{h}.{p} .{s}", id="space-in-payload"),
        pytest.param("{h}.{p}.\t{s}", id="tab-in-signature"),
        pytest.param("{h}.{p}.{s_std}", id="standard-base64-alphabet"),
        pytest.param("{h}.{p}.{s}AAA", id="signature-length-1-mod-4"),
        pytest.param("{h}.{p}%2E.{s}", id="percent-encoded"),
        pytest.param("{h}.{p}.{s}\u200b", id="zero-width-space"),
        pytest.param("{h}.{p}.{s}\uff21", id="fullwidth-letter"),
        pytest.param("{h}.{p}.{s}\ud800", id="lone-surrogate-char"),
    ],
)
def test_malformed_compact_forms(shape: str, ed_key: Key, verifier: Verifier) -> None:
    h, p, s = signed(ed_key, good_header(ed_key), good_claims()).split(".")
    # An Ed25519 signature is 64 bytes: pick one that uses '-' or '_' so that the standard
    # alphabet ('+', '/') really differs from base64url.
    sig = b"\xfb\xff" * 32
    s_std = b64url_encode(sig).replace("-", "+").replace("_", "/")
    assert s_std != b64url_encode(sig)
    token = shape.format(h=h, p=p, s=s, k="", s_std=s_std)

    assert_rejected(verifier, token, MalformedToken)


@pytest.mark.parametrize(
    ("segment", "spare"),
    [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1)],
    ids=["header-4-bits", "header-2-bits", "payload-4-bits", "payload-2-bits", "signature"],
)
def test_non_canonical_base64url_trailing_bits_are_refused(
    segment: int, spare: int, ed_key: Key, verifier: Verifier
) -> None:
    # A byte count of 3k+1 leaves 4 unused bits in the last character, 3k+2 leaves 2 (an
    # Ed25519 signature is 64 = 3*21+1 bytes). Setting an unused bit spells the same bytes a
    # second way, which RFC 7515 §2 / RFC 8725 §3.9 do not allow.
    pad = next(n for n in range(3) if len(json.dumps(good_header(ed_key, x="x" * n))) % 3 == spare)
    filler = next(n for n in range(3) if len(claims_json(jti="j" * n)) % 3 == spare)
    header = good_header(ed_key, x="x" * pad)
    parts = signed(ed_key, header, good_claims(jti="j" * filler)).split(".")
    text = parts[segment]
    assert len(text) % 4 == spare + 1
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert alphabet.index(text[-1]) % 2 == 0  # canonical: the unused low bit is zero
    parts[segment] = text[:-1] + alphabet[alphabet.index(text[-1]) + 1]
    assert b64url_decode_lenient(parts[segment]) == b64url_decode_lenient(text)

    assert_rejected(verifier, ".".join(parts), MalformedToken)


def b64url_decode_lenient(text: str) -> bytes:
    """What a lenient decoder (Python's own) makes of ``text``: the same bytes either way."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        pytest.param(b"", None, id="empty-header"),
        pytest.param(None, b"", id="empty-payload"),
        pytest.param(b"not json", None, id="header-not-json"),
        pytest.param(None, b"not json", id="payload-not-json"),
        pytest.param(b"[]", None, id="header-array"),
        pytest.param(None, b'["sub"]', id="payload-array"),
        pytest.param(b'"EdDSA"', None, id="header-string"),
        pytest.param(None, b"null", id="payload-null"),
        pytest.param(None, b"42", id="payload-number"),
        pytest.param(None, b"true", id="payload-bool"),
        pytest.param(b"{", None, id="header-truncated"),
        pytest.param(None, b"{}}", id="payload-trailing-brace"),
        pytest.param(None, b"{}{}", id="payload-two-objects"),
        pytest.param(None, b"{'sub': 'x'}", id="payload-single-quotes"),
        pytest.param(None, b'{"sub":"x",}', id="payload-trailing-comma"),
        pytest.param(None, b'{"sub":"x" /* c */}', id="payload-comment"),
    ],
)
def test_segments_that_are_not_a_json_object(
    header: bytes | None, payload: bytes | None, ed_key: Key, verifier: Verifier
) -> None:
    token = signed(
        ed_key,
        header if header is not None else good_header(ed_key),
        payload if payload is not None else good_claims(),
    )

    assert_rejected(verifier, token, MalformedToken)


# --- JSON: duplicates, numbers, unicode, nesting -------------------------------------------------


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        # Other parsers keep the last value: {"alg":"EdDSA","alg":"none"} would read as "none".
        pytest.param('{{"alg":"EdDSA","typ":"passport+jwt","kid":"ed-1","alg":"none"}}', None,
                     id="header-alg-twice"),
        pytest.param('{{"alg":"EdDSA","typ":"passport+jwt","kid":"ed-1","kid":"other"}}', None,
                     id="header-kid-twice"),
        pytest.param(None, '{{"iss":"{iss}","sub":"user-1","sub":"admin","aud":"{aud}",'
                     '"iat":{t},"exp":{e}}}', id="claim-sub-twice"),
        pytest.param(None, '{{"iss":"{iss}","sub":"user-1","aud":"{aud}","aud":"billing",'
                     '"iat":{t},"exp":{e}}}', id="claim-aud-twice"),
        pytest.param(None, '{{"iss":"https://evil.test","iss":"{iss}","sub":"u","aud":"{aud}",'
                     '"iat":{t},"exp":{e}}}', id="claim-iss-twice"),
        pytest.param(None, '{{"iss":"{iss}","sub":"u","aud":"{aud}","iat":{t},"exp":{e},'
                     '"profile_data":{{"a":1,"a":2}}}}', id="nested-duplicate"),
        pytest.param(None, '{{"iss":"{iss}","sub":"u","aud":"{aud}","iat":{t},"exp":{e},'
                     '"s\\u0075b":"admin"}}', id="duplicate-through-escape"),
    ],
)  # fmt: skip
def test_duplicate_member_names_are_refused(
    header: str | None, payload: str | None, ed_key: Key, verifier: Verifier
) -> None:
    fields = {"iss": ISSUER, "aud": AUDIENCE, "t": T, "e": T + 60}
    token = signed(
        ed_key,
        header.format(**fields).encode() if header else good_header(ed_key),
        payload.format(**fields).encode() if payload else good_claims(),
    )

    assert_rejected(verifier, token, MalformedToken)


@pytest.mark.parametrize(
    "number",
    ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E999", "9" * 400 + ".0", "4" * 4400],
    ids=["nan", "inf", "-inf", "1e400", "-1e400", "1E999", "long-float", "int-over-digit-limit"],
)
@pytest.mark.parametrize("where", ["exp", "profile"])
def test_non_finite_and_overflowing_numbers_are_malformed(
    number: str, where: str, ed_key: Key, verifier: Verifier
) -> None:
    # json.loads accepts NaN/Infinity and turns 1e400 into inf by default: I-JSON does not.
    payload = claims_json(exp="X") if where == "exp" else claims_json(profile_data={"n": "X"})
    token = signed(ed_key, good_header(ed_key), payload.replace('"X"', number).encode())

    assert_rejected(verifier, token, MalformedToken)


def test_non_finite_number_in_header_is_malformed(ed_key: Key, verifier: Verifier) -> None:
    header = header_json(ed_key, x="X").replace('"X"', "NaN").encode()

    assert_rejected(verifier, signed(ed_key, header, good_claims()), MalformedToken)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'"sub":"\xc0\xaf"', id="overlong-slash"),
        pytest.param(b'"sub":"\xe0\x80\xaf"', id="overlong-3-byte"),
        pytest.param(b'"sub":"\xed\xa0\x80"', id="utf8-encoded-surrogate"),
        pytest.param(b'"sub":"\xff"', id="invalid-byte"),
        pytest.param(b'"sub":"caf\xe9"', id="latin-1"),
        pytest.param(b'"sub":"\xf4\x90\x80\x80"', id="beyond-u10ffff"),
        pytest.param(b'"sub":"\xe2\x82"', id="truncated-sequence"),
        pytest.param(b'"sub":"\\ud800"', id="escaped-lone-high-surrogate"),
        pytest.param(b'"sub":"\\udc00x"', id="escaped-lone-low-surrogate"),
        pytest.param(b'"sub":"\\ude00\\ud83d"', id="escaped-surrogates-reversed"),
        pytest.param(b'"\\ud800":"x","sub":"u"', id="lone-surrogate-in-name"),
        pytest.param(b'"sub":"u","profile_data":{"k":["\\udbff"]}', id="lone-surrogate-nested"),
    ],
)
def test_json_that_is_not_strict_utf8_is_malformed(
    raw: bytes, ed_key: Key, verifier: Verifier
) -> None:
    rest = f',"iss":"{ISSUER}","aud":"{AUDIENCE}","iat":{T},"exp":{T + 60}'.encode()
    payload = b"{" + raw + rest + b"}"

    assert_rejected(verifier, signed(ed_key, good_header(ed_key), payload), MalformedToken)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="utf8-bom"),
        pytest.param(lambda text: text.encode("utf-16"), id="utf-16"),
        pytest.param(lambda text: text.encode("utf-32-le"), id="utf-32"),
    ],
)
def test_json_in_another_encoding_is_malformed(
    encode: Any, ed_key: Key, verifier: Verifier
) -> None:
    token = signed(ed_key, encode(header_json(ed_key)), good_claims())

    assert_rejected(verifier, token, MalformedToken)


@pytest.mark.parametrize(
    "nested",
    [
        pytest.param("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), id="just-over-cap"),
        pytest.param("[" * 5000, id="unclosed-5000"),
        pytest.param('{"a":' * 800 + "1" + "}" * 800, id="objects-800"),
        pytest.param("[" * 2000 + "]" * 2000, id="arrays-2000"),
    ],
)
def test_deep_nesting_is_a_clean_rejection(nested: str, ed_key: Key, verifier: Verifier) -> None:
    # Deep enough to exhaust a recursive parser: a MalformedToken, never RecursionError.
    payload = claims_json(profile_data="X").replace('"X"', nested).encode()
    token = signed(ed_key, good_header(ed_key), payload)
    assert len(token) <= 8192

    assert_rejected(verifier, token, MalformedToken)


def test_deep_nesting_in_the_header_is_a_clean_rejection(ed_key: Key, verifier: Verifier) -> None:
    header = header_json(ed_key, x="X").replace('"X"', "[" * 2000 + "]" * 2000).encode()

    assert_rejected(verifier, signed(ed_key, header, good_claims()), MalformedToken)


def test_nesting_at_the_cap_is_accepted(ed_key: Key, verifier: Verifier) -> None:
    depth = MAX_JSON_DEPTH - 2  # the payload object and profile_data are two levels already
    nested = "[" * depth + "]" * depth
    payload = claims_json(profile_data="X").replace('"X"', '{"n":' + nested + "}").encode()

    assert verifier.verify(signed(ed_key, good_header(ed_key), payload))


# --- alg: none, confusion, binding (RFC 8725 §3.1, §2.1) -----------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "none ", " none", "none\x00"])
@pytest.mark.parametrize("signature", ["", "AA"], ids=["no-signature", "some-signature"])
def test_alg_none_in_any_spelling_is_refused(
    alg: str, signature: str, ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key, alg=alg), good_claims(), signature=signature)

    assert_rejected(verifier, token, AlgorithmNotAllowed)


@pytest.mark.parametrize(
    "alg",
    ["", "eddsa", "EDDSA", "EdDSA ", "HS1", "RS1", "ES256K", "Ed448", "dir", "RSA-OAEP", "A128GCM"],
)
def test_unknown_algorithms_are_refused(alg: str, ed_key: Key, verifier: Verifier) -> None:
    token = signed(ed_key, good_header(ed_key, alg=alg), good_claims())

    assert_rejected(verifier, token, AlgorithmNotAllowed)


@pytest.mark.parametrize(
    "alg",
    [None, 256, ["EdDSA"], {"name": "EdDSA"}, True, ...],
    ids=["null", "number", "list", "object", "bool", "missing"],
)
def test_alg_that_is_not_a_string_is_malformed(alg: Any, ed_key: Key, verifier: Verifier) -> None:
    token = signed(ed_key, good_header(ed_key, alg=alg), good_claims())

    assert_rejected(verifier, token, MalformedToken)


@pytest.mark.parametrize(
    ("key_alg", "token_alg"),
    [
        ("RS256", "PS256"),  # same RSA key, other padding
        ("PS256", "RS256"),
        ("RS256", "RS512"),  # same key, other hash
        ("ES256", "ES384"),
        ("EdDSA", "Ed25519"),  # two names of one primitive: the key's name decides
        ("HS256", "HS512"),
    ],
)
def test_token_alg_other_than_the_keys_alg_is_refused(
    key_alg: str, token_alg: str, key_of_alg: KeyOfAlg
) -> None:
    key = key_of_alg(key_alg)
    # Signed with the very same key material under the token's algorithm: the signature is
    # valid for token_alg, yet the key is bound to key_alg (RFC 8725 §3.1).
    rebound = Key(key.kid, token_alg, key.jwk)
    token = forge_token(good_header(key, alg=token_alg), good_claims(), rebound)

    assert_rejected(verifier_for(key), token, AlgorithmNotAllowed)


@pytest.mark.parametrize(
    "secret_of",
    [
        pytest.param(lambda key: key.to_pem(), id="pem"),
        pytest.param(lambda key: key.to_pem().strip(), id="pem-stripped"),
        pytest.param(lambda key: json.dumps(key.to_jwk()).encode(), id="jwk-json"),
        pytest.param(lambda key: key.to_jwk()["n"].encode(), id="modulus-b64"),
    ],
)
def test_cve_2015_9235_hmac_with_the_rsa_public_key_is_refused(
    secret_of: Any, key_of_alg: KeyOfAlg
) -> None:
    # Algorithm confusion: HS256 keyed with bytes of the public key everybody can fetch.
    rsa_key = key_of_alg("RS256")
    public = rsa_key.public()
    header = good_header(rsa_key, alg="HS256")
    unsigned = forge_token(header, good_claims(roles=["admin"])).rsplit(".", 1)[0]
    mac = hmac.new(secret_of(public), unsigned.encode(), hashlib.sha256).digest()

    assert_rejected(verifier_for(rsa_key), f"{unsigned}.{b64url_encode(mac)}", AlgorithmNotAllowed)


def test_hmac_with_the_ec_public_key_is_refused(key_of_alg: KeyOfAlg) -> None:
    ec_key = key_of_alg("ES256")
    header = good_header(ec_key, alg="HS256")
    unsigned = forge_token(header, good_claims()).rsplit(".", 1)[0]
    mac = hmac.new(ec_key.public().to_pem(), unsigned.encode(), hashlib.sha256).digest()

    assert_rejected(verifier_for(ec_key), f"{unsigned}.{b64url_encode(mac)}", AlgorithmNotAllowed)


# --- signatures: stripping, psychic signatures, malleability -------------------------------------


@pytest.mark.parametrize(
    "alg", ["EdDSA", "ES256", "ES384", "ES512", "RS256", "PS256", "HS256", "HS512"]
)
@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00", id="one-zero-byte"),
        pytest.param(b"\x00" * 64, id="64-zero-bytes"),
        pytest.param(b"\x00" * 512, id="512-zero-bytes"),
        pytest.param(b"\xff" * 256, id="256-ff-bytes"),
    ],
)
def test_stripped_and_junk_signatures_are_refused(
    alg: str, signature: bytes, key_of_alg: KeyOfAlg
) -> None:
    key = key_of_alg(alg)
    token = forge_token(good_header(key), good_claims(), signature=signature)

    assert_rejected(verifier_for(key), token, BadSignature)


def _p1363(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(_p1363(0, 0), id="r0-s0-psychic"),  # CVE-2022-21449
        pytest.param(_p1363(0, 1), id="r0-s1"),
        pytest.param(_p1363(1, 0), id="r1-s0"),
        pytest.param(_p1363(P256_N, P256_N), id="r-n-s-n"),
        pytest.param(_p1363(P256_N - 1, P256_N - 1), id="r-n1-s-n1"),
        pytest.param(_p1363(1, 1), id="r1-s1"),
        pytest.param(b"\xff" * 64, id="r-s-max"),
    ],
)
def test_cve_2022_21449_psychic_ecdsa_signatures_are_refused(
    signature: bytes, key_of_alg: KeyOfAlg
) -> None:
    key = key_of_alg("ES256")
    token = forge_token(good_header(key), good_claims(roles=["admin"]), signature=signature)

    assert_rejected(verifier_for(key), token, BadSignature)


def test_ecdsa_signature_in_der_form_is_refused(key_of_alg: KeyOfAlg) -> None:
    # JWS carries ECDSA as r||s (RFC 7518 §3.4); a DER form must not be accepted as well.
    key = key_of_alg("ES256")
    good = forge_token(good_header(key), good_claims(), key)
    unsigned, sig = good.rsplit(".", 1)
    raw = b64url_decode(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))

    assert verifier_for(key).verify(good)
    assert_rejected(verifier_for(key), f"{unsigned}.{b64url_encode(der)}", BadSignature)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda sig: sig[:-1], id="truncated"),
        pytest.param(lambda sig: sig + b"\x00", id="zero-appended"),
        pytest.param(lambda sig: b"\x00" + sig, id="zero-prepended"),
        pytest.param(lambda sig: bytes([sig[0] ^ 1]) + sig[1:], id="first-bit-flipped"),
        pytest.param(lambda sig: sig[:-1] + bytes([sig[-1] ^ 0x80]), id="last-byte-flipped"),
        pytest.param(lambda sig: sig[32:] + sig[:32], id="halves-swapped"),
    ],
)
def test_modified_ed25519_signature_is_refused(
    mutate: Any, ed_key: Key, verifier: Verifier
) -> None:
    unsigned, sig = signed(ed_key, good_header(ed_key), good_claims()).rsplit(".", 1)
    token = f"{unsigned}.{b64url_encode(mutate(b64url_decode(sig)))}"

    assert_rejected(verifier, token, BadSignature)


def test_signature_moved_to_another_payload_is_refused(ed_key: Key, verifier: Verifier) -> None:
    h, _, s = signed(ed_key, good_header(ed_key), good_claims()).split(".")
    _, p, _ = signed(ed_key, good_header(ed_key), good_claims(sub="admin")).split(".")

    assert_rejected(verifier, f"{h}.{p}.{s}", BadSignature)


def test_header_and_payload_swapped_is_refused(ed_key: Key, verifier: Verifier) -> None:
    h, p, s = signed(ed_key, good_header(ed_key), good_claims()).split(".")

    assert_rejected(verifier, f"{p}.{h}.{s}", MalformedToken)  # the "header" has no alg


def test_attacker_signed_token_is_refused(ed_key: Key, verifier: Verifier) -> None:
    attacker = generate_key("EdDSA", kid=ed_key.kid)

    assert_rejected(verifier, signed(attacker, good_header(ed_key), good_claims()), BadSignature)


# --- keys named or carried by the token (RFC 8725 §3.10, CVE-2018-0114) --------------------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("jwk", id="embedded-jwk-cve-2018-0114"),
        pytest.param({"jku": "https://evil.test/jwks.json"}, id="jku"),
        pytest.param({"jku": "http://127.0.0.1/jwks.json"}, id="jku-loopback"),
        pytest.param({"x5u": "https://evil.test/cert.pem"}, id="x5u"),
        pytest.param({"x5c": ["MIIBszCCAVmgAwIBAgIU"]}, id="x5c"),
        pytest.param({"jku": None}, id="jku-null"),
        pytest.param({"x5c": []}, id="x5c-empty"),
    ],
)
@pytest.mark.parametrize("kid", ["victim", "attacker"])
def test_header_embedded_or_referenced_keys_are_never_trusted(
    extra: Any, kid: str, ed_key: Key, verifier: Verifier
) -> None:
    # The attacker signs with its own key and points at it; the kid is the victim's or its own.
    attacker_key = generate_key("EdDSA", kid="attacker")
    if extra == "jwk":
        extra = {"jwk": attacker_key.public().to_jwk()}
    header = good_header(ed_key, kid=ed_key.kid if kid == "victim" else "attacker", **extra)

    assert_rejected(verifier, signed(attacker_key, header, good_claims()), ForbiddenHeader)


def test_embedded_jwk_of_the_real_key_is_still_refused(ed_key: Key, verifier: Verifier) -> None:
    # Even a correctly signed token may not carry a key: the header parameter itself is refused.
    header = good_header(ed_key, jwk=ed_key.public().to_jwk())

    assert_rejected(verifier, signed(ed_key, header, good_claims()), ForbiddenHeader)


# --- JWE-only and nesting header parameters (RFC 7516 §4.1.2-4.1.3, RFC 7519 §5.2) -------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"zip": "DEF"}, id="zip-deflate"),
        pytest.param({"zip": None}, id="zip-null"),
        pytest.param({"enc": "A256GCM"}, id="enc"),
        pytest.param({"enc": ""}, id="enc-empty"),
        pytest.param({"cty": "JWT"}, id="cty-JWT"),
        pytest.param({"cty": "jwt"}, id="cty-jwt"),
        pytest.param({"cty": "application/JWT"}, id="cty-application-jwt"),
    ],
)
def test_jwe_only_and_nested_token_headers_are_refused(
    extra: dict[str, Any], ed_key: Key, verifier: Verifier
) -> None:
    # Correctly signed by the real key: the header parameter alone is the refusal.
    token = signed(ed_key, good_header(ed_key, **extra), good_claims())

    error = assert_rejected(verifier, token, ForbiddenHeader)
    assert ("JWE" in error.message) or ("nested" in error.message)


@pytest.mark.parametrize("cty", ["passport+json", "json", "JWTX"])
def test_other_content_types_are_not_nesting(cty: str, ed_key: Key, verifier: Verifier) -> None:
    assert verifier.verify(signed(ed_key, good_header(ed_key, cty=cty), good_claims()))


# --- kid -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../../../dev/null",
        "/dev/null",
        "..\\..\\windows\\win.ini",
        "' OR '1'='1",
        "x' UNION SELECT 'secret' --",
        "ed-1; rm -rf /",
        "$(id)",
        "ed-1\x00",
        "ED-1",
        " ed-1",
        "ed-1 ",
        "\u0435d-1",  # a Cyrillic look-alike of the first letter
        "k" * 1000,
        "*",
        "%s%s%n",
        "__proto__",
        "https://evil.test/key",
    ],
)
def test_hostile_kid_values_are_unknown_keys(kid: str, ed_key: Key, verifier: Verifier) -> None:
    # Path traversal, SQL and command injection in kid: it is only ever a dict key here.
    # Signed with the real key, so nothing but the kid lookup can refuse it.
    assert_rejected(
        verifier, signed(ed_key, good_header(ed_key, kid=kid), good_claims()), UnknownKey
    )


@pytest.mark.parametrize(
    "kid",
    [..., "", None, 1, ["ed-1"], {"kid": "ed-1"}, True],
    ids=["missing", "empty", "null", "number", "list", "object", "bool"],
)
def test_kid_that_is_not_a_non_empty_string_is_an_unknown_key(
    kid: Any, ed_key: Key, verifier: Verifier
) -> None:
    assert_rejected(
        verifier, signed(ed_key, good_header(ed_key, kid=kid), good_claims()), UnknownKey
    )


# --- typ, crit, b64 (RFC 8725 §3.11, RFC 7515 §4.1.11, RFC 7797) ---------------------------------


@pytest.mark.parametrize(
    "typ",
    [
        pytest.param("passport+jwt", id="exact"),
        pytest.param("PASSPORT+JWT", id="upper-case"),  # media types compare case-insensitively
        pytest.param("application/passport+jwt", id="full-media-type"),
        pytest.param("Application/Passport+JWT", id="full-media-type-mixed-case"),
    ],
)
def test_accepted_typ_spellings(typ: str, ed_key: Key, verifier: Verifier) -> None:
    assert verifier.verify(signed(ed_key, good_header(ed_key, typ=typ), good_claims()))


@pytest.mark.parametrize(
    "typ",
    [
        ...,
        "JWT",
        "jwt",
        "at+jwt",
        "application/jwt",
        "passport",
        "passport+jwt ",
        "passport+jwt; charset=utf-8",
        "application/passport+jwt+x",
        "",
        None,
        1,
        ["passport+jwt"],
    ],
    ids=[
        "missing", "JWT", "jwt", "at+jwt", "application-jwt", "passport", "trailing-space",
        "parameters", "suffix", "empty", "null", "number", "list",
    ],
)  # fmt: skip
def test_wrong_typ_is_refused(typ: Any, ed_key: Key, verifier: Verifier) -> None:
    # Explicit typing stops a token minted for another purpose being replayed as a passport.
    assert_rejected(
        verifier, signed(ed_key, good_header(ed_key, typ=typ), good_claims()), InvalidType
    )


def test_typ_none_verifier_accepts_any_typ(ed_key: Key) -> None:
    lenient = verifier_for(ed_key, typ=None)

    assert lenient.verify(signed(ed_key, good_header(ed_key, typ=...), good_claims()))
    assert lenient.verify(signed(ed_key, good_header(ed_key, typ="JWT"), good_claims()))


@pytest.mark.parametrize(
    ("typ", "accepted"),
    [
        pytest.param("at+jwt", True, id="bare"),
        pytest.param("application/at+jwt", True, id="full-media-type"),
        pytest.param("AT+JWT", True, id="upper-case"),
        pytest.param(..., False, id="missing"),
        pytest.param("passport+jwt", False, id="passport"),
        pytest.param("JWT", False, id="plain-jwt"),
        pytest.param("application/application/at+jwt", False, id="doubled-prefix"),
    ],
)
def test_a_verifier_of_access_tokens_accepts_only_at_jwt(
    typ: Any, accepted: bool, ed_key: Key
) -> None:
    # RFC 9068 §2.1 / §4: "at+jwt" or "application/at+jwt", and nothing else.
    for configured in ("application/at+jwt", ("at+jwt",)):
        strict = verifier_for(ed_key, typ=configured)
        token = signed(ed_key, good_header(ed_key, typ=typ), good_claims())
        if accepted:
            assert strict.verify(token)
        else:
            assert_rejected(strict, token, InvalidType)


@pytest.mark.parametrize(
    ("typ", "accepted"),
    [
        pytest.param(..., True, id="missing"),
        pytest.param("JWT", True, id="JWT"),
        pytest.param("application/jwt", True, id="application-jwt"),
        pytest.param("passport+jwt", False, id="passport"),
        pytest.param("at+jwt", False, id="access-token"),
        pytest.param(None, False, id="null"),
    ],
)
def test_a_verifier_may_accept_a_missing_typ(typ: Any, accepted: bool, ed_key: Key) -> None:
    # OpenID Connect ID tokens and gateway assertions carry typ "JWT" or none at all.
    lenient = verifier_for(ed_key, typ=("JWT", None))
    token = signed(ed_key, good_header(ed_key, typ=typ), good_claims())
    if accepted:
        assert lenient.verify(token)
    else:
        error = assert_rejected(lenient, token, InvalidType)
        assert "'JWT' or absent" in error.message


@pytest.mark.parametrize("typ", [(), ("",), (1,)], ids=["empty", "empty-string", "number"])
def test_typ_collections_are_checked_when_configured(typ: Any, ed_key: Key) -> None:
    with pytest.raises(ConfigurationError):
        verifier_for(ed_key, typ=typ)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param({"crit": ["exp"]}, id="crit-exp"),
        pytest.param({"crit": ["b64"], "b64": True}, id="crit-b64-true"),
        pytest.param({"crit": []}, id="crit-empty"),
        pytest.param({"crit": "x"}, id="crit-string"),
        pytest.param({"crit": None}, id="crit-null"),
        pytest.param({"crit": ["http://example.invalid/ext"], "http://example.invalid/ext": 1},
                     id="crit-extension"),
        pytest.param({"b64": False}, id="b64-false"),
        pytest.param({"b64": False, "crit": ["b64"]}, id="b64-false-crit"),
        pytest.param({"b64": "false"}, id="b64-string"),
        pytest.param({"b64": 0}, id="b64-zero"),
        pytest.param({"b64": None}, id="b64-null"),
    ],
)  # fmt: skip
def test_critical_and_unencoded_payload_headers_are_refused(
    header: dict[str, Any], ed_key: Key, verifier: Verifier
) -> None:
    assert_rejected(
        verifier, signed(ed_key, good_header(ed_key, **header), good_claims()), UnsupportedCritical
    )


def test_b64_true_is_the_default_and_accepted(ed_key: Key, verifier: Verifier) -> None:
    assert verifier.verify(signed(ed_key, good_header(ed_key, b64=True), good_claims()))


def test_unknown_non_critical_header_parameters_are_ignored(
    ed_key: Key, verifier: Verifier
) -> None:
    # Names are case-sensitive: "JWK" and "ALG" are unknown parameters, not jwk and alg.
    header = good_header(ed_key, cty="x", JWK={"kty": "oct"}, ALG="none", ZIP="DEF")

    assert verifier.verify(signed(ed_key, header, good_claims())).kid == ed_key.kid


# --- the order of checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "claims", "error"),
    [
        # alg is judged before any key parameter, so 'none' never reaches a key lookup.
        pytest.param({"alg": "none", "jku": "https://evil.test"}, {}, AlgorithmNotAllowed,
                     id="alg-before-jku"),
        pytest.param({"jwk": {"kty": "oct"}, "typ": "JWT"}, {}, ForbiddenHeader,
                     id="jwk-before-typ"),
        pytest.param({"typ": "JWT"}, {"iss": "https://evil.test"}, InvalidType,
                     id="header-before-claims"),
        # The issuer chooses the key set, so it is judged before the kid is looked up.
        pytest.param({"kid": "nobody"}, {"iss": "https://evil.test"}, InvalidIssuer,
                     id="issuer-before-kid"),
        pytest.param({"kid": "nobody"}, {"exp": T - 9999}, UnknownKey,
                     id="kid-before-claims"),
    ],
)  # fmt: skip
def test_checks_run_in_a_fixed_order(
    header: dict[str, Any],
    claims: dict[str, Any],
    error: type[AuthenticationError],
    ed_key: Key,
    verifier: Verifier,
) -> None:
    token = signed(ed_key, good_header(ed_key, **header), good_claims(**claims))

    assert_rejected(verifier, token, error)


def test_untrusted_issuer_is_refused_before_the_signature_is_checked(
    ed_key: Key, verifier: Verifier
) -> None:
    token = forge_token(good_header(ed_key), good_claims(iss="https://evil.test"), signature="AA")

    assert_rejected(verifier, token, InvalidIssuer)


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_every_byte_outside_the_base64url_alphabet_is_refused_in_every_segment(
    segment: int, ed_key: Key, verifier: Verifier
) -> None:
    # Each segment's alphabet is checked by its own strict decode: a byte standard base64
    # accepts ('+', '/', '='), whitespace, or any other byte must fail there, in the middle
    # of the segment as at its end, and the header segment of a token seen before is no
    # exception (its remembered form is only reused for the very same bytes).
    parts = [
        part.encode("ascii")
        for part in signed(ed_key, good_header(ed_key), good_claims()).split(".")
    ]
    verifier.verify(b".".join(parts))  # the header segment is now remembered
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for byte in (bytes([b]) for b in range(256) if b not in alphabet and b != ord(".")):
        text = parts[segment]
        for changed in (text[:4] + byte + text[5:], text[:-1] + byte):
            token = b".".join([*parts[:segment], changed, *parts[segment + 1 :]])
            assert_rejected(verifier, token, MalformedToken)
