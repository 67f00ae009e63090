"""One settings object for every adapter, built from a plain mapping.

Flask reads ``PASSPORT_*`` keys from ``app.config``, Django one ``PASSPORT``
dict; both hand the lower-cased names to :meth:`PassportConfig.from_mapping`,
which refuses unknown names (a typo is an error, not a silently ignored
setting) and bad values. Every refusal names the setting as data
(:attr:`ConfigurationError.setting <passport_core.ConfigurationError.setting>`,
:attr:`ConfigProblem.setting`), and its sentence can be rendered with the
adapter's own spelling of each setting (``render(label)``), so no adapter
has to parse a message.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from passport_core import claims as c
from passport_core.dpop.binding import BINDING_MODES, ProofBinding
from passport_core.dpop.proof import ProofVerifier
from passport_core.dpop.replay import ReplayCache
from passport_core.edge.edge import Edge
from passport_core.edge.gate import EdgeGate
from passport_core.encryption import Decrypter
from passport_core.errors import ConfigurationError, quoted_setting, render_settings
from passport_core.exchange.client import ExchangeClient
from passport_core.inbound.extraction import DEFAULT_HEADER, TokenLocation
from passport_core.inbound.gate import Gate, PassportGate
from passport_core.keys.jwks import load_jwks, public_jwks
from passport_core.keys.key import Key, load_key, load_key_file
from passport_core.keys.ring import KeyRing
from passport_core.keys.sources import KeysLike
from passport_core.outbound.propagation import (
    HostAudiences,
    passport_async_client,
    passport_client,
)
from passport_core.revocation.store import RevocationStore
from passport_core.token.values import is_number
from passport_core.verify.bundle import Companion, Companions
from passport_core.verify.cache import DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_SIZE
from passport_core.verify.verifier import Verifier

__all__ = ["ConfigProblem", "PassportConfig"]


@dataclass(frozen=True)
class ConfigProblem:
    """One misconfiguration: a stable ``code``, the setting(s) at fault and a sentence.

    ``template`` names each setting of ``settings`` as ``{name}``;
    :attr:`message` renders them the core way (``'audience'``),
    :meth:`render` the adapter's way. ``setting`` is the one setting to fix,
    ``None`` when the fix is a choice among ``settings`` (the key settings).
    """

    code: str
    template: str
    setting: str | None = None
    settings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Like ConfigurationError.settings: every setting named, the one at fault first.
        named = tuple(dict.fromkeys([*([self.setting] if self.setting else []), *self.settings]))
        object.__setattr__(self, "settings", named)

    @property
    def message(self) -> str:
        return self.render(quoted_setting)

    def render(self, label: Callable[[str], str]) -> str:
        """The sentence with every named setting written as ``label(name)``."""
        return render_settings(self.template, self.settings, label)

    def __str__(self) -> str:
        return self.message


def _audiences(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
    "cache_size": (_is_count, "a whole number of entries, 0 or more (0: no cache)"),
    "cache_max_bytes": (_is_count, "a whole number of bytes, 0 or more"),
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
    "edge": (
        lambda v: v is None or isinstance(v, (Edge, str)),
        "an Edge or its import path ('module:attribute')",
    ),
    "edge_audience": (lambda v: v is None or isinstance(v, str), "an audience name or None"),
    "companions": (
        lambda v: isinstance(v, Mapping) and all(isinstance(s, Mapping) for s in v.values()),
        "a mapping of header name to that companion's settings",
    ),
    "exchange_url": (lambda v: v is None or isinstance(v, str), "a URL string"),
    "exchange_client_id": (lambda v: v is None or isinstance(v, str), "a string"),
    "exchange_key": (
        lambda v: v is None or isinstance(v, (Key, Mapping, str)),
        "a Key, a private JWK (dict) or PEM text",
    ),
    "exchange_key_file": (lambda v: v is None or isinstance(v, (str, os.PathLike)), "a file path"),
    "exchange_audiences": (
        lambda v: (
            isinstance(v, Mapping)
            and all(isinstance(h, str) and isinstance(a, str) for h, a in v.items())
        ),
        "a mapping of host to audience",
    ),
    "exchange_options": (lambda v: isinstance(v, Mapping), "a mapping of ExchangeClient options"),
    "binding": (lambda v: v in BINDING_MODES, "one of " + ", ".join(map(repr, BINDING_MODES))),
    "proof_max_age": (lambda v: is_number(v) and v > 0, "a positive number of seconds"),
    "proof_key": (
        lambda v: v is None or (isinstance(v, Key) and v.is_private and not v.is_symmetric),
        "an asymmetric private Key or None",
    ),
    "decryption_keys": (
        lambda v: (
            v is None
            or isinstance(v, (Decrypter, Mapping, str, os.PathLike))
            or (isinstance(v, (list, tuple)) and all(isinstance(k, Mapping) for k in v))
        ),
        "a Decrypter, a private JWK Set (dict), a list of private JWKs or a file path",
    ),
    "proof_replay_cache": (
        lambda v: v is None or isinstance(v, ReplayCache),
        "a ReplayCache (first_use / afirst_use) or None",
    ),
    "revocations": (
        lambda v: (
            v is None
            or isinstance(v, RevocationStore)
            or (isinstance(v, str) and v.startswith(("redis://", "rediss://", "unix://")))
        ),
        "a RevocationStore (MemoryRevocations, RedisRevocations), a redis:// URL or None",
    ),
    "revocation_fail_open": (lambda v: isinstance(v, bool), "True or False"),
}
#: every exchange setting; exchange_url switches the exchange on
_EXCHANGE_SETTINGS = (
    "exchange_url",
    "exchange_client_id",
    "exchange_key",
    "exchange_key_file",
    "exchange_audiences",
    "exchange_options",
)
#: what a companion's settings may say; the rest (audience, typ, leeway...) is the service's
_COMPANION_SETTINGS = frozenset(
    {"issuer", "jwks", "jwks_file", "jwks_url", "jwks_options", "keys", "verifier", "required"}
)
#: what a companion inherits from the service's own settings
_INHERITED = (
    "audience",
    "typ",
    "leeway",
    "max_lifetime",
    "max_token_bytes",
    "cache_size",
    "cache_max_bytes",
    "revocations",
)


def _import_edge(path: str) -> Edge:
    """The :class:`Edge` named ``module:attribute`` (how Django settings name objects)."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"{{edge}} {path!r} must be 'module:attribute'", setting="edge")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"{{edge}} {path!r} cannot be imported: {exc}", setting="edge"
        ) from exc
    if not isinstance(found, Edge):
        raise ConfigurationError(f"{{edge}} {path!r} is not an Edge", setting="edge")
    return found


