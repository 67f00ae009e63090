"""``edge.toml``: one file that describes an edge, read strictly.

::

    issuer = "https://edge.example"
    ring = "ring.json"              # a `passport ring` file, followed while it runs
    ttl = 300                       # the passports' default lifetime, seconds
    mode = ["gateway", "mint"]      # a reverse proxy, the /auth mint endpoint, or both
    extra_strip_headers = ["X-Passport-Profile"]   # no client may send these either
    forwarded_as_bearer = false     # true: services forward as Authorization: Bearer (budget)
    forward_credentials = false     # true: upstreams also get the caller's own credential
    trust_forwarded = false         # true: behind a proxy of yours, keep its X-Forwarded-*

    [mint_listener]                 # with both modes: where the mint endpoint listens,
    host = "127.0.0.1"              # apart from the clients' listener (its answers carry
    port = 9001                     # passports: only the gateway may reach it)

    [revocation]                    # refuse credentials whose subject or session was
    redis_url = "redis://127.0.0.1:6379/0"   # revoked (docs/revocation.md)
    fail_open = false               # Redis unreachable: 503 (false) or the last list known

    [[authenticators]]
    kind = "api_key"                # or oidc, introspection, cloudflare_access, google_iap,
    lookup = "keys:by_digest"       # pomerium (file_kinds), "custom" (factory =
                                    # "module:callable"), or a kind another module registered

    [[enrichers]]
    call = "directory:roles"
    required = true
    timeout = 0.5

    [[enrichers]]
    kind = "http"                   # GET the URL, its JSON object is common data
    url = "https://directory.internal/users/{subject}"
    headers = { Accept = "application/json" }
    required = false

    [[audiences]]
    name = "orders"
    fields = ["roles", "tenant"]

    [[routes]]
    prefix = "/orders/"
    upstream = "http://127.0.0.1:8001"
    audience = "orders"

Every unknown key is an error that names it, as :meth:`PassportConfig.from_mapping`
does; relative paths are relative to the file. :meth:`EdgeConfig.describe` is
the effective configuration with nothing secret in it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passport_core.edge.audience import Audience
from passport_core.edge.authenticators import Authenticator
from passport_core.edge.authenticators.file_kinds import claim_mapping
from passport_core.edge.authenticators.kinds import Options, authenticator_kinds
from passport_core.edge.edge import Edge
from passport_core.edge.enrichers.base import DEFAULT_ENRICHER_TIMEOUT, Enricher, FunctionEnricher
from passport_core.edge.enrichers.http import HTTPEnricher
from passport_core.edge.gateway import DEFAULT_UPSTREAM_TIMEOUT, EdgeGateway, Upstream
from passport_core.edge.ring_file import RingFile
from passport_core.edge.tomlfile import read_toml
from passport_core.encryption import Encrypter
from passport_core.errors import ConfigurationError, PassportError
from passport_core.keys.ring import KeyRing
from passport_core.mint.minter import DEFAULT_TTL, Minter
from passport_core.revocation.store import RevocationStore

__all__ = ["MODES", "EdgeApps", "EdgeConfig", "Listener"]

#: what an edge process serves: a reverse proxy, the mint endpoint gateways ask
MODES = frozenset({"gateway", "mint"})
#: setting names whose values are never printed
_SECRET_WORDS = ("secret", "password", "token", "credential", "private", "key_value")


def _redacted_url(url: str) -> str:
    """A Redis URL without its password (``redis://:secret@host`` is common)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}***@{host}" if at and credentials else url


def _secret(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_WORDS)


def _redacted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: "<redacted>" if _secret(k) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _strings(options: Options, name: str) -> tuple[str, ...] | None:
    value = options.get(name, list, None)
    if value is None:
        return None
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f"{options.where}.{name} must be a list of non-empty strings")
    return tuple(value)


def _tables(data: Options, name: str) -> list[Options]:
    items = data.get(name, list, [])
    return [Options(f"{name}[{index}]", item) for index, item in enumerate(items)]


def _authenticator(options: Options) -> Authenticator:
    kind = options.get("kind", str)
    kinds = authenticator_kinds()
    factory = kinds.get(kind)
    if factory is None:
        raise ConfigurationError(
            f"{options.where}.kind {kind!r} is not a known authenticator kind "
            f"(known: {', '.join(sorted(kinds))})"
        )
    return factory(options)


