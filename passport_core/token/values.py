"""What counts as a number, a date and a list of strings in a token or a setting.

One definition for the verifier, the CLI and the configuration: JSON has no
booleans among its numbers (Python's ``bool`` is an ``int``), no ``NaN`` and
no infinities (RFC 8259 §6).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

__all__ = ["MAX_NUMERIC_DATE", "is_number", "is_numeric_date", "is_string_list"]

#: 9999-12-31T23:59:59Z, the last second a ``datetime`` can hold
MAX_NUMERIC_DATE = 253_402_300_799


def is_number(value: Any) -> TypeGuard[float]:
    """A finite JSON number: ``int`` or ``float``, never ``bool``, ``NaN`` or infinite."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def is_numeric_date(value: Any) -> TypeGuard[float]:
    """An RFC 7519 §2 NumericDate between 1970 and 9999.

    The range keeps every time claim inside what arithmetic with a float clock
    and ``datetime.fromtimestamp`` can handle: ``1e400`` written out as an
    integer would otherwise raise ``OverflowError`` instead of a ``PassportError``.
    """
    return is_number(value) and 0 <= value <= MAX_NUMERIC_DATE


def is_string_list(value: Any) -> TypeGuard[list[str]]:
    """A JSON array of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
