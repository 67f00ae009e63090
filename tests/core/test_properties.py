"""Property tests: whatever arrives, verify() returns a Passport or raises a PassportError.

Random text and bytes, mutations of a valid token (characters flipped, cut,
inserted, segments swapped) and re-encoded JSON with random changes, both
unsigned and re-signed with the real key so the mutation reaches the claim
checks. Any other exception (OverflowError, RecursionError, KeyError, a
joserfc or binascii error...) is a bug.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport_core import Key, Passport, PassportError, Verifier
from passport_core.token.encoding import b64url_encode
from tests.core.conftest import forge_token, good_claims, good_header

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
B64URL = string.ascii_letters + string.digits + "-_"
#: base64url, the separator and characters that strict decoders must refuse
TOKEN_ALPHABET = B64URL + ".=+/ \t\n%\x00\u00e9\u200b"
CLAIM_NAMES = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "roles", "permissions",
               "tenant", "profile_data", "act"]  # fmt: skip
HEADER_NAMES = ["alg", "typ", "kid", "crit", "b64", "jwk", "jku", "x5u", "x5c", "cty"]

#: values that break naive parsers or type checks
TRICKY = st.sampled_from(
    [
        None, True, False, 0, -1, 1.5, 10**30, -(10**30), 2**63, 1e308, -1e308, 5e-324,
        float("nan"), float("inf"), float("-inf"), "", " ", "\x00", "\ud800", "\U0001f600",
        "none", "EdDSA", "passport+jwt", "orders", "https://edge.test", [], {}, [None], {"": ""},
    ]
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | TRICKY,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def outcome(verifier: Verifier, token: Any) -> Passport | PassportError:
    """The verifier's answer; anything but a Passport or a PassportError propagates."""
    try:
        return verifier.verify(token)
    except PassportError as exc:
        error = exc
    assert error.status == 401
    return error


def dumps(value: Any) -> bytes:
    # json.dumps writes NaN/Infinity and lone surrogates as escapes: exactly what a hostile
    # encoder would send.
    return json.dumps(value).encode()


def good_token(key: Key, **claims: Any) -> str:
    return forge_token(good_header(key), good_claims(**claims), key)


# --- random input --------------------------------------------------------------------------------


@SETTINGS
@given(token=st.text(max_size=300))
def test_random_text(session_verifier: Verifier, token: str) -> None:
    assert isinstance(outcome(session_verifier, token), PassportError)


@SETTINGS
@given(token=st.binary(max_size=300))
def test_random_bytes(session_verifier: Verifier, token: bytes) -> None:
    assert isinstance(outcome(session_verifier, token), PassportError)


@SETTINGS
@given(token=st.text(alphabet=TOKEN_ALPHABET, max_size=400))
def test_random_token_shaped_text(session_verifier: Verifier, token: str) -> None:
    assert isinstance(outcome(session_verifier, token), PassportError)


@SETTINGS
@given(
    segments=st.lists(
        st.binary(max_size=120).map(b64url_encode) | st.text(alphabet=B64URL, max_size=80),
        min_size=1,
        max_size=5,
    )
)
def test_random_base64url_segments(session_verifier: Verifier, segments: list[str]) -> None:
    assert isinstance(outcome(session_verifier, ".".join(segments)), PassportError)


@SETTINGS
@given(header=JSON_VALUES, payload=JSON_VALUES)
def test_random_json_segments(session_verifier: Verifier, header: Any, payload: Any) -> None:
    token = forge_token(dumps(header), dumps(payload), signature=b"\x00" * 64)

    assert isinstance(outcome(session_verifier, token), PassportError)


# --- mutations of a valid token ------------------------------------------------------------------


def test_unmutated_token_verifies(session_verifier: Verifier, ed_key: Key) -> None:
    assert isinstance(outcome(session_verifier, good_token(ed_key)), Passport)


@SETTINGS
@given(data=st.data())
def test_character_mutations(session_verifier: Verifier, ed_key: Key, data: st.DataObject) -> None:
    token = good_token(ed_key)
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        where = data.draw(st.integers(0, max(len(chars) - 1, 0)), label="where")
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]), label="action")
        char = data.draw(st.sampled_from(TOKEN_ALPHABET), label="char")
        if action == "flip" and chars:
            chars[where] = char
        elif action == "delete" and chars:
            del chars[where]
        else:
            chars.insert(where, char)
    mutated = "".join(chars)

    result = outcome(session_verifier, mutated)

    # A flip can only survive if it changed nothing (same character drawn).
    assert isinstance(result, PassportError) or mutated == token


