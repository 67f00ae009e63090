"""Forwarding the current passport on outbound HTTP calls (httpx, sync and async).

A passport goes only to hosts on an explicit allow-list: the default list is
empty, so nothing leaks to a third-party host by accident. httpx strips only
``Authorization`` on a cross-origin redirect, not custom headers, so the
clients built here also drop the passport on any redirect that leaves the
origin it was attached for.

With an :class:`~passport_core.exchange.ExchangeClient` and per-host
``audiences``, a request to such a host carries a passport exchanged for that
host's audience (RFC 8693) instead of the caller's full one. A host with an
audience is allowed by that entry: it only ever receives a passport narrowed
to itself. If the exchange fails the request is not sent (the error is
raised): the full passport is never sent instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Iterable, Mapping
from typing import Any

import httpx

from passport_core.context import get_passport
from passport_core.dpop.binding import passport_jkt
from passport_core.errors import ConfigurationError, PassportError
from passport_core.exchange.cache import Exchanged
from passport_core.exchange.client import ExchangeClient
from passport_core.inbound.extraction import DEFAULT_HEADER
from passport_core.keys.key import Key
from passport_core.keys.thumbprint import jwk_thumbprint
from passport_core.outbound.proof import attach_proof, refresh_proof
from passport_core.passport import Passport

__all__ = [
    "HostAllowList",
    "HostAudiences",
    "PassportAuth",
    "passport_async_client",
    "passport_client",
]

_ORIGIN_KEY = "passport_core.origin"
_ATTACHED_KEY = "passport_core.attached"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_and_port(entry: str) -> tuple[str, int | None]:
    """Split ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 address."""
    if entry.startswith("["):
        host, closed, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
        if not closed or (rest and port is None):
            raise ConfigurationError(f"invalid allowed host {entry!r}")
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, None
    if not host or (port is not None and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ConfigurationError(f"invalid allowed host {entry!r}")
    return host, int(port) if port is not None else None


class HostAllowList:
    """Host names that may receive a passport.

    Entries are exact host names (``orders.internal``), ``host:port`` pairs
    (``[::1]:8000`` for IPv6; a default port matches a URL that omits it), or
    ``*.suffix`` (optionally with a port) for every subdomain of ``suffix``.
    Matching ignores case.
    """

    def __init__(self, hosts: Iterable[str]) -> None:
        if isinstance(hosts, str):
            raise ConfigurationError("allowed hosts must be a list of host names, not one string")
        self._exact: set[tuple[str, int | None]] = set()
        self._suffixes: list[tuple[str, int | None]] = []
        for raw in hosts:
            entry = raw.strip().lower()
            if not entry or "/" in entry or entry == "*":
                raise ConfigurationError(f"invalid allowed host {entry!r}")
            host, port = _host_and_port(entry)
            if host.startswith("*."):
                if "*" in host[2:] or len(host) < 3:
                    raise ConfigurationError(f"invalid allowed host {entry!r}")
                self._suffixes.append((host[1:], port))
            elif "*" in host:
                raise ConfigurationError(f"invalid allowed host {entry!r}")
            else:
                self._exact.add((host, port))

    def allows(self, url: httpx.URL) -> bool:
        host = url.host.lower()
        port = url.port or _DEFAULT_PORTS.get(url.scheme)
        if (host, None) in self._exact or (host, port) in self._exact:
            return True
        return any(
            host.endswith(suffix) and wanted in (None, port) for suffix, wanted in self._suffixes
        )

    def __bool__(self) -> bool:
        return bool(self._exact or self._suffixes)


class HostAudiences:
    """The exchange audience of each host: ``{"orders.internal": "orders", "billing:8443": ...}``.

    Keys are written like :class:`HostAllowList` entries. A ``host:port`` entry
    wins over a bare host, and an exact host over a ``*.suffix``.
    """

    def __init__(self, audiences: Mapping[str, str]) -> None:
        if not isinstance(audiences, Mapping):
            raise ConfigurationError("audiences must map host names to audiences")
        entries: list[tuple[int, int, HostAllowList, str]] = []
        for host, audience in audiences.items():
            if not isinstance(host, str) or not isinstance(audience, str) or not audience:
                raise ConfigurationError(f"invalid exchange audience for host {host!r}")
            matcher = HostAllowList([host])
            wildcard = host.strip().startswith("*.")
            has_port = _host_and_port(host.strip().lower())[1] is not None
            rank = (2 if wildcard else 0) + (0 if has_port else 1)
            # The most specific entry wins: exact before wildcard, and the longer suffix of
            # two wildcards (*.billing.internal before *.internal), else a host would get a
            # passport for the broader audience, replayable at every service of that one.
            entries.append((rank, -len(host.strip()), matcher, audience))
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        self._entries = [(matcher, audience) for _, _, matcher, audience in entries]

    def audience(self, url: httpx.URL) -> str | None:
        for matcher, audience in self._entries:
            if matcher.allows(url):
                return audience
        return None

    def __bool__(self) -> bool:
        return bool(self._entries)


class PassportAuth(httpx.Auth):
    """Attaches a passport to requests bound for allowed hosts.

    By default the passport is the one of the request being served
    (:func:`~passport_core.get_passport`); pass ``passport=`` to send a
    specific one, e.g. from a background job that was handed it.

    With ``exchange`` and ``audiences``, a host that has an audience gets a
    passport exchanged for it (see the module docstring); other hosts get the
    caller's passport only if they are in ``allowed_hosts``.

    Use it through :func:`passport_client` / :func:`passport_async_client`,
    or add :meth:`request_hook` to your client's ``event_hooks["request"]``
    if that client follows redirects.

    With ``proof_key`` (the private key a sender-constrained passport's ``cnf``
    names), every request the caller's bound passport goes on also carries a
    fresh DPoP proof (RFC 9449 §4), redirected requests included (through
    :meth:`request_hook`). An exchanged passport bound to the exchange client's
    ``proof_key`` gets its proof the same way. With ``bearer=True`` a bound
    passport is sent as ``Authorization: DPoP <passport>`` (RFC 9449 §7.1).
    """

    def __init__(
        self,
        allowed_hosts: Iterable[str],
        *,
        header: str = DEFAULT_HEADER,
        bearer: bool = False,
        passport: Passport | None = None,
        exchange: ExchangeClient | None = None,
        audiences: Mapping[str, str] | None = None,
        proof_key: Key | None = None,
    ) -> None:
        self.allowed = HostAllowList(allowed_hosts)
        if proof_key is not None and (not proof_key.is_private or proof_key.is_symmetric):
            raise ConfigurationError("proof_key must be an asymmetric private key")
        self.proof_key = proof_key
        self._proof_jkt = None if proof_key is None else jwk_thumbprint(proof_key)
        self.audiences = HostAudiences(audiences or {})
        if self.audiences and exchange is None:
            raise ConfigurationError("exchange audiences need an exchange client")
        if exchange is not None and not isinstance(exchange, ExchangeClient):
            raise ConfigurationError("exchange must be an ExchangeClient")
        self.exchange = exchange
        self.header = "Authorization" if bearer else header
        self._bearer = bearer
        self._passport = passport

    def _value(self, token: str, proven: bool) -> str:
        if not self._bearer:
            return token
        return f"DPoP {token}" if proven else f"Bearer {token}"

    def _plan(self, request: httpx.Request) -> tuple[Passport, str | None] | None:
        """The passport to send and the audience to exchange it for, or None to send nothing."""
        passport = self._passport or get_passport()
        # A header the caller set itself (its own credentials) is theirs: never replaced.
        if passport is None or self.header in request.headers:
            return None
        audience = self.audiences.audience(request.url)
        if audience is None and not self.allowed.allows(request.url):
            return None
        return passport, audience

    def _attach(self, request: httpx.Request, token: str, proof_key: Key | None) -> None:
        value = self._value(token, proof_key is not None)
        request.headers[self.header] = value
        # Redirect requests share this dict (httpx copies extensions by reference).
        request.extensions[_ORIGIN_KEY] = _origin(request.url)
        request.extensions[_ATTACHED_KEY] = value
        if proof_key is not None:
            attach_proof(request, proof_key, token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        plan = self._plan(request)
        if plan is not None:
            passport, audience = plan
            if audience is not None and self.exchange is not None:
                exchanged = self.exchange.exchange(passport, audience)
                self._attach(request, exchanged.token, self._exchanged_key(exchanged))
            else:
                self._attach(request, passport.token, self._own_key(passport))
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        plan = self._plan(request)
        if plan is not None:
            passport, audience = plan
            if audience is not None and self.exchange is not None:
                # The async twin: the event loop is never blocked on the token service.
                exchanged = await self.exchange.aexchange(passport, audience)
                self._attach(request, exchanged.token, self._exchanged_key(exchanged))
            else:
                self._attach(request, passport.token, self._own_key(passport))
        yield request

    def _exchanged_key(self, exchanged: Exchanged) -> Key | None:
        # The exchange client made the token service bind it to its proof key.
        return self.exchange.proof_key if exchanged.bound and self.exchange else None

    def _own_key(self, passport: Passport) -> Key | None:
        # Only the holder of the key a passport names can prove it: a passport bound to
        # another key (the caller's) gets no proof of ours, which could only be refused.
        if self.proof_key is None:
            return None
        try:
            bound = passport_jkt(passport) == self._proof_jkt
        except PassportError:
            bound = False
        return self.proof_key if bound else None

    def _may_receive(self, url: httpx.URL) -> bool:
        return self.allowed.allows(url) or self.audiences.audience(url) is not None

    def request_hook(self, request: httpx.Request) -> None:
        """Drop the passport we attached from a request that left its origin or the allow-list."""
        attached = request.extensions.get(_ATTACHED_KEY)
        if attached is None:
            return  # nothing of ours on this request
        if request.headers.get(self.header) != attached:
            # Our passport is gone (httpx strips Authorization on a cross-origin redirect):
            # the proof made for it must go too, or it would reach the other origin.
            refresh_proof(request, keep=False)
            return
        keep = request.extensions.get(_ORIGIN_KEY) == _origin(request.url) and self._may_receive(
            request.url
        )
        if not keep:
            del request.headers[self.header]
        refresh_proof(request, keep=keep)

    async def async_request_hook(self, request: httpx.Request) -> None:
        self.request_hook(request)


def passport_client(
    allowed_hosts: Iterable[str],
    *,
    header: str = DEFAULT_HEADER,
    bearer: bool = False,
    passport: Passport | None = None,
    exchange: ExchangeClient | None = None,
    audiences: Mapping[str, str] | None = None,
    proof_key: Key | None = None,
    **client_options: Any,
) -> httpx.Client:
    """An ``httpx.Client`` that forwards the current passport to ``allowed_hosts`` only.

    With ``exchange`` and ``audiences``, hosts with an audience get an exchanged passport.
    """
    auth = PassportAuth(
        allowed_hosts,
        header=header,
        bearer=bearer,
        passport=passport,
        exchange=exchange,
        audiences=audiences,
        proof_key=proof_key,
    )
    hooks = dict(client_options.pop("event_hooks", None) or {})
    hooks["request"] = [auth.request_hook, *hooks.get("request", [])]
    return httpx.Client(auth=auth, event_hooks=hooks, **client_options)


def passport_async_client(
    allowed_hosts: Iterable[str],
    *,
    header: str = DEFAULT_HEADER,
    bearer: bool = False,
    passport: Passport | None = None,
    exchange: ExchangeClient | None = None,
    audiences: Mapping[str, str] | None = None,
    proof_key: Key | None = None,
    **client_options: Any,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that forwards the current passport to ``allowed_hosts`` only.

    With ``exchange`` and ``audiences``, hosts with an audience get an exchanged passport.
    """
    auth = PassportAuth(
        allowed_hosts,
        header=header,
        bearer=bearer,
        passport=passport,
        exchange=exchange,
        audiences=audiences,
        proof_key=proof_key,
    )
    hooks = dict(client_options.pop("event_hooks", None) or {})
    hooks["request"] = [auth.async_request_hook, *hooks.get("request", [])]
    return httpx.AsyncClient(auth=auth, event_hooks=hooks, **client_options)
