"""Verified claims are read-only all the way down: a cached passport is shared by requests."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import Minter, Verifier
from passport_core.token.encoding import json_dumps
from passport_core.token.frozen import FrozenDict, FrozenList
from tests.core.conftest import AUDIENCE


@pytest.fixture
def claims(minter: Minter, verifier: Verifier) -> Any:
    token = minter.mint(
        "alice",
        audience=[AUDIENCE, "billing"],
        roles=["admin"],
        profile={"name": "Alice", "teams": ["a", {"id": 7, "tags": ["x"]}]},
        claims={"matrix": [[1, 2], [3]]},
    )
    return verifier.verify(token).claims


EDITS: list[Callable[[Any], object]] = [
    lambda cl: cl["roles"].append("root"),
    lambda cl: cl["roles"].extend(["root"]),
    lambda cl: cl["roles"].insert(0, "root"),
    lambda cl: cl["roles"].__setitem__(0, "root"),
    lambda cl: cl["roles"].__delitem__(0),
    lambda cl: cl["roles"].pop(),
    lambda cl: cl["roles"].clear(),
    lambda cl: cl["roles"].remove("admin"),
    lambda cl: cl["roles"].sort(),
    lambda cl: cl["roles"].reverse(),
    lambda cl: cl["roles"].__iadd__(["root"]),
    lambda cl: cl["aud"].append("evil"),
    lambda cl: cl["profile_data"].__setitem__("name", "Mallory"),
    lambda cl: cl["profile_data"].update(name="Mallory"),
    lambda cl: cl["profile_data"].pop("name"),
    lambda cl: cl["profile_data"].popitem(),
    lambda cl: cl["profile_data"].setdefault("admin", True),
    lambda cl: cl["profile_data"].clear(),
    lambda cl: cl["profile_data"].__delitem__("name"),
    lambda cl: cl["profile_data"].__ior__({"admin": True}),
    lambda cl: cl["profile_data"]["teams"].append("b"),
    lambda cl: cl["profile_data"]["teams"][1].__setitem__("id", 8),
    lambda cl: cl["profile_data"]["teams"][1]["tags"].append("y"),
    lambda cl: cl["matrix"][0].append(9),
]


@pytest.mark.parametrize("edit", EDITS)
def test_no_nested_claim_can_be_changed(claims: Any, edit: Callable[[Any], object]) -> None:
    before = json.dumps(dict(claims), sort_keys=True)
    with pytest.raises(TypeError, match="read-only"):
        edit(claims)
    assert json.dumps(dict(claims), sort_keys=True) == before


def test_frozen_claims_still_behave_as_json(claims: Any) -> None:
    assert claims["roles"] == ["admin"]
    assert isinstance(claims["roles"], list)
    assert isinstance(claims["profile_data"], dict)
    assert claims["profile_data"] == {"name": "Alice", "teams": ["a", {"id": 7, "tags": ["x"]}]}
    assert json.loads(json.dumps(dict(claims))) == json.loads(json_dumps(dict(claims)))
    for clone in (copy.copy(claims["roles"]), copy.deepcopy(claims["profile_data"])):
        assert clone == (claims["roles"] if isinstance(clone, list) else claims["profile_data"])
    assert pickle.loads(pickle.dumps(claims["profile_data"])) == claims["profile_data"]  # noqa: S301
    # Copies are not shared: plain and mutable.
    assert type(pickle.loads(pickle.dumps(claims["roles"]))) is list  # noqa: S301
    assert type(copy.copy(claims["roles"])) is list
    derived = copy.deepcopy(dict(claims))
    derived["roles"].append("viewer")
    derived["profile_data"]["teams"][1]["tags"].append("y")
    assert claims["roles"] == ["admin"]
    assert claims["profile_data"]["teams"][1]["tags"] == ["x"]
    assert type(claims["roles"]) is FrozenList
    assert type(claims["profile_data"]["teams"][1]) is FrozenDict
    # A plain copy is the way to a mutable one.
    mine = list(claims["roles"])
    mine.append("viewer")
    assert claims["roles"] == ["admin"]
