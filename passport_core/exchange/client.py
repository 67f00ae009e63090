"""The token exchange client: trade a passport for a narrower one (RFC 8693 §2).

A service calling the next one asks its token service for a passport whose
audience is that next service only, authenticating itself as an OAuth client
(``private_key_jwt``, RFC 7523; or mutual TLS, RFC 8705 §2). Exchanged passports
are cached until shortly before they expire and concurrent asks for the same one
share one round trip, so the exchange costs one request per (caller's passport,
audience, scope) and lifetime.

Failures are bounded: the token service down, slow, or answering something
that is not an exchange is :class:`~passport_core.errors.ExchangeUnavailable`
(503) within ``timeout``; a refusal (RFC 6749 §5.2 error JSON) is
:class:`~passport_core.errors.ExchangeRefused` (403) carrying the RFC
``error``. Neither message holds a token.

With ``proof_key`` every exchange request carries a DPoP proof (RFC 9449 §5) and the
token service must answer with a passport bound to that key (``token_type``
``DPoP``); a bearer answer is refused, so binding never silently lapses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from passport_core.dpop.proof import DPOP_HEADER, make_proof
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.errors import (
    ConfigurationError,
    ExchangeRefused,
    ExchangeUnavailable,
    PassportError,
)
from passport_core.exchange.cache import CacheKey, ExchangeCache, Exchanged, cache_key
from passport_core.exchange.request import JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT
from passport_core.http.fetcher import (
    DEFAULT_MAX_BYTES,
    BoundedFetcher,
    Fetched,
    RequestBody,
    check_limits,
)
from passport_core.http.urls import checked_url
from passport_core.keys.key import Key
from passport_core.keys.thumbprint import jwk_thumbprint
from passport_core.passport import Passport
from passport_core.token.compact import split_compact
from passport_core.token.encoding import json_loads_object

__all__ = ["ExchangeClient", "Exchanged"]

DEFAULT_EXCHANGE_TIMEOUT = 3.0
DEFAULT_CACHE_SIZE = 1024
#: RFC 6749 §5.2: error is NQSCHAR, no quote and no backslash
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}")
#: RFC 6749 §5.2: 400 for most errors, 401 for invalid_client; 403 is what some servers send
_REFUSED = (400, 401, 403)
_ANSWERS = (200, *_REFUSED)
_JSON = "application/json"


#: the statuses a token endpoint answers with a JSON body (RFC 6749 §5.1, §5.2)
TOKEN_ANSWERS = _ANSWERS


def token_answer(fetched: Fetched, what: str) -> dict[str, Any]:
    """A token endpoint's 200 JSON object, or the error it answered (RFC 6749 §5.2).

    A refusal is :class:`~passport_core.errors.ExchangeRefused` carrying the RFC
    ``error``; anything that is no answer of a token endpoint is
    :class:`~passport_core.errors.ExchangeUnavailable`. ``what`` names the request.
    """
    try:
        # Strict I-JSON with a bounded depth: a hostile answer nesting brackets
        # 100,000 deep is an error of ours, not a RecursionError.
        document = json_loads_object(fetched.body, "token service's answer")
    except PassportError as exc:
        raise ExchangeUnavailable(
            f"the token service answered HTTP {fetched.status} without a JSON object"
        ) from exc
    if fetched.status != 200:
        error = document.get("error")
        if not isinstance(error, str) or not _ERROR_CODE.fullmatch(error):
            raise ExchangeUnavailable(
                f"the token service answered HTTP {fetched.status} without an RFC 6749 error"
            )
        # The description is the server's text: not repeated (it may echo input).
        raise ExchangeRefused(f"the token service refused {what}: {error}", error=error)
    return document


class ExchangeClient:
    """Exchanges passports at one token service (RFC 8693), cached and single-flight.

    ``token_endpoint`` is https, or http to loopback. This service
    authenticates there as ``client_id`` with ``private_key_jwt`` (RFC 7523
    §2.2): an assertion signed with ``client_key`` (private, asymmetric) whose
    ``aud`` is ``assertion_audience`` (the token service's issuer) or, by
    default, the endpoint URL (RFC 7523 §3). Each exchange, and each wait for one another
    caller started, ends within ``timeout`` seconds.

    With ``proof_key`` (asymmetric, private) exchanged passports are bound to it: the
    caller then proves each request it sends one on (``PassportAuth`` does).

    Mutual TLS (RFC 8705 §2): pass no ``client_key`` but an ``ssl_context`` holding the
    client certificate; the form then carries ``client_id`` and no assertion
    (RFC 6749 §2.3.1)::

        context = ssl.create_default_context(cafile="ca.pem")
        context.load_cert_chain("orders.pem", "orders-key.pem")
        ExchangeClient("https://sts.internal/token", client_id="orders", ssl_context=context)

    ``ssl_context`` also serves alone to trust another CA with ``private_key_jwt``.
    """

    def __init__(
        self,
        token_endpoint: str,
        *,
        client_id: str,
        client_key: Key | None = None,
        ssl_context: ssl.SSLContext | None = None,
        assertion_audience: str | None = None,
        timeout: float = DEFAULT_EXCHANGE_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        cache_size: int = DEFAULT_CACHE_SIZE,
        margin_ratio: float = 0.1,
        max_margin: float = 30.0,
        allow_insecure: bool = False,
        proof_key: Key | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_endpoint = str(
            checked_url(token_endpoint, allow_insecure=allow_insecure, what="the token endpoint")
        )
        if client_key is None and not isinstance(ssl_context, ssl.SSLContext):
            raise ConfigurationError(
                "give client_key (private_key_jwt) or an ssl_context with the client "
                "certificate (mutual TLS)"
            )
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("client_id must be a non-empty string")
        client_auth = (
            None
            if client_key is None
            else ClientAuth(client_id, method="private_key_jwt", key=client_key)
        )
        check_limits(timeout, max_bytes)
        if not 0 <= margin_ratio < 1 or max_margin < 0:
            raise ConfigurationError("margin_ratio must be in [0, 1) and max_margin >= 0")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigurationError("cache_size must be a non-negative integer")
        if proof_key is not None and (not proof_key.is_private or proof_key.is_symmetric):
            raise ConfigurationError("proof_key must be an asymmetric private key")
        self.client_id = client_id
        #: ``None`` for mutual TLS: the certificate in ``ssl_context`` authenticates
        self.client_auth = client_auth
        self.proof_key = proof_key
        self._proof_jkt = None if proof_key is None else jwk_thumbprint(proof_key)
        self.assertion_audience = assertion_audience or self.token_endpoint
        self.timeout = timeout
        self._clock = clock
        self._http = BoundedFetcher(
            timeout=timeout,
            max_bytes=max_bytes,
            transport=transport,
            async_transport=async_transport,
            error=ExchangeUnavailable,
            what="the token service",
            ssl_context=ssl_context,
        )
        self._cache = ExchangeCache(
            max_entries=cache_size, margin_ratio=margin_ratio, max_margin=max_margin, clock=clock
        )

    # -- the two twins ---------------------------------------------------------------------

    def exchange(
        self, subject: Passport | str, audience: str, *, scope: str | None = None
    ) -> Exchanged:
        """A passport for ``audience`` (and ``scope``) in exchange for ``subject``."""
        token, key = self._key(subject, audience, scope)
        found = self._joined(key)
        if isinstance(found, Exchanged):
            return found
        flight, leader = found
        if not leader:
            try:
                return flight.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                raise self._late() from None
        with self._leading(key, flight) as landed:
            body, headers = self._form(token, audience, scope)
            fetched = self._http.post(
                self.token_endpoint, _JSON, body, headers=headers, ok=_ANSWERS
            )
            landed.append(self._parse(fetched))
        return landed[0]

    async def aexchange(
        self, subject: Passport | str, audience: str, *, scope: str | None = None
    ) -> Exchanged:
        """Like :meth:`exchange`, without blocking the event loop."""
        token, key = self._key(subject, audience, scope)
        found = self._joined(key)
        if isinstance(found, Exchanged):
            return found
        flight, leader = found
        if not leader:
            try:
                # shield: a waiter that gives up leaves the shared future alone.
                return await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(flight)), self.timeout
                )
            except asyncio.TimeoutError:
                raise self._late() from None
        with self._leading(key, flight) as landed:
            body, headers = self._form(token, audience, scope)
            fetched = await self._http.apost(
                self.token_endpoint, _JSON, body, headers=headers, ok=_ANSWERS
            )
            landed.append(self._parse(fetched))
        return landed[0]

    # -- the flight, shared by the twins ---------------------------------------------------

    def _joined(
        self, key: CacheKey
    ) -> Exchanged | tuple[concurrent.futures.Future[Exchanged], bool]:
        """The cached passport, else the flight for ``key`` and whether this call leads it."""
        cached = self._cache.get(key)
        return cached if cached is not None else self._cache.join(key)

    @contextlib.contextmanager
    def _leading(
        self, key: CacheKey, flight: concurrent.futures.Future[Exchanged]
    ) -> Iterator[list[Exchanged]]:
        """Lands the leader's flight: its result (appended by the caller) or its error."""
        landed: list[Exchanged] = []
        try:
            yield landed
        except BaseException as exc:
            # Every waiter gets the leader's error; a cancelled or interrupted leader
            # still releases them, with an error of ours.
            shared = exc if isinstance(exc, PassportError) else self._interrupted()
            self._cache.land(key, flight, shared)
            raise
        self._cache.land(key, flight, landed[0])

    # -- the wire --------------------------------------------------------------------------

    def _key(
        self, subject: Passport | str, audience: str, scope: str | None
    ) -> tuple[str, tuple[bytes, str, str]]:
        token = subject.token if isinstance(subject, Passport) else subject
        if not isinstance(token, str) or not token:
            raise TypeError("subject must be a Passport or a non-empty token string")
        if not isinstance(audience, str) or not audience:
            raise TypeError("audience must be a non-empty string")
        if scope is not None and not isinstance(scope, str):
            raise TypeError("scope must be a string of space-separated scopes")
        return token, cache_key(token, audience, scope)

    def _form(
        self, token: str, audience: str, scope: str | None
    ) -> tuple[RequestBody, Mapping[str, str]]:
        # RFC 8693 §2.1: the request is a form; the subject token's type says it is a JWT.
        fields = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": token,
            "subject_token_type": JWT_TOKEN_TYPE,
            "audience": audience,
            "requested_token_type": JWT_TOKEN_TYPE,
        }
        if scope:
            fields["scope"] = scope
        headers: dict[str, str] = {}
        if self.client_auth is None:  # mutual TLS: the certificate proves who we are
            fields["client_id"] = self.client_id
        else:
            credentials = self.client_auth.credentials(self.assertion_audience, self._clock)
            fields.update(credentials.form)
            headers.update(credentials.headers)
        if self.proof_key is not None:
            # RFC 9449 §5: a proof of this very request, no ath (there is no token yet).
            proof = make_proof(self.proof_key, "POST", self.token_endpoint, iat=self._clock())
            headers[DPOP_HEADER] = proof
        return RequestBody.form(fields), headers

    def _interrupted(self) -> ExchangeUnavailable:
        return ExchangeUnavailable("the exchange this call waited for was interrupted")

    def _late(self) -> ExchangeUnavailable:
        return ExchangeUnavailable(f"the token service did not answer within {self.timeout:g} s")

    def _parse(self, fetched: Fetched) -> Exchanged:
        return self._issued(token_answer(fetched, "the exchange"))

    def _issued(self, document: dict[str, Any]) -> Exchanged:
        # RFC 8693 §2.2.1: access_token, issued_token_type and token_type are required;
        # expires_in is recommended, and without it nothing is cached.
        token = document.get("access_token")
        issued_type = document.get("issued_token_type")
        expires_in = document.get("expires_in")
        scope = document.get("scope")
        if (
            not isinstance(token, str)
            or not token
            or token.count(".") != 2
            or issued_type != JWT_TOKEN_TYPE
            or not isinstance(document.get("token_type"), str)
        ):
            raise ExchangeUnavailable("the token service's answer is not an issued passport")
        if expires_in is None:
            expires_in = 0
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or expires_in < 0
        ):
            raise ExchangeUnavailable("the token service's expires_in is not a number of seconds")
        if scope is not None and not isinstance(scope, str):
            raise ExchangeUnavailable("the token service's scope is not a string")
        # RFC 6749 §7.1: the token type is case-insensitive.
        bound = document["token_type"].lower() == "dpop"
        if bound and self.proof_key is not None and not self._bound_to_proof_key(token):
            # token_type alone is the server's word: the passport itself must name the key.
            raise ExchangeUnavailable("the exchanged passport is not bound to the proof key")
        if bound != (self.proof_key is not None):
            raise ExchangeUnavailable(
                "the token service bound a passport this client cannot prove"
                if self.proof_key is None
                else "the token service did not bind the exchanged passport to the proof key"
            )
        return Exchanged(
            token=token,
            expires_at=self._clock() + float(expires_in),
            scope=scope,
            token_type="DPoP" if bound else "Bearer",
        )

    def _bound_to_proof_key(self, token: str) -> bool:
        try:
            cnf = split_compact(token).payload.get("cnf")
        except PassportError:
            return False
        return isinstance(cnf, dict) and cnf.get("jkt") == self._proof_jkt

    def __repr__(self) -> str:
        return f"ExchangeClient({self.token_endpoint!r}, client_id={self.client_id!r})"
