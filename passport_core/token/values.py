"""What counts as a number, a date and a list of strings in a token or a setting.

One definition for the verifier, the CLI and the configuration: JSON has no
booleans among its numbers (Python's ``bool`` is an ``int``), no ``NaN`` and
no infinities (RFC 8259 §6).
"""

from __future__ import annotations

import math
from itertools import repeat
from typing import Any, TypeGuard

from passport_core.errors import ConfigurationError

__all__ = ["MAX_NUMERIC_DATE", "is_number", "is_numeric_date", "is_string_list", "seconds"]

#: 9999-12-31T23:59:59Z, the last second a ``datetime`` can hold
MAX_NUMERIC_DATE = 253_402_300_799
#: endless: ``map(isinstance, items, _STRINGS)`` pairs each item, however many, with ``str``
_STRINGS = repeat(str)


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
    """A JSON array of strings: a ``list`` (a read-only ``FrozenList`` too) of ``str``.

    Tuples, sets and other iterables are not JSON arrays and are refused.
    """
    # map() with C callables: no Python frame per item, on every verify and mint
    return isinstance(value, list) and all(map(isinstance, value, _STRINGS))


def seconds(
    name: str,
    value: Any,
    *,
    zero: bool = False,
    most: float = MAX_NUMERIC_DATE,
    error: type[ConfigurationError] = ConfigurationError,
) -> float:
    """A setting in seconds, checked once for every option that takes one.

    Positive (or ``zero`` or more), finite, at most ``most`` (by default the last
    NumericDate, so sums of times and waits stay finite); anything else raises
    ``error`` naming the setting.
    """
    if not is_number(value) or not (value >= 0 if zero else value > 0) or value > most:
        low = "zero or more" if zero else "more than 0"
        high = f" and at most {most:g}" if most < MAX_NUMERIC_DATE else ""
        raise error(f"{name} must be a number of seconds, {low}{high}")
    return float(value)