def _http_enricher(options: Options) -> Enricher:
    headers = options.get("headers", dict, None)
    if headers is not None and not all(isinstance(v, str) for v in headers.values()):
        raise ConfigurationError(f"{options.where}.headers must map names to strings")
    kwargs: dict[str, Any] = {"headers": headers, "mapping": claim_mapping(options, "mapping")}
    for name, kind in (("name", str), ("required", bool), ("allow_insecure", bool)):
        value = options.get(name, kind, None)
        if value is not None:
            kwargs[name] = value
    kwargs["timeout"] = float(options.get("timeout", (int, float), DEFAULT_ENRICHER_TIMEOUT))
    url = options.get("url", str)
    options.finish()
    return HTTPEnricher(url, **kwargs)


def _enricher(options: Options) -> Enricher:
    kind = options.get("kind", str, "function")
    if kind == "http":
        return _http_enricher(options)
    if kind != "function":
        raise ConfigurationError(
            f"{options.where}.kind {kind!r} is not an enricher kind (function, http)"
        )
    target = options.reference("call")
    if isinstance(target, Enricher):  # already one (@enricher): its own settings stand
        options.finish()
        return target
    name = options.get("name", str, None)
    required = options.get("required", bool, True)
    timeout = float(options.get("timeout", (int, float), DEFAULT_ENRICHER_TIMEOUT))
    options.finish()
    return FunctionEnricher(target, name=name, required=required, timeout=timeout)


def _audience(options: Options, base: Path | None) -> Audience:
    name = options.get("name", str)
    ttl = options.get("ttl", (int, float), None)
    # the audience's public encryption key: a JWK (or one-key JWK Set) file
    encrypt_to = options.get("encrypt_to", str, None)
    key_file = None if encrypt_to is None else Path(encrypt_to)
    if key_file is not None and not key_file.is_absolute() and base is not None:
        key_file = base / key_file
    audience = Audience(
        name,
        fields=_strings(options, "fields"),
        profile=_strings(options, "profile"),
        claims=_strings(options, "claims"),
        ttl=None if ttl is None else float(ttl),
        recipients=_strings(options, "recipients"),
        encrypt_to=None if key_file is None else Encrypter(key_file),
    )
    options.finish()
    return audience


def _route(options: Options) -> tuple[str, Upstream]:
    prefix = options.get("prefix", str)
    upstream = Upstream(
        options.get("upstream", str),
        audience=options.get("audience", str, None),
        strip_prefix=options.get("strip_prefix", bool, False),
        timeout=float(options.get("timeout", (int, float), DEFAULT_UPSTREAM_TIMEOUT)),
    )
    options.finish()
    return prefix, upstream


@dataclass(frozen=True)
class Listener:
    """An address to serve on."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://host:port`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class EdgeApps:
    """The ASGI apps an edge file describes, sharing one :class:`Edge` and ring file.

    ``main`` is served on the command line's ``--host``/``--port``; ``mint``, with both
    modes on, is the mint endpoint for :attr:`EdgeConfig.mint_listener`.
    """

    main: EdgeGateway
    mint: EdgeGateway | None = None


def _listener(data: Options, modes: frozenset[str]) -> Listener | None:
    table = data.get("mint_listener", dict, None)
    both = modes == MODES
    if table is None:
        if both:
            raise ConfigurationError(
                "mode ['gateway', 'mint'] needs a [mint_listener] table (host, port): the mint "
                "endpoint answers with passports, so it never shares the clients' listener"
            )
        return None
    if not both:
        raise ConfigurationError(
            "mint_listener is only for mode ['gateway', 'mint']; with one mode, --host and "
            "--port are its listener"
        )
    options = Options("mint_listener", table)
    host = options.get("host", str, "127.0.0.1")
    port = options.get("port", int)
    options.finish()
    if not host:
        raise ConfigurationError("mint_listener.host must not be empty")
    if not 0 <= port <= 65535:
        raise ConfigurationError("mint_listener.port must be between 0 and 65535")
    return Listener(host, port)


@dataclass(frozen=True)
class RevocationSettings:
    """``[revocation]``: the shared store the edge checks credentials against."""

    redis_url: str
    fail_open: bool = False


def _revocation(data: Options) -> RevocationSettings | None:
    table = data.get("revocation", dict, None)
    if table is None:
        return None
    options = Options("revocation", table)
    url = options.get("redis_url", str)
    fail_open = options.get("fail_open", bool, False)
    options.finish()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            "revocation.redis_url must be a redis://, rediss:// or unix:// URL"
        )
    return RevocationSettings(url, fail_open)


def _modes(data: Options) -> frozenset[str]:
    raw = data.get("mode", (str, list), "gateway")
    chosen = [raw] if isinstance(raw, str) else raw
    if not chosen or not all(isinstance(item, str) and item in MODES for item in chosen):
        raise ConfigurationError(f"mode must be one or both of {', '.join(sorted(MODES))}")
    return frozenset(chosen)


@dataclass(frozen=True)
class EdgeConfig:
    """An edge described by a configuration file: build it with :meth:`gateway`."""

    issuer: str
    ring_path: Path
    ttl: float
    max_ttl: float | None
    cache_max_age: float | None
    modes: frozenset[str]
    auth_path: str
    realm: str
    authenticators: tuple[Authenticator, ...]
    enrichers: tuple[Enricher, ...]
    audiences: tuple[Audience, ...]
    routes: Mapping[str, Upstream]
    #: the file's own tables, for :meth:`describe`
    source: Mapping[str, Any]
    #: where the mint endpoint listens when both modes are on (else ``None``)
    mint_listener: Listener | None = None
    #: header names stripped from clients besides the passport's and Passport-Action
    extra_strip_headers: tuple[str, ...] = ()
    #: passports also travel as ``Authorization: Bearer``: the size budget fits that line
    forwarded_as_bearer: bool = False
    #: the gateway also forwards the caller's own credential (:class:`EdgeGateway`)
    forward_credentials: bool = False
    #: the gateway keeps a client's ``X-Forwarded-*`` / ``Forwarded`` (:class:`EdgeGateway`)
    trust_forwarded: bool = False
    #: ``[revocation]``: revoked subjects' and sessions' credentials are refused
    revocation: RevocationSettings | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: Path | None = None) -> EdgeConfig:
        """Read a parsed ``edge.toml``; relative paths are relative to ``base``."""
        top = Options("edge", data)
        issuer = top.get("issuer", str)
        ring = Path(top.get("ring", str))
        if not ring.is_absolute() and base is not None:
            ring = base / ring
        ttl = float(top.get("ttl", (int, float), DEFAULT_TTL))
        max_ttl = top.get("max_ttl", (int, float), None)
        cache_max_age = top.get("cache_max_age", (int, float), None)
        modes = _modes(top)
        mint_listener = _listener(top, modes)
        extra_strip_headers = _strings(top, "extra_strip_headers") or ()
        forwarded_as_bearer = top.get("forwarded_as_bearer", bool, False)
        forward_credentials = top.get("forward_credentials", bool, False)
        trust_forwarded = top.get("trust_forwarded", bool, False)
        revocation = _revocation(top)
        auth_path = top.get("auth_path", str, "/auth")
        realm = top.get("realm", str, "edge")
        authenticators = tuple(_authenticator(t) for t in _tables(top, "authenticators"))
        enrichers = tuple(_enricher(t) for t in _tables(top, "enrichers"))
        audiences = tuple(_audience(t, base) for t in _tables(top, "audiences"))
        routes: dict[str, Upstream] = {}
        for table in _tables(top, "routes"):
            prefix, upstream = _route(table)
            if prefix in routes:
                raise ConfigurationError(f"route prefix {prefix!r} is configured twice")
            routes[prefix] = upstream
        top.finish()
        if not authenticators:
            raise ConfigurationError("an edge needs at least one [[authenticators]] table")
        if not audiences:
            raise ConfigurationError("an edge needs at least one [[audiences]] table")
        if "gateway" in modes and not routes:
            raise ConfigurationError("mode 'gateway' needs at least one [[routes]] table")
        return cls(
            issuer=issuer,
            ring_path=ring,
            ttl=ttl,
            max_ttl=None if max_ttl is None else float(max_ttl),
            cache_max_age=None if cache_max_age is None else float(cache_max_age),
            modes=modes,
            auth_path=auth_path,
            realm=realm,
            authenticators=authenticators,
            enrichers=enrichers,
            audiences=audiences,
            routes=routes,
            source=dict(data),
            mint_listener=mint_listener,
            extra_strip_headers=extra_strip_headers,
            forwarded_as_bearer=forwarded_as_bearer,
            forward_credentials=forward_credentials,
            trust_forwarded=trust_forwarded,
            revocation=revocation,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EdgeConfig:
        """Read and check ``edge.toml`` at ``path``."""
        file = Path(path)
        return cls.from_mapping(read_toml(file), base=file.resolve().parent)

    def ring(self) -> KeyRing:
        """The key ring saved at :attr:`ring_path`."""
        try:
            return KeyRing.load(self.ring_path)
        except PassportError:
            raise
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the ring file {self.ring_path}") from exc

    def edge(self, ring: KeyRing) -> Edge:
        """The :class:`Edge` this file describes, signing with ``ring``."""
        max_ttl = self.max_ttl if self.max_ttl is not None else min(3600.0, ring.max_token_lifetime)
        minter = Minter(ring, issuer=self.issuer, default_ttl=self.ttl, max_ttl=max_ttl)
        return Edge(
            minter,
            authenticators=self.authenticators,
            enrichers=self.enrichers,
            audiences=self.audiences,
            cache_max_age=self.cache_max_age,
            extra_strip_headers=self.extra_strip_headers,
            forwarded_as_bearer=self.forwarded_as_bearer,
            revocations=self._revocations(),
        )

    def _described_revocation(self) -> dict[str, Any] | None:
        if self.revocation is None:
            return None
        url = _redacted_url(self.revocation.redis_url)
        return {"redis_url": url, "fail_open": self.revocation.fail_open}

    def _revocations(self) -> RevocationStore | None:
        if self.revocation is None:
            return None
        from passport_core.revocation.redis_store import RedisRevocations  # noqa: PLC0415

        store = RedisRevocations.from_url(
            self.revocation.redis_url, fail_open=self.revocation.fail_open
        )
        store.start()
        return store

    def apps(self) -> EdgeApps:
        """The ASGI apps: the gateway or the mint endpoint, or with both modes one of
        each (never on one app, see :class:`EdgeGateway`); both follow the ring file."""
        ring = self.ring()
        edge = self.edge(ring)
        cache = edge.cache
        follower = RingFile(
            ring, self.ring_path, on_reload=cache.clear if cache is not None else None
        )

        def app(*, routes: Mapping[str, Upstream], mint: bool) -> EdgeGateway:
            return EdgeGateway(
                edge,
                routes=routes,
                mint_endpoint=mint,
                auth_path=self.auth_path,
                ring_file=follower,
                realm=self.realm,
                forward_credentials=self.forward_credentials,
                trust_forwarded=self.trust_forwarded,
            )

        if "gateway" not in self.modes:
            return EdgeApps(app(routes={}, mint=True))
        mint = app(routes={}, mint=True) if "mint" in self.modes else None
        return EdgeApps(app(routes=self.routes, mint=False), mint)

    def gateway(self) -> EdgeGateway:
        """The app for the main listener (:attr:`EdgeApps.main` of :meth:`apps`)."""
        return self.apps().main

    def describe(self, ring: KeyRing | None = None) -> dict[str, Any]:
        """The effective configuration, defaults filled in, nothing secret."""
        out: dict[str, Any] = {
            "issuer": self.issuer,
            "ring": {"path": str(self.ring_path)},
            "ttl": self.ttl,
            "max_ttl": self.max_ttl,
            "cache_max_age": self.cache_max_age,
            "mode": sorted(self.modes),
            "extra_strip_headers": sorted(self.extra_strip_headers),
            "forwarded_as_bearer": self.forwarded_as_bearer,
            "forward_credentials": self.forward_credentials,
            "trust_forwarded": self.trust_forwarded,
            "revocation": None
            if self.revocation is None
            else {
                "redis_url": _redacted_url(self.revocation.redis_url),
                "fail_open": self.revocation.fail_open,
            },
            "auth_path": self.auth_path if "mint" in self.modes else None,
            "mint_listener": None
            if self.mint_listener is None
            else {"host": self.mint_listener.host, "port": self.mint_listener.port},
            "authenticators": [
                {"name": a.name, **_redacted(dict(table))}
                for a, table in zip(
                    self.authenticators, _source(self.source, "authenticators"), strict=True
                )
            ],
            "enrichers": [
                {"name": e.name, "required": e.required, "timeout": e.timeout}
                for e in self.enrichers
            ],
            "audiences": [
                {
                    "name": a.name,
                    "recipients": list(a.recipients),
                    "fields": None if a.fields is None else sorted(a.fields),
                    "profile": None if a.profile is None else sorted(a.profile),
                    "claims": None if a.claims is None else sorted(a.claims),
                    "ttl": a.ttl,
                    "encrypted_to": None if a.encrypter is None else a.encrypter.kid,
                }
                for a in self.audiences
            ],
            "routes": [
                {
                    "prefix": prefix,
                    "upstream": u.url,
                    "audience": u.audience or self.audiences[0].name,
                    "strip_prefix": u.strip_prefix,
                    "timeout": u.timeout,
                }
                for prefix, u in self.routes.items()
            ],
        }
        if ring is not None:
            out["ring"]["published"] = [key["kid"] for key in ring.public_jwks()["keys"]]
            out["ring"]["active"] = ring.active.kid
        return out


def _source(data: Mapping[str, Any], name: str) -> Sequence[Mapping[str, Any]]:
    items = data.get(name, [])
    return [item for item in items if isinstance(item, Mapping)]