@SETTINGS
@given(cut=st.integers(0, 400), keep_head=st.booleans())
def test_truncations(session_verifier: Verifier, ed_key: Key, cut: int, keep_head: bool) -> None:
    token = good_token(ed_key)
    cut = cut % len(token)
    mutated = token[:cut] if keep_head else token[cut + 1 :]

    assert isinstance(outcome(session_verifier, mutated), PassportError)


@SETTINGS
@given(
    order=st.lists(st.integers(0, 5), max_size=6),
    other_sub=st.text(min_size=1, max_size=10),
)
def test_segment_shuffles(
    session_verifier: Verifier, ed_key: Key, order: list[int], other_sub: str
) -> None:
    mine = good_token(ed_key).split(".")
    theirs = good_token(ed_key, sub=other_sub).split(".")
    # Segments of two real tokens (same header), in any order and number.
    pool = mine + theirs
    mutated = ".".join(pool[index] for index in order)

    result = outcome(session_verifier, mutated)

    assert isinstance(result, PassportError) or mutated in (".".join(mine), ".".join(theirs))


# --- re-encoded JSON with random changes ---------------------------------------------------------


def _changed(base: dict[str, Any], names: list[str], data: st.DataObject) -> dict[str, Any]:
    changed = dict(base)
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        name = data.draw(st.sampled_from(names) | st.text(max_size=6), label="name")
        if data.draw(st.booleans(), label="delete") and name in changed:
            del changed[name]
        else:
            changed[name] = data.draw(JSON_VALUES, label="value")
    return changed


@SETTINGS
@given(data=st.data(), resign=st.booleans())
def test_changed_claims(
    session_verifier: Verifier, ed_key: Key, data: st.DataObject, resign: bool
) -> None:
    claims = _changed(good_claims(), CLAIM_NAMES, data)
    # Re-signed, the change reaches the claim checks: it may verify when it is harmless.
    key = ed_key if resign else None
    signature = None if resign else good_token(ed_key).rsplit(".", 1)[1]
    token = forge_token(good_header(ed_key), dumps(claims), key, signature)

    result = outcome(session_verifier, token)

    if isinstance(result, Passport):
        # The old signature only fits if the random changes happened to change nothing.
        assert resign or claims == good_claims()
        assert dict(result.claims) == json.loads(dumps(claims))


@SETTINGS
@given(data=st.data(), resign=st.booleans())
def test_changed_header(
    session_verifier: Verifier, ed_key: Key, data: st.DataObject, resign: bool
) -> None:
    header = _changed(good_header(ed_key), HEADER_NAMES, data)
    key = ed_key if resign else None
    signature = None if resign else good_token(ed_key).rsplit(".", 1)[1]
    token = forge_token(dumps(header), good_claims(), key, signature)

    result = outcome(session_verifier, token)

    if isinstance(result, Passport):
        # Only harmless changes survive: the parameters that decide trust are the trusted ones.
        assert resign or header == good_header(ed_key)
        assert header["alg"] == "EdDSA"
        assert header["kid"] == ed_key.kid
        assert header["typ"].lower() in {"passport+jwt", "application/passport+jwt"}
        assert header.get("b64", True) is True
        assert not {"crit", "jwk", "jku", "x5u", "x5c"} & header.keys()


NUMBERS = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.floats(min_value=-1e12, max_value=1e13)
    | st.booleans()
    | TRICKY
)


@SETTINGS
@given(times=st.dictionaries(st.sampled_from(["exp", "nbf", "iat"]), NUMBERS, min_size=1))
def test_any_numeric_dates(session_verifier: Verifier, ed_key: Key, times: dict[str, Any]) -> None:
    # Signed, so every value reaches the time checks and Passport's datetime conversion.
    token = forge_token(good_header(ed_key), dumps(good_claims(**times)), ed_key)

    result = outcome(session_verifier, token)

    if isinstance(result, Passport):
        assert result.expires_at.timestamp() == pytest.approx(good_claims(**times)["exp"])


@SETTINGS
@given(
    text=st.text(alphabet=st.sampled_from('{}[]":,0123456789.eE+-tfnrua\\ '), max_size=120),
    resign=st.booleans(),
)
def test_json_shaped_garbage_in_a_signed_payload(
    session_verifier: Verifier, ed_key: Key, text: str, resign: bool
) -> None:
    token = forge_token(good_header(ed_key), text.encode(), ed_key if resign else None)

    assert isinstance(outcome(session_verifier, token), PassportError)
