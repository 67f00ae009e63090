"""Authenticator kinds: how a configuration file's ``[[authenticators]]`` table becomes one.

Each authenticator module registers its kind, once, at import::

    register_authenticator_kind("api_key", api_key_from_options)

so the loader (:mod:`passport_core.edge.config`) knows every kind without a
list of its own. A factory reads its table through :class:`Options`, which
type-checks each value, imports ``"module:attribute"`` references, and, at
:meth:`Options.finish`, refuses any key nobody read, naming it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from passport_core.edge.authenticators.base import Authenticator
from passport_core.errors import ConfigurationError

__all__ = [
    "AuthenticatorFactory",
    "Options",
    "authenticator_kinds",
    "import_reference",
    "register_authenticator_kind",
]

_MISSING: Any = object()


def import_reference(reference: str, *, where: str) -> Any:
    """The object ``"package.module:attribute"`` names (``where`` says which setting)."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"{where} must be 'module:attribute', not {reference!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"{where}: cannot import module {module_name!r}") from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ConfigurationError(f"{where}: {module_name!r} has no {attribute!r}") from exc
    return target


class Options:
    """One configuration table, read key by key; unread keys are errors."""

    def __init__(self, where: str, table: Mapping[str, Any]) -> None:
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{where} must be a table")
        self.where = where
        self._table = dict(table)
        self._read: set[str] = set()

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        """The value of ``name``, a ``kind``; ``default`` when absent, else an error."""
        self._read.add(name)
        if name not in self._table:
            if default is _MISSING:
                raise ConfigurationError(f"{self.where}.{name} is required")
            return default
        value = self._table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are not numbers, whatever Python's bool subclassing says.
        if isinstance(value, bool) and bool not in kinds:
            value_ok = False
        else:
            value_ok = isinstance(value, kinds)
        if not value_ok:
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigurationError(f"{self.where}.{name} must be a {names}")
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def reference(self, name: str, default: Any = _MISSING) -> Any:
        """The object a ``"module:attribute"`` value names."""
        value = self.get(name, str, default)
        if value is default and default is not _MISSING:
            return default
        return import_reference(value, where=f"{self.where}.{name}")

    def finish(self) -> None:
        """Refuse every key that was not read: a typo must not silently be ignored."""
        unknown = sorted(set(self._table) - self._read)
        if unknown:
            raise ConfigurationError(f"unknown setting {self.where}.{unknown[0]}")


#: builds an authenticator from its table (``kind`` already removed)
AuthenticatorFactory = Callable[[Options], Authenticator]
_KINDS: dict[str, AuthenticatorFactory] = {}


def register_authenticator_kind(kind: str, factory: AuthenticatorFactory) -> None:
    """Make ``kind = "<kind>"`` in ``[[authenticators]]`` build with ``factory``."""
    if kind in _KINDS and _KINDS[kind] is not factory:
        raise ConfigurationError(f"authenticator kind {kind!r} is registered twice")
    _KINDS[kind] = factory


def authenticator_kinds() -> Mapping[str, AuthenticatorFactory]:
    """Every registered kind."""
    return dict(_KINDS)


def _custom(options: Options) -> Authenticator:
    factory = options.reference("factory")
    arguments = options.get("options", dict, {})
    options.finish()
    if not callable(factory):
        raise ConfigurationError(f"{options.where}.factory must name a callable")
    built = factory(**arguments)
    if not isinstance(built, Authenticator):
        raise ConfigurationError(
            f"{options.where}.factory returned {type(built).__name__}, not an Authenticator"
        )
    return built


# Your own: factory = "module:callable" returning an Authenticator, options = {...} its kwargs.
register_authenticator_kind("custom", _custom)
