"""Strict base64url and I-JSON: every bad input is a MalformedToken, nothing else escapes."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport_core import MalformedToken
from passport_core.token.encoding import (
    MAX_JSON_DEPTH,
    b64url_decode,
    b64url_encode,
    json_dumps,
    json_loads_object,
)


@pytest.mark.parametrize(
    "data", [b"", b"a", b"ab", b"abc", b"\xfb\xff\xfe", bytes(range(256)), "päss 🛂".encode()]
)
def test_b64url_round_trip_is_unpadded_and_url_safe(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert "+" not in encoded
    assert "/" not in encoded
    assert encoded == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(encoded) == data


@pytest.mark.parametrize(
    ("segment", "why"),
    [
        ("YQ==", "padding"),
        ("YWI=", "padding"),
        ("-_+A", "'+' from the standard alphabet"),
        ("-_/A", "'/' from the standard alphabet"),
        (" YWJj", "leading space"),
        ("YWJj ", "trailing space"),
        ("YW Jj", "inner space"),
        ("YWJj\n", "trailing newline"),
        ("YW\tJj", "tab"),
        ("YWJjZ", "length % 4 == 1"),
        ("Y", "length % 4 == 1"),
        ("YR", "non-zero trailing bits: a second spelling of 'a'"),
        ("YWK", "non-zero trailing bits: a second spelling of 'ab'"),
        ("YWJ.", "a dot"),
        ("YWJä", "non-ASCII letter"),
        ("\uff39\uff37\uff2a\uff4a", "full-width letters"),
    ],
)
def test_b64url_decode_rejects_every_non_canonical_spelling(segment: str, why: str) -> None:
    with pytest.raises(MalformedToken):
        b64url_decode(segment)


def test_b64url_decode_names_the_segment_in_the_message() -> None:
    with pytest.raises(MalformedToken, match="header"):
        b64url_decode("YQ==", "header")


def test_b64url_canonical_spellings_decode() -> None:
    # The canonical spellings next to the rejected "YR" and "YWK" above.
    assert b64url_decode("YQ") == b"a"
    assert b64url_decode("YWI") == b"ab"
    assert b64url_decode("") == b""


def _nested(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def test_json_loads_object_parses_a_plain_object() -> None:
    text = '{"sub":"ü","n":1,"f":1.5,"l":[true,false,null],"o":{"x":"\\ud83d\\ude00"}}'
    assert json_loads_object(text.encode()) == {
        "sub": "ü",
        "n": 1,
        "f": 1.5,
        "l": [True, False, None],
        "o": {"x": "😀"},
    }


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'{"a":1,"a":2}', "duplicate member"),
        (b'{"a":{"b":1,"b":1}}', "nested duplicate member"),
        (b'{"a":NaN}', "NaN"),
        (b'{"a":Infinity}', "Infinity"),
        (b'{"a":-Infinity}', "-Infinity"),
        (b'{"a":1e400}', "a float that overflows to infinity"),
        (b'{"a":-1e400}', "a float that overflows to -infinity"),
        (b"[]", "an array"),
        (b'"text"', "a string"),
        (b"1", "a number"),
        (b"null", "null"),
        (b"true", "a boolean"),
        (b"", "nothing"),
        (b"{", "truncated"),
        (b'{"a":1} x', "trailing data"),
        (b"{'a':1}", "single quotes"),
        (b'{"a":1,}', "trailing comma"),
        (b'{"a":"\xff"}', "invalid UTF-8"),
        (b'{"a":"\xc0\xaf"}', "overlong UTF-8 for '/'"),
        (b'{"a":"\xe0\x80\xaf"}', "three-byte overlong UTF-8"),
        (b'{"a":"\xed\xa0\x80"}', "a UTF-8 encoded surrogate"),
        (b'\xef\xbb\xbf{"a":1}', "a byte order mark"),
        (b'{"a":"\\ud800"}', "a lone high surrogate escape"),
        (b'{"a":"\\udc00"}', "a lone low surrogate escape"),
        (b'{"a":"x\\ude00\\ud83d"}', "surrogates in the wrong order"),
        (b'{"\\ud800":1}', "a lone surrogate in a member name"),
        (b'{"a":["\\udfff"]}', "a lone surrogate inside an array"),
        (b'{"a":"\x01"}', "a raw control character"),
        (b'{"a":1' + b"0" * 100_000 + b"}", "an integer with 100000 digits"),
    ],
)
def test_json_loads_object_rejects(data: bytes, why: str) -> None:
    with pytest.raises(MalformedToken):
        json_loads_object(data)


def test_json_loads_object_accepts_large_but_sane_integers() -> None:
    assert json_loads_object(b'{"a":18446744073709551616}') == {"a": 2**64}


def test_json_depth_limit_is_exact() -> None:
    assert json_loads_object(_nested(MAX_JSON_DEPTH))["a"] is not None
    with pytest.raises(MalformedToken, match="deeply"):
        json_loads_object(_nested(MAX_JSON_DEPTH + 1))


def test_json_depth_counts_arrays_too() -> None:
    data = b'{"a":' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"
    with pytest.raises(MalformedToken, match="deeply"):
        json_loads_object(data)


@pytest.mark.parametrize("opener", ["[", "{", '{"a":'])
def test_json_nesting_100000_levels_is_malformed_not_recursion_error(opener: str) -> None:
    # An unclosed tower of brackets must be a clean rejection, never a RecursionError.
    data = ("{" + '"a":' + opener * 100_000).encode()
    with pytest.raises(MalformedToken):
        json_loads_object(data)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    value = "[{" * 1000 + '\\"' + "}]" * 1000
    data = ('{"a":"' + value + '"}').encode()
    assert json_loads_object(data) == {"a": value.replace('\\"', '"')}


def test_json_loads_object_names_the_segment_in_the_message() -> None:
    with pytest.raises(MalformedToken, match="payload"):
        json_loads_object(b"[]", "payload")


def test_json_dumps_is_compact_utf8_and_finite_only() -> None:
    assert json_dumps({"a": [1, "ü"]}) == '{"a":[1,"ü"]}'.encode()
    assert json.loads(json_dumps({"x": 1.5})) == {"x": 1.5}
    with pytest.raises(ValueError, match="Out of range"):
        json_dumps({"a": float("nan")})


# --- the orjson fast path is exactly as strict as the stdlib path ------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=6), _json_values, max_size=6),
    style=st.sampled_from(["compact", "spaced", "ascii"]),
)
def test_fast_and_strict_json_parsing_agree(value: dict[str, object], style: str) -> None:
    if style == "compact":
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    elif style == "spaced":
        data = json.dumps(value).encode()
    else:
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()
    expected = json.loads(data)
    if sum(data.count(b) for b in (b"[", b"{")) > 32:
        return

    parsed = json_loads_object(data)

    assert parsed == expected
    assert json.dumps(parsed) == json.dumps(expected)  # ints stay ints, floats floats


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b'{"exp":123456789012345678901234567890}',
            123456789012345678901234567890,
            id="huge-int-exact",
        ),
        pytest.param(b'{"exp":-0}', 0, id="minus-zero-int"),
        pytest.param(b'{"exp":1e5}', 100000.0, id="exponent"),
        pytest.param(b'{"exp":18446744073709551616}', 18446744073709551616, id="above-u64"),
    ],
)
def test_numbers_orjson_would_round_take_the_exact_path(data: bytes, expected: object) -> None:
    value = json_loads_object(data)["exp"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "data",
    [
        b'{"sub":"a","sub":"b"}',
        b'{"p":{"x":1,"x":1}}',
        b'{"a":NaN}',
        b'{"a":"\\ud800"}',
        b'{"a":"\xff"}',
        b'\xef\xbb\xbf{"a":1}',
        b"[1]",
    ],
)
def test_what_the_strict_path_refuses_the_fast_path_never_accepts(data: bytes) -> None:
    with pytest.raises(MalformedToken):
        json_loads_object(data)
