"""Strict base64url and JSON for the JOSE compact form.

Everything here raises :class:`~passport_core.errors.MalformedToken` on bad
input, so no ``binascii``, ``json`` or ``UnicodeDecodeError`` ever escapes.
RFC 7515 §2 and RFC 8725 §3.9 ask for exactly one encoding of each value:
unpadded base64url without stray characters, and I-JSON (RFC 7493) objects
without duplicate names, lone surrogates or non-finite numbers.

Both run on every verify, so both have a fast path that is exactly as strict:
base64url is checked with ``bytes.translate`` (C, no regex, no ``str`` copy), and
JSON is parsed by orjson and accepted only when orjson's re-encoding of the
result is byte-for-byte the input. That proves the input had no duplicate
names (a dump never repeats one), no number orjson rounded, no escape or
whitespace it normalised: the stdlib's strict parse would give the same
value. Anything else takes the strict stdlib path, which names the problem.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import sys
from typing import Any

import orjson

from passport_core.errors import MalformedToken

__all__ = [
    "B64URL_ALPHABET",
    "b64url_decode",
    "b64url_decode_checked",
    "b64url_decode_segment",
    "b64url_encode",
    "json_dumps",
    "json_loads_object",
]

#: RFC 4648 §5, the only bytes a base64url segment may hold
B64URL_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: the 6-bit value of each alphabet byte, by byte value (0 elsewhere; checked first)
_SEXTET = bytes(B64URL_ALPHABET.find(bytes([b])) % 64 for b in range(256))
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: deeper JSON than this is refused before the parser can recurse on it
MAX_JSON_DEPTH = 32


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode()


def b64url_decode(segment: str | bytes, what: str = "segment") -> bytes:
    """Decode unpadded, canonical base64url; anything else is malformed."""
    if isinstance(segment, str):
        try:
            segment = segment.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedToken(f"the {what} is not valid base64url") from None
    if segment.translate(None, B64URL_ALPHABET):
        raise MalformedToken(f"the {what} is not valid base64url")
    return b64url_decode_checked(segment, what)


def b64url_decode_checked(segment: bytes, what: str = "segment") -> bytes:
    """:func:`b64url_decode` for bytes already known to be in the base64url alphabet."""
    remainder = len(segment) % 4
    if remainder == 1:
        raise MalformedToken(f"the {what} is not valid base64url")
    # Non-zero unused bits in the last character give a second spelling of the same bytes.
    if remainder and _SEXTET[segment[-1]] & (0x0F if remainder == 2 else 0x03):
        raise MalformedToken(f"the {what} is not canonical base64url")
    try:
        return binascii.a2b_base64(segment.translate(_TO_STANDARD) + _PADDING[remainder])
    except binascii.Error as exc:  # pragma: no cover - the alphabet is checked first
        raise MalformedToken(f"the {what} is not valid base64url") from exc


if sys.version_info >= (3, 11):
    #: base64url to the standard alphabet, and the standard alphabet's own "+", "/" and "="
    #: to a byte outside it: binascii's strict mode then refuses every byte base64url does not
    #: have, in the same pass that decodes (RFC 4648 §5; strict_mode is Python 3.11+)
    _STRICT_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")

    def b64url_decode_segment(segment: bytes, what: str = "segment") -> bytes:
        """:func:`b64url_decode` of bytes not checked yet: one ``translate``, one decode."""
        remainder = len(segment) % 4
        if remainder == 1:
            raise MalformedToken(f"the {what} is not valid base64url")
        # A byte outside the alphabet reads as 0 here and is refused by the decode below.
        if remainder and _SEXTET[segment[-1]] & (0x0F if remainder == 2 else 0x03):
            raise MalformedToken(f"the {what} is not canonical base64url")
        try:
            return binascii.a2b_base64(
                segment.translate(_STRICT_TO_STANDARD) + _PADDING[remainder], strict_mode=True
            )
        except binascii.Error:
            raise MalformedToken(f"the {what} is not valid base64url") from None

else:  # pragma: no cover - Python 3.10: the alphabet checked first, then the decode

    def b64url_decode_segment(segment: bytes, what: str = "segment") -> bytes:
        """:func:`b64url_decode` of bytes not checked yet."""
        if segment.translate(None, B64URL_ALPHABET):
            raise MalformedToken(f"the {what} is not valid base64url")
        return b64url_decode_checked(segment, what)


def _reject_constant(name: str) -> Any:
    raise MalformedToken(f"JSON number {name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedToken("JSON number out of range")
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise MalformedToken("JSON object has duplicate member names")
    return obj


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_object,
    parse_constant=_reject_constant,
    parse_float=_finite_float,
)


def _max_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def json_loads_object(data: bytes, what: str = "segment") -> dict[str, Any]:
    """Parse strict UTF-8 I-JSON that must be an object."""
    # The bracket count bounds the depth, so orjson never parses what the strict path refuses.
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        try:
            value = orjson.loads(data)
            if type(value) is dict and orjson.dumps(value) == data:
                return value
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass  # the strict parser below says what is wrong
    return _strict_loads_object(data, what)


def _strict_loads_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedToken(f"the {what} is not UTF-8") from exc
    # Counting brackets is cheap; the exact scan runs only when it could matter.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _max_depth(text) > MAX_JSON_DEPTH:
        raise MalformedToken(f"the {what} nests JSON too deeply")
    try:
        value = _DECODER.decode(text)
    except MalformedToken:
        raise
    except (ValueError, RecursionError) as exc:
        raise MalformedToken(f"the {what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise MalformedToken(f"the {what} is not a JSON object")
    if "\\u" in text and _has_lone_surrogate(value):
        raise MalformedToken(f"the {what} has a lone UTF-16 surrogate")
    return value


#: types orjson would serialise on its own where the stdlib refuses: hand them back (to no
#: ``default``, so they go to the stdlib, which refuses them). Subclasses of list, dict, str
#: and int (the frozen claims among them) are written as their base type, as the stdlib does.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def json_dumps(value: Any) -> bytes:
    """Compact, UTF-8, finite-only JSON."""
    try:
        data = orjson.dumps(value, option=_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError: a type only the stdlib takes, or refuses
        data = None
    # orjson writes NaN and Infinity as null; only the stdlib refuses them (RFC 8259 §6).
    if data is not None and b"null" not in data:
        return data
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )
