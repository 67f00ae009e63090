"""The Txn-Token client: a workload asks its trust domain's TTS for a Txn-Token.

draft-ietf-oauth-transaction-tokens-10, "Txn-Token Request": an RFC 8693 token exchange
with ``requested_token_type`` ``urn:ietf:params:oauth:token-type:txn_token``, ``audience``
the trust domain and ``scope`` the transaction's purpose; the workload authenticates with
``private_key_jwt`` (RFC 7523, as "Mutual Authentication of the Txn-Token Request"
recommends). The answer is checked as "Txn-Token Response" describes it (``token_type``
``N_A``, the Txn-Token type, no refresh token).

Nothing is cached: a Txn-Token belongs to one transaction (its ``txn``), so each
transaction asks for its own. Failures are bounded as :class:`~passport_core.ExchangeClient`'s
are: :class:`~passport_core.errors.ExchangeUnavailable` (503) within ``timeout``, or
:class:`~passport_core.errors.ExchangeRefused` (403) with the RFC 6749 §5.2 ``error``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.errors import ConfigurationError, ExchangeUnavailable, PassportError
from passport_core.exchange.client import TOKEN_ANSWERS, token_answer
from passport_core.exchange.request import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT
from passport_core.exchange.txn_request import TXN_TOKEN_URN
from passport_core.http.fetcher import (
    DEFAULT_MAX_BYTES,
    BoundedFetcher,
    Fetched,
    RequestBody,
    check_limits,
)
from passport_core.http.urls import checked_url
from passport_core.keys.key import Key
from passport_core.mint import Minter
from passport_core.passport import Passport
from passport_core.token import fingerprint, is_number, split_compact

__all__ = ["TxnToken", "TxnTokenClient"]

DEFAULT_TXN_TIMEOUT = 3.0
_JSON = "application/json"


@dataclass(frozen=True)
class TxnToken:
    """A Txn-Token the TTS issued: send it in the ``Txn-Token`` header, unmodified."""

    token: str
    expires_at: float
    scope: str | None

    def __repr__(self) -> str:  # never the token itself
        return f"TxnToken({fingerprint(self.token)}, scope={self.scope!r})"


def _scope(scope: str | Iterable[str]) -> str:
    values = scope.split() if isinstance(scope, str) else list(scope)
    if not values or not all(isinstance(value, str) and value for value in values):
        raise TypeError("scope must name the transaction's purpose (non-empty strings)")
    return " ".join(values)


def _context(name: str, value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a JSON object (a mapping)")
    # draft -10: a JSON object, form-encoded as it is (not base64url since -06)
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


class TxnTokenClient:
    """Requests Txn-Tokens from one TTS for one trust domain.

    ::

        client = TxnTokenClient("https://tts.example/token", client_id="gateway",
                                client_key=key, trust_domain="trust-domain.example")
        txn = client.request(passport, scope="trade.stocks",
                             request_details={"action": "BUY", "ticker": "MSFT"})
        httpx.post(url, headers={"Txn-Token": txn.token})

    ``token_endpoint`` is https, or http to loopback. ``assertion_audience`` is the TTS's
    identifier, the ``aud`` of the client assertions and of :meth:`self_signed` tokens
    (default: the endpoint URL). Each request ends within ``timeout`` seconds.
    """

    def __init__(
        self,
        token_endpoint: str,
        *,
        client_id: str,
        client_key: Key,
        trust_domain: str,
        assertion_audience: str | None = None,
        timeout: float = DEFAULT_TXN_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_endpoint = str(
            checked_url(token_endpoint, allow_insecure=allow_insecure, what="the token endpoint")
        )
        if not isinstance(trust_domain, str) or not trust_domain:
            raise ConfigurationError("a Txn-Token client needs a non-empty trust_domain")
        check_limits(timeout, max_bytes)
        self.client_auth = ClientAuth(client_id, method="private_key_jwt", key=client_key)
        self.client_key = client_key
        self.trust_domain = trust_domain
        self.assertion_audience = assertion_audience or self.token_endpoint
        self.timeout = timeout
        self._clock = clock
        self._http = BoundedFetcher(
            timeout=timeout,
            max_bytes=max_bytes,
            transport=transport,
            async_transport=async_transport,
            error=ExchangeUnavailable,
            what="the Txn-Token Service",
        )

    # -- the requests ----------------------------------------------------------------------

    def request(
        self,
        subject_token: Passport | str,
        *,
        scope: str | Iterable[str],
        subject_token_type: str = ACCESS_TOKEN_TYPE,
        request_context: Mapping[str, Any] | None = None,
        request_details: Mapping[str, Any] | None = None,
    ) -> TxnToken:
        """A new Txn-Token for the subject of ``subject_token`` (a passport by default).

        ``request_context`` becomes the Txn-Token's ``rctx`` and ``request_details`` its
        ``tctx``, as the TTS decides (draft -10, "Txn-Token Request Processing").
        """
        body = self._form(
            subject_token, scope, subject_token_type, request_context, request_details
        )
        return self._issued(self._http.post(self.token_endpoint, _JSON, body, ok=TOKEN_ANSWERS))

    async def arequest(
        self,
        subject_token: Passport | str,
        *,
        scope: str | Iterable[str],
        subject_token_type: str = ACCESS_TOKEN_TYPE,
        request_context: Mapping[str, Any] | None = None,
        request_details: Mapping[str, Any] | None = None,
    ) -> TxnToken:
        """Like :meth:`request`, without blocking the event loop."""
        body = self._form(
            subject_token, scope, subject_token_type, request_context, request_details
        )
        fetched = await self._http.apost(self.token_endpoint, _JSON, body, ok=TOKEN_ANSWERS)
        return self._issued(fetched)

    def replace(self, txn_token: Passport | str, *, scope: str | Iterable[str]) -> TxnToken:
        """A replacement Txn-Token: same ``txn``, ``sub``, ``tctx``; this workload appended
        to ``req_wl``; a scope no wider (draft -10, "Txn-Token as a subject_token")."""
        return self.request(txn_token, scope=scope, subject_token_type=TXN_TOKEN_URN)

    async def areplace(self, txn_token: Passport | str, *, scope: str | Iterable[str]) -> TxnToken:
        """Like :meth:`replace`, without blocking the event loop."""
        return await self.arequest(txn_token, scope=scope, subject_token_type=TXN_TOKEN_URN)

    def self_signed(
        self, subject: str, *, ttl: float = 60.0, claims: Mapping[str, Any] | None = None
    ) -> str:
        """A self-signed subject token (draft -10, "Self-Signed Subject Token Type"): ``iss``
        this workload, ``sub`` the subject, ``aud`` the TTS; pass it with ``subject_token_type``
        ``urn:ietf:params:oauth:token-type:self_signed`` when no inbound token names the subject
        (a scheduled task, an internally initiated transaction)."""
        minter = Minter(
            self.client_key,
            issuer=self.client_auth.client_id,
            default_ttl=ttl,
            max_ttl=300.0,
            clock=self._clock,
            typ="JWT",
        )
        return minter.mint(subject, audience=self.assertion_audience, claims=claims)

    # -- the wire --------------------------------------------------------------------------

    def _form(
        self,
        subject_token: Passport | str,
        scope: str | Iterable[str],
        subject_token_type: str,
        request_context: Mapping[str, Any] | None,
        request_details: Mapping[str, Any] | None,
    ) -> RequestBody:
        token = subject_token.token if isinstance(subject_token, Passport) else subject_token
        if not isinstance(token, str) or not token:
            raise TypeError("subject_token must be a Passport or a non-empty token string")
        if not isinstance(subject_token_type, str) or not subject_token_type:
            raise TypeError("subject_token_type must be a token type URI")
        fields = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "requested_token_type": TXN_TOKEN_URN,
            "audience": self.trust_domain,
            "scope": _scope(scope),
            "subject_token": token,
            "subject_token_type": subject_token_type,
        }
        for name, value in (
            ("request_context", _context("request_context", request_context)),
            ("request_details", _context("request_details", request_details)),
        ):
            if value is not None:
                fields[name] = value
        fields.update(self.client_auth.credentials(self.assertion_audience, self._clock).form)
        return RequestBody.form(fields)

    def _issued(self, fetched: Fetched) -> TxnToken:
        document = token_answer(fetched, "the Txn-Token Request")
        token = document.get("access_token")
        token_type = document.get("token_type")
        # draft -10, "Txn-Token Response": the Txn-Token type, token_type N_A, no refresh token
        if (
            not isinstance(token, str)
            or document.get("issued_token_type") != TXN_TOKEN_URN
            or not isinstance(token_type, str)
            or token_type.upper() != "N_A"  # RFC 6749 §7.1: case-insensitive
            or "refresh_token" in document
        ):
            raise ExchangeUnavailable("the Txn-Token Service's answer is not a Txn-Token Response")
        try:
            # Read, not verified (the workloads it is sent to verify it): expires_in and
            # scope may be absent from the answer (-06 and earlier forbade them).
            claims = split_compact(token).payload
        except PassportError as exc:
            raise ExchangeUnavailable("the Txn-Token Service's access_token is no JWT") from exc
        expires_in = document.get("expires_in")
        if expires_in is not None:
            if not is_number(expires_in) or expires_in < 0:
                raise ExchangeUnavailable("the Txn-Token Service's expires_in is not a number")
            expires_at = self._clock() + float(expires_in)
        elif is_number(claims.get("exp")):
            expires_at = float(claims["exp"])
        else:
            raise ExchangeUnavailable("the Txn-Token has no exp")
        scope = document.get("scope", claims.get("scope"))
        if scope is not None and not isinstance(scope, str):
            raise ExchangeUnavailable("the Txn-Token's scope is not a string")
        return TxnToken(token=token, expires_at=expires_at, scope=scope)

    def __repr__(self) -> str:
        return f"TxnTokenClient({self.token_endpoint!r}, client_id={self.client_auth.client_id!r})"
