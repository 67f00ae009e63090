"""Splitting a JWS in compact serialization (RFC 7515 §7.1), once, for every caller.

The verifier and ``passport inspect`` both read tokens through
:func:`split_compact`, so a token the CLI shows is parsed exactly as strictly
as a token a service verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from passport_core.errors import MalformedToken
from passport_core.token.encoding import (
    B64URL_ALPHABET,
    b64url_decode_checked,
    json_loads_object,
)

__all__ = ["MAX_TOKEN_BYTES", "CompactToken", "split_compact", "split_segments"]

_COMPACT_ALPHABET = B64URL_ALPHABET + b"."

#: the longest passport a verifier accepts and a minter makes by default: it fits one
#: header line of nginx (8 KiB buffers) and gunicorn (8190 bytes) with a short name
MAX_TOKEN_BYTES = 8192


@dataclass(frozen=True, slots=True)
class CompactToken:
    """The three decoded parts of a compact JWS; nothing here is verified."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes
    #: ``BASE64URL(header) '.' BASE64URL(payload)``, the bytes the signature covers
    signing_input: bytes


def split_segments(token: str | bytes) -> tuple[bytes, bytes, bytes]:
    """The three base64url segments of a compact JWS, each checked against the alphabet.

    One ``bytes.translate`` checks every character of the token at once, so the
    segments need no further alphabet check (use ``b64url_decode_checked``).
    """
    if isinstance(token, str):
        try:
            data = token.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedToken("the passport is not ASCII") from None
    else:
        data = token
    segments = data.split(b".")
    if len(segments) == 5:
        raise MalformedToken("this is an encrypted JWE (5 segments); passports are signed JWS")
    if len(segments) != 3:
        raise MalformedToken(f"a passport has 3 dot-separated segments, this has {len(segments)}")
    if data.translate(None, _COMPACT_ALPHABET):
        for what, segment in zip(("header", "payload", "signature"), segments, strict=True):
            if segment.translate(None, B64URL_ALPHABET):
                raise MalformedToken(f"the {what} is not valid base64url")
    header_b64, payload_b64, signature_b64 = segments
    return header_b64, payload_b64, signature_b64


def split_compact(
    token: str | bytes, *, check_header: Callable[[dict[str, Any]], object] | None = None
) -> CompactToken:
    """Decode header, payload and signature with strict base64url and I-JSON.

    ``check_header`` runs on the header before the payload is decoded, so a
    token refused for its header costs no payload parsing. Raises
    :class:`~passport_core.MalformedToken` for anything but three canonical
    segments; a five-segment JWE is named as such.
    """
    header_b64, payload_b64, signature_b64 = split_segments(token)
    header = json_loads_object(b64url_decode_checked(header_b64, "header"), "header")
    if check_header is not None:
        check_header(header)
    payload = json_loads_object(b64url_decode_checked(payload_b64, "payload"), "payload")
    signature = b64url_decode_checked(signature_b64, "signature")
    return CompactToken(header, payload, signature, header_b64 + b"." + payload_b64)
