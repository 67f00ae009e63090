"""The JOSE compact form: strict base64url and JSON, splitting a token, fingerprints."""

from __future__ import annotations

from passport_core.token.compact import CompactToken, split_compact
from passport_core.token.encoding import b64url_decode, b64url_encode, json_dumps, json_loads_object
from passport_core.token.fingerprint import fingerprint
from passport_core.token.values import is_number, is_numeric_date, is_string_list

__all__ = [
    "CompactToken",
    "b64url_decode",
    "b64url_encode",
    "fingerprint",
    "is_number",
    "is_numeric_date",
    "is_string_list",
    "json_dumps",
    "json_loads_object",
    "split_compact",
]
