"""One settings object for every adapter, built from a plain mapping.

Flask reads ``PASSPORT_*`` keys from ``app.config``, Django one ``PASSPORT``
dict; both hand the lower-cased names to :meth:`PassportConfig.from_mapping`,
which refuses unknown names (a typo is an error, not a silently ignored
setting) and bad values, with a message that says which setting is wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from passport_core import claims as c
from passport_core.errors import ConfigurationError
from passport_core.inbound.extraction import DEFAULT_HEADER, TokenLocation
from passport_core.inbound.gate import PassportGate
from passport_core.keys.jwks import load_jwks, public_jwks
from passport_core.keys.key import Key
from passport_core.keys.ring import KeyRing
from passport_core.keys.sources import KeysLike
from passport_core.outbound.propagation import passport_async_client, passport_client
from passport_core.token.values import is_number
from passport_core.verify.verifier import Verifier

__all__ = ["ConfigProblem", "PassportConfig"]


@dataclass(frozen=True)
class ConfigProblem:
    """One misconfiguration: a stable ``code`` and a sentence naming the setting."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _audiences(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def _is_strings(value: Any) -> bool:
    return (
        isinstance(value, Iterable)
        and not isinstance(value, (str, bytes, Mapping))
        and all(isinstance(item, str) for item in value)
    )


# What each setting must be, and how to say so.
_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "issuer": (lambda v: v is None or isinstance(v, str), "a string"),
    "audience": (lambda v: isinstance(v, str) or _is_strings(v), "a string or list of strings"),
    "jwks": (lambda v: v is None or isinstance(v, Mapping), "a JWKS dict"),
    "jwks_file": (lambda v: v is None or isinstance(v, (str, os.PathLike)), "a file path"),
    "jwks_url": (lambda v: v is None or isinstance(v, str), "a URL string"),
    "jwks_options": (lambda v: isinstance(v, Mapping), "a mapping of RemoteJWKS options"),
    "verifier": (lambda v: v is None or isinstance(v, Verifier), "a Verifier"),
    "header": (lambda v: v is None or isinstance(v, str), "a header name or None"),
    "bearer": (lambda v: isinstance(v, bool), "True or False"),
    "leeway": (is_number, "a number of seconds"),
    "max_lifetime": (is_number, "a number of seconds"),
    "max_token_bytes": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "typ": (lambda v: v is None or isinstance(v, str), "a string or None"),
    "allowed_hosts": (_is_strings, "a list of host names"),
    "publish": (
        lambda v: (
            v is None
            or isinstance(v, (KeyRing, Key))
            or (isinstance(v, Iterable) and all(isinstance(k, Key) for k in v))
        ),
        "a KeyRing or a list of keys",
    ),
    "realm": (lambda v: v is None or isinstance(v, str), "a string or None"),
}


def _check_type(name: str, value: Any) -> None:
    check = _TYPES.get(name)
    if check is not None and not check[0](value):
        raise ConfigurationError(f"'{name}' must be {check[1]}, not {type(value).__name__}")


