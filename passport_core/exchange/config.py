"""``sts.toml``: one file that describes a token service, read strictly.

::

    issuer = "https://sts.example"          # the iss of what it issues; assertions' aud
    token_endpoint = "https://sts.example/token"   # also accepted as an assertion's aud
    ring = "sts-ring.json"                  # a `passport ring` file (followed while serving)
    ttl = 300                               # issued passports' default lifetime, seconds
    max_depth = 4                           # most actors in an issued passport's act chain

    [trusted]                               # issuers whose passports may be exchanged
    "https://edge.example" = { jwks = "edge-jwks.json" }     # or { jwks_url = "https://..." }

    [tls]                                   # mutual TLS behind a proxy (default: off)
    client_cert_header = "Client-Cert"      # where the proxy forwards a verified certificate
    format = "rfc9440"                      # or "nginx-escaped-pem" ($ssl_client_escaped_cert)
    unverified_cert_header = "Client-Cert-Unverified"  # optional: optional_no_ca listeners

    [[clients]]                             # the services that may call it
    client_id = "orders"
    jwks = "orders-jwks.json"               # or jwks_url: its public keys
    audience = "orders"                     # its name in aud (default: client_id)
    targets = ["billing"]                   # audiences it may ask for
    scopes = ["billing:charge"]             # scopes it may ask for (default: any)
    dpop_bound_access_tokens = true         # refuse its requests without a DPoP proof
    auth_method = "private_key_jwt"         # or "tls_client_auth", "self_signed_tls_client_auth"
    # tls_client_auth: exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns,
    # tls_client_auth_san_uri, tls_client_auth_san_ip, tls_client_auth_san_email (no jwks needed)

    [[audiences]]                           # what it issues for: edge.toml's shaping, and
    name = "billing"
    fields = ["scopes", "tenant"]
    scopes = ["billing:charge"]             # the scopes this audience may get (default: any)
    resources = ["https://billing.example/api"]   # RFC 8707 resource URIs naming it

    [dpop]                                  # proofs on exchange requests (RFC 9449 §5)
    max_age = 60                            # seconds a proof may be old
    redis_url = "redis://127.0.0.1:6379/0"  # share used proofs across instances

    [txn_tokens]                            # also a Txn-Token Service (transaction tokens -10)
    trust_domain = "trust-domain.example"   # the aud of every Txn-Token
    ttl = 60                                # a Txn-Token's lifetime, seconds (at most 300)
    max_chain = 8                           # most workloads in a replacement's req_wl

    [[txn_tokens.workloads]]                # the [[clients]] that may obtain Txn-Tokens
    client_id = "gateway"
    scopes = ["trade.stocks"]               # the purposes it may ask for
    subject_token_types = ["access_token", "jwt", "txn_token"]   # also self_signed, unsigned_json

A request with a DPoP proof gets a passport bound to the proof's key; the proof's
``htu`` is ``token_endpoint`` when set, else the URL the request arrived at.
With ``[txn_tokens]`` the same endpoint answers Txn-Token Requests, and ``[[audiences]]``
may be left out (a Txn-Token Service only).
Every unknown key is an error that names it; relative paths are relative to the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passport_core.dpop.proof import ProofVerifier
from passport_core.dpop.redis_replay import RedisReplayCache
from passport_core.dpop.replay import ReplayCache
from passport_core.edge.audience import Audience
from passport_core.edge.authenticators.kinds import Options
from passport_core.edge.ring_file import RingFile
from passport_core.edge.tomlfile import read_toml
from passport_core.errors import ConfigurationError, PassportError
from passport_core.exchange.clients import ClientRegistry, ServiceClient
from passport_core.exchange.endpoint import TokenExchangeEndpoint
from passport_core.exchange.mtls import (
    AUTH_METHODS,
    CERT_FORMATS,
    PRIVATE_KEY_JWT,
    SUBJECT_FIELDS,
    TLS_CLIENT_AUTH,
    CertificateSubject,
    ClientCertHeader,
)
from passport_core.exchange.rules import DEFAULT_MAX_DEPTH, ExchangeRules
from passport_core.exchange.service import TokenService
from passport_core.exchange.txn_service import DEFAULT_MAX_CHAIN, TxnTokenService, TxnWorkload
from passport_core.keys import KeyRing, KeysLike, RemoteJWKS, load_jwks
from passport_core.mint import DEFAULT_TTL, Minter
from passport_core.txntoken import DEFAULT_TXN_TTL

__all__ = ["StsConfig", "TxnTokensConfig"]


def _strings(options: Options, name: str) -> tuple[str, ...] | None:
    value = options.get(name, list, None)
    if value is None:
        return None
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f"{options.where}.{name} must be a list of non-empty strings")
    return tuple(value)


def _client_keys(options: Options, base: Path | None, auth_method: str) -> KeysLike | None:
    # tls_client_auth is matched by the certificate's subject: its keys are optional
    if auth_method == TLS_CLIENT_AUTH and "jwks" not in options and "jwks_url" not in options:
        return None
    return _keys(options, base)


def _keys(options: Options, base: Path | None) -> KeysLike:
    url = options.get("jwks_url", str, None)
    path = options.get("jwks", str, None)
    if (url is None) == (path is None):
        raise ConfigurationError(f"{options.where} needs exactly one of jwks, jwks_url")
    if url is not None:
        return RemoteJWKS(url)
    file = Path(path)
    if not file.is_absolute() and base is not None:
        file = base / file
    try:
        return load_jwks(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{options.where}.jwks: cannot read {file}") from exc
    except PassportError as exc:
        raise ConfigurationError(f"{options.where}.jwks: {exc.message}") from exc


def _subject(options: Options, auth_method: str) -> CertificateSubject | None:
    given = [(name, options.get(name, str)) for name in SUBJECT_FIELDS if name in options]
    if auth_method != TLS_CLIENT_AUTH:
        if given:
            raise ConfigurationError(f"{options.where}.{given[0][0]} is for tls_client_auth only")
        return None
    if len(given) != 1:
        raise ConfigurationError(
            f"{options.where}: tls_client_auth needs exactly one of {', '.join(SUBJECT_FIELDS)}"
        )
    name, value = given[0]
    try:
        return CertificateSubject(name, value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{options.where}.{name}: {exc.message}") from exc


def _tls(top: Options) -> ClientCertHeader | None:
    if "tls" not in top:
        return None
    table = Options("tls", top.get("tls", dict))
    name = table.get("client_cert_header", str)
    cert_format = table.get("format", str)
    if cert_format not in CERT_FORMATS:
        raise ConfigurationError(f"tls.format must be one of {', '.join(CERT_FORMATS)}")
    unverified = table.get("unverified_cert_header", str, None)
    table.finish()
    try:
        return ClientCertHeader(name, cert_format, unverified_name=unverified)
    except ConfigurationError as exc:
        raise ConfigurationError(f"tls: {exc.message}") from exc


def _tables(data: Options, name: str) -> list[Options]:
    items = data.get(name, list, [])
    return [Options(f"{name}[{index}]", item) for index, item in enumerate(items)]


@dataclass(frozen=True)
class TxnTokensConfig:
    """The ``[txn_tokens]`` table: the Txn-Token Service's trust domain and policy."""

    trust_domain: str
    ttl: int
    max_chain: int
    workloads: tuple[TxnWorkload, ...]

    @classmethod
    def from_table(cls, table: Options) -> TxnTokensConfig:
        """Read ``[txn_tokens]`` strictly (an unknown key is an error naming it)."""
        trust_domain = table.get("trust_domain", str)
        ttl = table.get("ttl", int, int(DEFAULT_TXN_TTL))
        max_chain = table.get("max_chain", int, DEFAULT_MAX_CHAIN)
        workloads = []
        for index, item in enumerate(table.get("workloads", list, [])):
            entry = Options(f"txn_tokens.workloads[{index}]", item)
            workloads.append(
                TxnWorkload(
                    entry.get("client_id", str),
                    scopes=_strings(entry, "scopes") or (),
                    subject_token_types=_strings(entry, "subject_token_types")
                    or ("access_token", "jwt", "txn_token"),
                )
            )
            entry.finish()
        table.finish()
        if not workloads:
            raise ConfigurationError("txn_tokens needs at least one [[txn_tokens.workloads]]")
        return cls(trust_domain, ttl, max_chain, tuple(workloads))

    def service(self, tokens: TokenService, identifiers: tuple[str, ...]) -> TxnTokenService:
        """The :class:`TxnTokenService` over ``tokens`` (its ring, issuer and clients)."""
        return TxnTokenService(
            tokens,
            trust_domain=self.trust_domain,
            workloads=self.workloads,
            ttl=self.ttl,
            identifiers=identifiers,
            max_chain=self.max_chain,
        )

    def describe(self) -> dict[str, Any]:
        """The effective settings."""
        return {
            "trust_domain": self.trust_domain,
            "ttl": self.ttl,
            "max_chain": self.max_chain,
            "workloads": {
                workload.client_id: {
                    "scopes": sorted(workload.scopes),
                    "subject_token_types": sorted(workload.subject_token_types),
                }
                for workload in self.workloads
            },
        }


