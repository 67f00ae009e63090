"""Read-only JSON containers for verified claims.

A verified passport is shared: the verified-token cache hands the same object to
every request that presents the same token. Its JSON arrays and objects must
therefore refuse changes, or one request editing ``passport.claims["roles"]``
would change what the next one sees. They stay a ``list`` and a ``dict`` (so
``==`` with plain ones, ``json.dumps`` and ``isinstance`` keep working); only
the methods that change them raise ``TypeError``. Copies (``copy``, ``deepcopy``,
``pickle``, ``list(...)``, ``dict(...)``) are plain, mutable containers.

What Python cannot stop: calling the base class on purpose
(``list.append(frozen, x)``, ``dict.__setitem__(frozen, k, v)``) still changes
one. Code that means to edit claims copies them first.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "freeze", "freeze_members"]

#: what a JSON parser gives for anything but an array or an object
_SCALARS = frozenset({str, int, float, bool, type(None)})
_only_scalars = _SCALARS.issuperset  # of an iterable of types, in C


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError("a verified passport's claims are read-only")


class FrozenList(list[Any]):
    """A JSON array that cannot change."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[type[list[Any]], tuple[list[Any]]]:
        # A copy is not shared: pickle and copy.copy give a plain list.
        return list, (list(self),)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(item, memo) for item in self]


class FrozenDict(dict[str, Any]):
    """A JSON object that cannot change."""

    __slots__ = ()
    clear = pop = popitem = setdefault = update = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[dict[str, Any]]]:
        return dict, (dict(self),)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {name: copy.deepcopy(value, memo) for name, value in self.items()}


def freeze(value: Any) -> Any:
    """``value`` with every JSON array and object in it made read-only."""
    kind = type(value)
    # The common cases (lists of roles, a flat profile) are checked in C, with no recursion.
    if kind is list:
        if _only_scalars(map(type, value)):
            return FrozenList(value)
        return FrozenList(map(freeze, value))
    if kind is dict:
        if _only_scalars(map(type, value.values())):
            return FrozenDict(value)
        return FrozenDict(zip(value, map(freeze, value.values()), strict=True))
    return value


def freeze_members(claims: dict[str, Any]) -> None:
    """Make every array and object among ``claims``' values read-only, in place."""
    for name, value in claims.items():
        kind = type(value)
        if kind is list or kind is dict:
            claims[name] = freeze(value)  # same keys: no resize while iterating
