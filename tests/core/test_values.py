"""What counts as a list of strings: one definition for the verifier, the minter and the edge."""

from __future__ import annotations

from typing import Any

import pytest

from passport_core.token.frozen import FrozenList
from passport_core.token.values import is_string_list


class Name(str):
    """A ``str`` subclass: still a string."""


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([], id="empty"),
        pytest.param(["admin", "staff"], id="strings"),
        pytest.param(["", "x"], id="empty-string-item"),  # emptiness is each caller's rule
        pytest.param(FrozenList(["admin"]), id="frozen-claims"),
        pytest.param([Name("admin")], id="str-subclass"),
    ],
)
def test_accepts_lists_of_strings(value: Any) -> None:
    assert is_string_list(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(("admin",), id="tuple"),
        pytest.param({"admin"}, id="set"),
        pytest.param("admin", id="bare-string"),
        pytest.param({"admin": True}, id="object"),
        pytest.param(None, id="null"),
        pytest.param(["admin", 1], id="number-item"),
        pytest.param(["admin", None], id="null-item"),
        pytest.param([["admin"]], id="nested-list"),
        pytest.param([b"admin"], id="bytes-item"),
    ],
)
def test_refuses_anything_else(value: Any) -> None:
    assert not is_string_list(value)