@dataclass(frozen=True)
class PassportConfig:
    """Everything a service needs to accept, check and forward passports.

    Give exactly one key setting: ``jwks`` (a public JWKS dict), ``jwks_file``,
    ``jwks_url`` (fetched and cached, refreshed on unknown ``kid``) or ``keys``
    (any key source, key ring or keys) — or a ready ``verifier``.

    :param issuer: the trusted issuer (the edge that mints).
    :param audience: this service's name(s) as they appear in ``aud``.
    :param header: the header passports arrive in (``None``: Authorization only).
    :param bearer: also accept ``Authorization: Bearer``.
    :param allowed_hosts: hosts outbound clients may forward the passport to.
    :param publish: keys whose public halves this service serves as its JWKS.
    :param realm: the ``realm`` of ``WWW-Authenticate`` challenges.
    :param jwks_options: keyword options for the :class:`~passport_core.RemoteJWKS`
        built from ``jwks_url`` (``timeout``, ``max_stale``, ``min_cache_ttl``,
        ``max_cache_ttl``, ``unknown_kid_interval``, ...).
    """

    issuer: str | None = None
    audience: tuple[str, ...] = ()
    jwks: Mapping[str, Any] | None = None
    jwks_file: str | None = None
    jwks_url: str | None = None
    keys: KeysLike | None = None
    verifier: Verifier | None = None
    header: str | None = DEFAULT_HEADER
    bearer: bool = False
    leeway: float = 30.0
    max_lifetime: float = 3600.0
    max_token_bytes: int = 8192
    typ: str | None = c.TOKEN_TYPE
    allowed_hosts: tuple[str, ...] = ()
    publish: KeyRing | tuple[Key, ...] | None = None
    realm: str | None = None
    jwks_options: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def setting_names(cls) -> frozenset[str]:
        """Every setting name :meth:`from_mapping` accepts."""
        return frozenset(f.name for f in dataclasses.fields(cls)) - {"extra"}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "settings") -> PassportConfig:
        """Build from lower-cased setting names; unknown names and wrong types are refused.

        Messages name a setting in quotes (``'leeway'``) so adapters can restate
        it in their own terms (``PASSPORT_LEEWAY``).
        """
        names = cls.setting_names()
        unknown = sorted(set(data) - names)
        if unknown:
            known = ", ".join(sorted(names))
            listed = ", ".join(unknown)
            raise ConfigurationError(f"unknown passport {source}: {listed}; known: {known}")
        values = dict(data)
        for name in ("audience", "allowed_hosts", "publish"):
            # Materialise iterators first: checking a generator would use it up.
            value = values.get(name)
            if isinstance(value, Iterator):
                values[name] = tuple(value)
        for name, value in values.items():
            _check_type(name, value)
        if "audience" in values:
            values["audience"] = _audiences(values["audience"])
        if "allowed_hosts" in values:
            values["allowed_hosts"] = tuple(values["allowed_hosts"])
        publish = values.get("publish")
        if isinstance(publish, Key):
            values["publish"] = (publish,)
        elif isinstance(publish, Iterable) and not isinstance(publish, KeyRing):
            values["publish"] = tuple(publish)
        return cls(**values)

    def problems(self) -> list[ConfigProblem]:
        """Every misconfiguration, each with a stable code (used by start-up checks)."""
        found: list[ConfigProblem] = []
        if self.verifier is not None:
            return found
        if not self.issuer:
            found.append(
                ConfigProblem(
                    "missing_issuer",
                    "no 'issuer': set the issuer whose passports this service accepts",
                )
            )
        if not self.audience or not all(isinstance(a, str) and a for a in self.audience):
            found.append(
                ConfigProblem(
                    "missing_audience",
                    "no 'audience': set this service's name as it appears in 'aud'",
                )
            )
        given = [
            name
            for name in ("jwks", "jwks_file", "jwks_url", "keys")
            if getattr(self, name) is not None
        ]
        if not given:
            found.append(
                ConfigProblem(
                    "missing_keys", "no keys: set one of 'jwks', 'jwks_file', 'jwks_url' or 'keys'"
                )
            )
        elif len(given) > 1:
            found.append(
                ConfigProblem(
                    "several_keys", f"several key settings ({', '.join(given)}): set exactly one"
                )
            )
        if self.jwks_file is not None and not os.path.isfile(self.jwks_file):
            found.append(
                ConfigProblem("missing_jwks_file", f"'jwks_file' {self.jwks_file!r} does not exist")
            )
        return found

    def _key_source(self) -> KeysLike:
        if self.jwks_options and self.jwks_url is None:
            raise ConfigurationError("'jwks_options' applies to 'jwks_url' only")
        if self.jwks is not None:
            return self.jwks
        if self.jwks_file is not None:
            try:
                with open(self.jwks_file, "rb") as handle:
                    return load_jwks(handle.read())
            except OSError as exc:
                raise ConfigurationError(f"cannot read 'jwks_file': {exc.strerror}") from exc
        if self.jwks_url is not None:
            from passport_core.keys.remote import RemoteJWKS  # noqa: PLC0415 - optional network path

            try:
                return RemoteJWKS(self.jwks_url, **self.jwks_options)
            except TypeError as exc:
                known = "timeout, cache_ttl, min_cache_ttl, max_cache_ttl, max_stale, ..."
                raise ConfigurationError(f"'jwks_options' has an unknown option ({known})") from exc
        assert self.keys is not None  # noqa: S101 - problems() guarantees one key setting
        return self.keys

    def build_verifier(self) -> Verifier:
        """A new verifier for these settings; raises ConfigurationError if they are wrong."""
        if self.verifier is not None:
            return self.verifier
        problems = self.problems()
        if problems:
            raise ConfigurationError("; ".join(problem.message for problem in problems))
        assert self.issuer is not None  # noqa: S101 - checked by problems()
        return Verifier(
            keys=self._key_source(),
            issuer=self.issuer,
            audience=self.audience,
            typ=self.typ,
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
            max_token_bytes=self.max_token_bytes,
        )

    @functools.cached_property
    def location(self) -> TokenLocation:
        return TokenLocation(header=self.header, bearer=self.bearer)

    def build_gate(self) -> PassportGate:
        """Extraction plus verification for one service."""
        return PassportGate(self.build_verifier(), self.location)

    def outbound_client(self, **client_options: Any) -> httpx.Client:
        """An ``httpx.Client`` forwarding the current passport to ``allowed_hosts`` only.

        The passport goes out where this service reads it: the ``header``, or
        ``Authorization: Bearer`` when the service reads only that.
        """
        return passport_client(
            self.allowed_hosts,
            header=self.header or DEFAULT_HEADER,
            bearer=self.header is None,
            **client_options,
        )

    def outbound_async_client(self, **client_options: Any) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` twin of :meth:`outbound_client`."""
        return passport_async_client(
            self.allowed_hosts,
            header=self.header or DEFAULT_HEADER,
            bearer=self.header is None,
            **client_options,
        )

    def published_jwks(self) -> dict[str, Any] | None:
        """The JWKS this service serves at ``/.well-known/jwks.json``, if it mints."""
        if self.publish is None:
            return None
        if isinstance(self.publish, KeyRing):
            return self.publish.public_jwks()
        return public_jwks(self.publish)