def _naming(error: ConfigurationError, name: str) -> ConfigurationError:
    """``error`` blamed on setting ``name``, unless it already names one."""
    if error.setting is not None:
        return error
    return ConfigurationError(f"{{{name}}}: {error.message}", setting=name)


def _check_type(name: str, value: Any) -> None:
    check = _TYPES.get(name)
    if check is not None and not check[0](value):
        raise ConfigurationError(
            f"{{{name}}} must be {check[1]}, not {type(value).__name__}", setting=name
        )


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
    :param cache_size: verified tokens each verifier remembers (0: none), and
    :param cache_max_bytes: the memory those may hold (``Verifier``'s parameters).
    :param publish: keys whose public halves this service serves as its JWKS.
    :param realm: the ``realm`` of ``WWW-Authenticate`` challenges.
    :param jwks_options: keyword options for the :class:`~passport_core.RemoteJWKS`
        built from ``jwks_url`` (``timeout``, ``max_stale``, ``min_cache_ttl``,
        ``max_cache_ttl``, ``unknown_kid_interval``, ...).
    :param edge: the topmost service mints: an :class:`~passport_core.Edge` (or
        its ``"module:attribute"`` path) turns the caller's credential into the
        request's passport in-process; no key setting is needed, and a passport
        a client sends is never read (:class:`~passport_core.EdgeGate`).
    :param edge_audience: the edge audience minted for (default: its first).
    :param companions: companion passports signed beside the primary one, by
        header: ``{"X-Passport-Profile": {"issuer": ..., "jwks_url": ...}}``, each
        with its own issuer and one key setting (and ``"required": False`` to make
        it optional); the audience and limits are the service's. The request's
        passport is then their merged :class:`~passport_core.PassportBundle`.
    :param exchange_url: the token service's RFC 8693 endpoint: outbound
        clients then exchange the passport per host (``exchange_audiences``:
        ``{"orders.internal": "orders"}``) for one narrowed to that host's
        audience. This service authenticates there as ``exchange_client_id``
        (default: its first audience) with ``private_key_jwt``, signing with
        ``exchange_key`` (a private JWK or PEM) or ``exchange_key_file``;
        ``exchange_options`` go to :class:`~passport_core.ExchangeClient`
        (``timeout``, ``assertion_audience``, ``cache_size``...).
    :param binding: sender-constrained passports (RFC 9449): ``"optional"`` (default)
        checks the ``DPoP`` proof of every passport with ``cnf.jkt``, ``"required"``
        also refuses unbound passports, ``"off"`` refuses bound ones (no proofs are
        checked). In no mode does a bound passport pass without a valid proof.
        Behind a proxy, the framework must know the public scheme and host (its
        proxy settings): a proof names the URI the client called.
    :param proof_max_age: how old a DPoP proof may be, in seconds (default 60).
    :param proof_replay_cache: where used proofs are remembered (default: in
        memory, per process; share one across instances behind a load balancer).
    :param proof_key: this service's own DPoP key: outbound clients sign a proof
        with it for every passport bound to it, and with ``exchange_url`` the
        passports exchanged for other hosts are bound to it (RFC 9449 §5), so a
        passport captured on its way to the next hop is refused there.
    :param revocations: where revoked passports are listed
        (:class:`~passport_core.MemoryRevocations` for one process, a shared
        store for many): a revoked passport is refused (``passport_revoked``,
        401), from the verified-token cache too; a shared store that cannot
        vouch for its list answers ``revocation_unavailable`` (503) unless it
        fails open. Companion passports are checked against it as well. A
        ``redis://`` URL builds a started :class:`~passport_core.RedisRevocations`
        (one per configuration, shared by its verifiers).
    :param revocation_fail_open: with a Redis URL: when Redis cannot vouch for the
        list, accept passports on the last list known (default: refuse, 503).
    :param decryption_keys: this service's private keys for encrypted passports (a
        JWK Set dict, a list of JWKs, a JSON file's path, or a ready
        :class:`~passport_core.Decrypter`, for other algorithms or caps); without
        it an encrypted passport is refused (``encrypted_passport``, 401).
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
    cache_size: int = DEFAULT_CACHE_SIZE
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    allowed_hosts: tuple[str, ...] = ()
    publish: KeyRing | tuple[Key, ...] | None = None
    realm: str | None = None
    jwks_options: Mapping[str, Any] = field(default_factory=dict)
    edge: Edge | str | None = None
    edge_audience: str | None = None
    companions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    exchange_url: str | None = None
    exchange_client_id: str | None = None
    exchange_key: Key | Mapping[str, Any] | str | None = field(default=None, repr=False)
    exchange_key_file: str | None = None
    exchange_audiences: Mapping[str, str] = field(default_factory=dict)
    exchange_options: Mapping[str, Any] = field(default_factory=dict)
    binding: str = "optional"
    proof_max_age: float = 60.0
    proof_replay_cache: ReplayCache | None = None
    proof_key: Key | None = None
    revocations: RevocationStore | str | None = None
    revocation_fail_open: bool = False
    decryption_keys: Any = field(default=None, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def setting_names(cls) -> frozenset[str]:
        """Every setting name :meth:`from_mapping` accepts."""
        return frozenset(f.name for f in dataclasses.fields(cls)) - {"extra"}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PassportConfig:
        """Build from lower-cased setting names; unknown names and wrong types are refused.

        The :class:`~passport_core.ConfigurationError` carries the setting's
        name (``error.setting``, e.g. ``"leeway"``; for an unknown name, that
        name) so adapters restate it in their own terms (``PASSPORT_LEEWAY``)
        with ``error.render(label)``.
        """
        names = cls.setting_names()
        unknown = sorted(name for name in data if name not in names)
        if unknown:
            known = sorted(names)
            listed = ", ".join("{" + name + "}" for name in unknown)
            every = ", ".join("{" + name + "}" for name in known)
            plural = "s" if len(unknown) > 1 else ""
            raise ConfigurationError(
                f"unknown passport setting{plural} {listed}; known: {every}",
                setting=unknown[0],
                settings=[*unknown, *known],
            )
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
        found = self._exchange_problems()
        if self.verifier is not None and self.revocations is not None:
            found.append(
                ConfigProblem(
                    "revocations_with_verifier",
                    "{revocations} beside a ready {verifier}: give the store to the "
                    "Verifier itself (Verifier(revocations=...))",
                    setting="revocations",
                    settings=("verifier",),
                )
            )
        if self.edge is not None and self.revocations is not None:
            found.append(
                ConfigProblem(
                    "revocations_with_edge",
                    "{revocations} beside an {edge}: the edge checks them as it mints; "
                    "give the store to the Edge itself (Edge(revocations=...))",
                    setting="revocations",
                    settings=("edge",),
                )
            )
        if self.verifier is not None or self.edge is not None:
            return found
        if not self.issuer:
            found.append(
                ConfigProblem(
                    "missing_issuer",
                    "no {issuer}: set the issuer whose passports this service accepts",
                    setting="issuer",
                )
            )
        if not self.audience or not all(isinstance(a, str) and a for a in self.audience):
            found.append(
                ConfigProblem(
                    "missing_audience",
                    "no {audience}: set this service's name as it appears in 'aud'",
                    setting="audience",
                )
            )
        key_settings = ("jwks", "jwks_file", "jwks_url", "keys")
        given = tuple(name for name in key_settings if getattr(self, name) is not None)
        if not given:
            found.append(
                ConfigProblem(
                    "missing_keys",
                    "no keys: set one of {jwks}, {jwks_file}, {jwks_url} or {keys}",
                    settings=key_settings,
                )
            )
        elif len(given) > 1:
            listed = ", ".join("{" + name + "}" for name in given)
            found.append(
                ConfigProblem(
                    "several_keys",
                    f"several key settings ({listed}): set exactly one",
                    settings=given,
                )
            )
        if self.jwks_file is not None and not os.path.isfile(self.jwks_file):
            found.append(
                ConfigProblem(
                    "missing_jwks_file",
                    f"{{jwks_file}} {self.jwks_file!r} does not exist",
                    setting="jwks_file",
                )
            )
        return found

    def _exchange_problems(self) -> list[ConfigProblem]:
        found: list[ConfigProblem] = []
        if self.exchange_url is None:
            others = [name for name in _EXCHANGE_SETTINGS[1:] if getattr(self, name)]
            if others:
                listed = ", ".join("{" + name + "}" for name in others)
                found.append(
                    ConfigProblem(
                        "exchange_without_url",
                        f"{listed} without {{exchange_url}}: set the token service's endpoint",
                        setting="exchange_url",
                        settings=tuple(others),
                    )
                )
            return found
        keys = [n for n in ("exchange_key", "exchange_key_file") if getattr(self, n) is not None]
        if len(keys) != 1:
            found.append(
                ConfigProblem(
                    "exchange_key",
                    "{exchange_url} needs exactly one of {exchange_key} or {exchange_key_file}",
                    settings=("exchange_url", "exchange_key", "exchange_key_file"),
                )
            )
        if not self.exchange_audiences:
            found.append(
                ConfigProblem(
                    "exchange_audiences",
                    "{exchange_url} without {exchange_audiences}: no host would get an "
                    "exchanged passport",
                    setting="exchange_audiences",
                )
            )
        return found

    @functools.cached_property
    def exchange_client(self) -> ExchangeClient | None:
        """The one :class:`~passport_core.ExchangeClient` (and its cache) of this config."""
        if self.exchange_url is None:
            return None
        for problem in self._exchange_problems():
            raise ConfigurationError(
                problem.template, setting=problem.setting, settings=problem.settings
            )
        try:
            if self.exchange_key_file is not None:
                key = load_key_file(self.exchange_key_file)
            elif isinstance(self.exchange_key, Key):
                key = self.exchange_key
            else:
                assert self.exchange_key is not None  # noqa: S101 - checked by the problems
                key = load_key(self.exchange_key)
        except ConfigurationError as error:
            name = "exchange_key_file" if self.exchange_key_file is not None else "exchange_key"
            raise _naming(error, name) from error
        client_id = self.exchange_client_id or (self.audience[0] if self.audience else "")
        # With a DPoP key of its own, the passports this service is handed are bound to it.
        options = {"proof_key": self.proof_key, **self.exchange_options}
        try:
            return ExchangeClient(self.exchange_url, client_id=client_id, client_key=key, **options)
        except TypeError as error:
            raise ConfigurationError(
                f"{{exchange_options}}: {error}", setting="exchange_options"
            ) from error
        except ConfigurationError as error:
            raise _naming(error, "exchange_url") from error

    def _key_source(self) -> KeysLike:
        if self.jwks_options and self.jwks_url is None:
            raise ConfigurationError(
                "{jwks_options} applies to {jwks_url} only",
                setting="jwks_options",
                settings=["jwks_url"],
            )
        if self.jwks is not None:
            return self.jwks
        if self.jwks_file is not None:
            try:
                with open(self.jwks_file, "rb") as handle:
                    return load_jwks(handle.read())
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot read {{jwks_file}}: {exc.strerror}", setting="jwks_file"
                ) from exc
        if self.jwks_url is not None:
            from passport_core.keys.remote import RemoteJWKS  # noqa: PLC0415 - optional network path

            options = dict(self.jwks_options)
            try:
                # The URL alone first, so its errors name the URL setting, not the options.
                RemoteJWKS(self.jwks_url, allow_insecure=bool(options.get("allow_insecure")))
            except ConfigurationError as exc:
                raise _naming(exc, "jwks_url") from exc
            try:
                return RemoteJWKS(self.jwks_url, **options)
            except TypeError as exc:
                known = "timeout, cache_ttl, min_cache_ttl, max_cache_ttl, max_stale, ..."
                raise ConfigurationError(
                    f"{{jwks_options}} has an unknown option ({known})", setting="jwks_options"
                ) from exc
            except ConfigurationError as exc:
                raise _naming(exc, "jwks_options") from exc
        assert self.keys is not None  # noqa: S101 - problems() guarantees one key setting
        return self.keys

    def build_verifier(self) -> Verifier:
        """A new verifier for these settings; raises ConfigurationError if they are wrong."""
        if self.verifier is not None:
            if self.revocations is not None:
                raise ConfigurationError(
                    "{revocations} beside a ready {verifier}: give the store to the "
                    "Verifier itself (Verifier(revocations=...))",
                    setting="revocations",
                    settings=["verifier"],
                )
            return self.verifier
        problems = self.problems()
        if problems:
            first = problems[0]
            raise ConfigurationError(
                "; ".join(problem.template for problem in problems),
                setting=first.setting,
                settings=[name for problem in problems for name in problem.settings],
            )
        assert self.issuer is not None  # noqa: S101 - checked by problems()
        return Verifier(
            keys=self._key_source(),
            issuer=self.issuer,
            audience=self.audience,
            typ=self.typ,
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
            max_token_bytes=self.max_token_bytes,
            cache_size=self.cache_size,
            cache_max_bytes=self.cache_max_bytes,
            revocations=self.revocation_store,
            decryption=self.build_decrypter(),
        )

    def build_decrypter(self) -> Decrypter | None:
        """The decrypter of ``decryption_keys``, or ``None`` when there are none."""
        keys = self.decryption_keys
        if keys is None or isinstance(keys, Decrypter):
            return keys
        try:
            return Decrypter(keys)
        except ConfigurationError as error:
            raise _naming(error, "decryption_keys") from None

    @functools.cached_property
    def revocation_store(self) -> RevocationStore | None:
        """The ``revocations`` store; from a Redis URL, built and started once."""
        if not isinstance(self.revocations, str):
            if self.revocation_fail_open:
                raise ConfigurationError(
                    "{revocation_fail_open} applies to a {revocations} Redis URL; a ready "
                    "store takes fail_open itself",
                    setting="revocation_fail_open",
                    settings=["revocations"],
                )
            return self.revocations
        from passport_core.revocation.redis_store import RedisRevocations  # noqa: PLC0415

        try:
            store = RedisRevocations.from_url(self.revocations, fail_open=self.revocation_fail_open)
        except ConfigurationError as error:
            raise _naming(error, "revocations") from error
        store.start()
        return store

    @functools.cached_property
    def location(self) -> TokenLocation:
        return TokenLocation(header=self.header, bearer=self.bearer)

    def build_edge(self) -> Edge | None:
        """The configured :class:`~passport_core.Edge` (imported from its path), if any."""
        if isinstance(self.edge, str):
            return _import_edge(self.edge)
        return self.edge

    def build_gate(self) -> Gate:
        """Extraction plus verification for one service; minting, when it has an ``edge``."""
        # The exchange settings fail at start-up, not on the first outbound call.
        if self.exchange_client is not None:
            try:
                HostAudiences(self.exchange_audiences)
            except ConfigurationError as error:
                raise _naming(error, "exchange_audiences") from error
        edge = self.build_edge()
        if edge is not None:
            if self.verifier is not None:
                raise ConfigurationError(
                    "{edge} and {verifier}: a service mints or verifies, not both",
                    setting="edge",
                    settings=["verifier"],
                )
            if self.binding == "required":
                # The passport minted in-process is this service's own, never bound to a key.
                raise ConfigurationError(
                    "{binding} 'required' and {edge}: a passport minted here is not bound",
                    setting="binding",
                    settings=["edge"],
                )
            if self.revocations is not None:
                raise ConfigurationError(
                    "{revocations} beside an {edge}: give the store to the Edge itself "
                    "(Edge(revocations=...)), which checks it as it mints",
                    setting="revocations",
                    settings=["edge"],
                )
            return EdgeGate(edge, audience=self.edge_audience)
        if self.edge_audience is not None:
            raise ConfigurationError(
                "{edge_audience} applies to {edge} only", setting="edge_audience", settings=["edge"]
            )
        return PassportGate(
            self.build_verifier(),
            self.location,
            companions=self.build_companions(),
            binding=self.build_binding(),
        )

    def build_binding(self) -> ProofBinding:
        """What this service demands of sender-constrained passports (``binding``)."""
        verifier = ProofVerifier(max_age=self.proof_max_age, replay=self.proof_replay_cache)
        return ProofBinding(self.binding, verifier)

    def build_companions(self) -> Companions | None:
        """The companion passports' verifiers (``None`` when none are configured)."""
        if not self.companions:
            return None
        if self.edge is not None:
            raise ConfigurationError(
                "{companions} are verified beside a verified passport, not a minted one ({edge})",
                setting="companions",
                settings=["edge"],
            )
        return Companions(self._companion(header, raw) for header, raw in self.companions.items())

    def _companion(self, header: str, raw: Mapping[str, Any]) -> Companion:
        # Django writes nested keys upper-case like its settings; core's names are lower-case.
        values = {str(name).lower(): value for name, value in raw.items()}
        unknown = sorted(set(values) - _COMPANION_SETTINGS)
        if unknown:
            raise ConfigurationError(
                f"{{companions}} {header!r}: unknown setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_COMPANION_SETTINGS))}",
                setting="companions",
            )
        if self.header is not None and header.lower() == self.header.lower():
            raise ConfigurationError(
                f"{{companions}} {header!r} is the {{header}} of the passport itself",
                setting="companions",
                settings=["header"],
            )
        required = values.pop("required", True)
        if not isinstance(required, bool):
            raise ConfigurationError(
                f"{{companions}} {header!r}: 'required' must be True or False",
                setting="companions",
            )
        inherited = {name: getattr(self, name) for name in _INHERITED}
        inherited["revocations"] = self.revocation_store  # one store, not one per companion
        try:
            verifier = PassportConfig.from_mapping({**inherited, **values}).build_verifier()
            return Companion(header, verifier, required)
        except ConfigurationError as error:
            raise ConfigurationError(
                f"{{companions}} {header!r}: {error.message}", setting="companions"
            ) from error

    def outbound_client(self, **client_options: Any) -> httpx.Client:
        """A new ``httpx.Client`` forwarding the current passport to ``allowed_hosts`` only.

        The passport goes out where this service reads it: the ``header``, or
        ``Authorization: Bearer`` when the service reads only that. The caller
        owns the client and closes it; every adapter's ``outbound_client()`` /
        ``async_outbound_client()`` is built on this method and its twin.
        """
        return passport_client(
            self.allowed_hosts,
            header=self.header or DEFAULT_HEADER,
            bearer=self.header is None,
            exchange=self.exchange_client,
            audiences=self.exchange_audiences,
            proof_key=self.proof_key,
            **client_options,
        )

    def async_outbound_client(self, **client_options: Any) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` twin of :meth:`outbound_client`."""
        return passport_async_client(
            self.allowed_hosts,
            header=self.header or DEFAULT_HEADER,
            bearer=self.header is None,
            exchange=self.exchange_client,
            audiences=self.exchange_audiences,
            proof_key=self.proof_key,
            **client_options,
        )

    def published_jwks(self) -> dict[str, Any] | None:
        """The JWKS this service serves at ``/.well-known/jwks.json``, if it mints."""
        if self.publish is None:
            return None
        if isinstance(self.publish, KeyRing):
            return self.publish.public_jwks()
        return public_jwks(self.publish)