@dataclass(frozen=True)
class StsConfig:
    """A token service described by ``sts.toml``: build it with :meth:`endpoint`."""

    issuer: str
    token_endpoint: str | None
    ring_path: Path
    ttl: float
    trusted: Mapping[str, KeysLike]
    clients: tuple[ServiceClient, ...]
    rules: ExchangeRules
    tls: ClientCertHeader | None = None
    proof_max_age: float = 60.0
    proof_redis_url: str | None = None
    txn_tokens: TxnTokensConfig | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: Path | None = None) -> StsConfig:
        """Read a parsed ``sts.toml``; relative paths are relative to ``base``."""
        top = Options("sts", data)
        issuer = top.get("issuer", str)
        token_endpoint = top.get("token_endpoint", str, None)
        ring = Path(top.get("ring", str))
        if not ring.is_absolute() and base is not None:
            ring = base / ring
        ttl = float(top.get("ttl", (int, float), DEFAULT_TTL))
        max_depth = top.get("max_depth", int, DEFAULT_MAX_DEPTH)
        trusted_table = top.get("trusted", dict, {})
        trusted = {
            name: _keys(Options(f"trusted.{name!r}", table), base)
            for name, table in trusted_table.items()
        }
        tls = _tls(top)
        clients = []
        for table in _tables(top, "clients"):
            client_id = table.get("client_id", str)
            auth_method = table.get("auth_method", str, PRIVATE_KEY_JWT)
            if auth_method not in AUTH_METHODS:
                raise ConfigurationError(
                    f"{table.where}.auth_method must be one of {', '.join(AUTH_METHODS)}"
                )
            if auth_method != PRIVATE_KEY_JWT and tls is None:
                raise ConfigurationError(
                    f"{table.where}.auth_method {auth_method} needs a [tls] client_cert_header"
                )
            clients.append(
                ServiceClient(
                    client_id,
                    _client_keys(table, base, auth_method),
                    audience=table.get("audience", str, None),
                    targets=_strings(table, "targets") or (),
                    scopes=_strings(table, "scopes"),
                    dpop_bound_access_tokens=table.get("dpop_bound_access_tokens", bool, False),
                    auth_method=auth_method,
                    tls_subject=_subject(table, auth_method),
                )
            )
            table.finish()
        audiences: list[Audience] = []
        scopes: dict[str, tuple[str, ...]] = {}
        resources: dict[str, str] = {}
        for table in _tables(top, "audiences"):
            name = table.get("name", str)
            audience_ttl = table.get("ttl", (int, float), None)
            audiences.append(
                Audience(
                    name,
                    fields=_strings(table, "fields"),
                    profile=_strings(table, "profile"),
                    claims=_strings(table, "claims"),
                    ttl=None if audience_ttl is None else float(audience_ttl),
                    recipients=_strings(table, "recipients"),
                )
            )
            allowed = _strings(table, "scopes")
            if allowed is not None:
                scopes[name] = allowed
            for uri in _strings(table, "resources") or ():
                resources[uri] = name
            table.finish()
        dpop = Options("dpop", top.get("dpop", dict, {}))
        proof_max_age = float(dpop.get("max_age", (int, float), 60.0))
        if not 0 < proof_max_age <= 600:
            raise ConfigurationError("dpop.max_age must be in (0, 600] seconds")
        proof_redis_url = dpop.get("redis_url", str, None)
        dpop.finish()
        txn_table = top.get("txn_tokens", dict, None)
        txn_tokens = (
            None
            if txn_table is None
            else TxnTokensConfig.from_table(Options("txn_tokens", txn_table))
        )
        top.finish()
        if not clients:
            raise ConfigurationError("a token service needs at least one [[clients]] table")
        if not audiences and txn_tokens is None:
            raise ConfigurationError(
                "a token service needs at least one [[audiences]] table (or [txn_tokens])"
            )
        rules = ExchangeRules(audiences, scopes=scopes, resources=resources, max_depth=max_depth)
        return cls(
            issuer,
            token_endpoint,
            ring,
            ttl,
            trusted,
            tuple(clients),
            rules,
            proof_max_age=proof_max_age,
            proof_redis_url=proof_redis_url,
            tls=tls,
            txn_tokens=txn_tokens,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> StsConfig:
        """Read and check ``sts.toml`` at ``path``."""
        file = Path(path)
        return cls.from_mapping(read_toml(file), base=file.resolve().parent)

    def service(self, ring: KeyRing | None = None) -> TokenService:
        """The :class:`TokenService` this file describes (signing with ``ring``, by default
        the ring file read now)."""
        if ring is None:
            ring = self._ring()
        max_ttl = min(3600.0, ring.max_token_lifetime)
        minter = Minter(ring, issuer=self.issuer, default_ttl=self.ttl, max_ttl=max_ttl)
        registry = ClientRegistry(self.clients, token_service=self._names)
        replay: ReplayCache | None = None
        if self.proof_redis_url is not None:
            replay = RedisReplayCache.from_url(self.proof_redis_url)
        proofs = ProofVerifier(max_age=self.proof_max_age, replay=replay)
        return TokenService(minter, registry, self.rules, trusted=self.trusted, proofs=proofs)

    def _ring(self) -> KeyRing:
        try:
            return KeyRing.load(self.ring_path)
        except PassportError:
            raise
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the ring file {self.ring_path}") from exc

    @property
    def _names(self) -> tuple[str, ...]:
        # what assertions (and self-signed subject tokens) may name as their aud
        return (self.issuer, *([self.token_endpoint] if self.token_endpoint else []))

    def endpoint(self) -> TokenExchangeEndpoint:
        """The ASGI app serving :meth:`service` (and the Txn-Token Service, if configured),
        following the ring file (``passport ring`` steps show without a restart)."""
        ring = self._ring()
        service = self.service(ring)
        txn = None if self.txn_tokens is None else self.txn_tokens.service(service, self._names)
        return TokenExchangeEndpoint(
            service,
            url=self.token_endpoint,
            ring_file=RingFile(ring, self.ring_path),
            client_cert=self.tls,
            txn_tokens=txn,
        )

    def describe(self) -> dict[str, Any]:
        """The effective configuration (public keys and names only: nothing secret)."""
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "ring": str(self.ring_path),
            "ttl": self.ttl,
            "max_depth": self.rules.max_depth,
            "trusted": sorted(self.trusted),
            "tls": None
            if self.tls is None
            else {
                "client_cert_header": self.tls.name,
                "format": self.tls.format,
                "unverified_cert_header": self.tls.unverified_name,
            },
            "clients": {
                client.client_id: {
                    "audience": client.audience,
                    "targets": sorted(client.targets),
                    "scopes": None if client.scopes is None else sorted(client.scopes),
                    "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
                    "auth_method": client.auth_method,
                    **(
                        {}
                        if client.tls_subject is None
                        else {client.tls_subject.field: client.tls_subject.value}
                    ),
                }
                for client in self.clients
            },
            "audiences": sorted(self.rules.audiences),
            # the Redis URL may carry a password: only whether one is used
            "dpop": {
                "max_age": self.proof_max_age,
                "shared_replay": self.proof_redis_url is not None,
            },
            "txn_tokens": None if self.txn_tokens is None else self.txn_tokens.describe(),
        }
