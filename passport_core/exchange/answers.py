"""What the token endpoint answers, whatever serves it (ASGI, WSGI, a framework's view).

One request in: its method, path below the mount point, headers, body and URL; one
:class:`Answer` out. The front ends (:mod:`~passport_core.exchange.endpoint`'s ASGI
app, :mod:`~passport_core.exchange.wsgi`'s WSGI app, the adapters' views) only move
bytes, so every way of serving the token service answers exactly alike:

* ``POST`` (any path but the JWKS's) with an ``application/x-www-form-urlencoded``
  body: the RFC 8693 §2.2.1 JSON response, or an RFC 6749 §5.2 error
  ``{"error", "error_description"}`` with 400 (401 for ``invalid_client``, with a
  ``WWW-Authenticate`` challenge when the client tried the Authorization header);
  405 for another method, 415 for another content type, 413 for a body over the cap,
  503 with ``Retry-After`` when keys or the replay cache cannot be had, 500
  ``server_error`` when the token service cannot issue (its own configuration).
  Never a 500 for anything a client sends.
* A ``DPoP`` header makes the issued passport bound to the proof's key (RFC 9449 §5).
* With ``client_cert`` (a :class:`~passport_core.exchange.mtls.ClientCertHeader`), the
  certificate a TLS-terminating proxy forwards authenticates mutual-TLS clients (RFC 8705
  §2); without it that header is never read, whoever sends it.
* With ``txn_tokens``, a request whose ``requested_token_type`` is
  ``urn:ietf:params:oauth:token-type:txn_token`` is a Txn-Token Request, answered by the
  :class:`~passport_core.TxnTokenService` (draft-ietf-oauth-transaction-tokens-10);
  without it, ``invalid_request``.
* ``GET`` :data:`~passport_core.JWKS_PATH`: the token service's public keys.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from passport_core.dpop.proof import DPOP_HEADER
from passport_core.dpop.target import RequestTarget
from passport_core.edge.ring_file import RingFile
from passport_core.errors import (
    ExchangeError,
    InvalidClient,
    InvalidRequest,
    PassportError,
    Unavailable,
)
from passport_core.exchange.mtls import ClientCertHeader, ClientCertificate
from passport_core.exchange.request import MAX_FORM_BYTES, parse_form
from passport_core.exchange.service import ExchangeResult, TokenService
from passport_core.exchange.txn_request import asks_for_txn_token
from passport_core.exchange.txn_service import TxnTokenService
from passport_core.inbound.transport import Answer
from passport_core.keys.jwks import JWKS_CONTENT_TYPE, JWKS_PATH

__all__ = ["Answer", "TokenEndpoint", "TokenRequest"]

logger = logging.getLogger("passport_core.exchange")

_FORM = "application/x-www-form-urlencoded"
_DEFAULT_RETRY_AFTER = 5
#: RFC 9110 §7.2 / RFC 3986 §3.2.2: a reg-name or an IP literal, and an optional port
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?")


def request_url(scheme: str, host: str | None, path: str, raw_path: str | None) -> str:
    """The absolute URL a request arrived at, as DPoP proofs name it; ``""`` when its
    ``Host`` is not a host (a proof can then match only the configured public URL)."""
    if not host or not _HOST.fullmatch(host):
        return ""
    return RequestTarget.of("POST", scheme, host, path, raw_path=raw_path).url


@dataclass(frozen=True)
class TokenRequest:
    """What a front end knows of one request before its body is read.

    ``path`` is below the mount point (the JWKS is at :data:`~passport_core.JWKS_PATH`
    there); ``url`` is the request's absolute URL as the client sent it (for DPoP).
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    url: str = field(default="")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


@dataclass(frozen=True)
class ExchangeArguments:
    """What :meth:`TokenService.exchange <passport_core.TokenService.exchange>` is called with."""

    form: dict[str, list[str]]
    proofs: list[str]
    target: RequestTarget | None
    certificate: ClientCertificate | None

    def keywords(self) -> dict[str, Any]:
        return {"proofs": self.proofs, "target": self.target, "certificate": self.certificate}


def _error(error: ExchangeError) -> dict[str, str]:
    return {"error": error.error, "error_description": error.message}


class TokenEndpoint:
    """The token endpoint's decisions, without I/O: :meth:`before_body`, then
    :meth:`exchange_arguments` and :meth:`issued` or :meth:`refused`.

    :param realm: the ``realm`` of the ``WWW-Authenticate`` challenge (RFC 6749 §5.2).
    :param url: the token endpoint's public URL, the one clients call and name in their
        DPoP proofs' ``htu``; default: the URL each request arrived at, which behind a
        proxy is the proxy's view, not the client's.
    :param ring_file: the token service's ring file, followed: a ``passport ring`` step on
        it (a key prepared, promoted, retired) shows in what is signed and published at once.
    :param client_cert: where the proxy in front forwards the client's TLS certificate;
        ``None`` (the default): mutual TLS is off and no such header is trusted.
    :param txn_tokens: the Txn-Token Service answering Txn-Token Requests on this endpoint.
    """

    max_body = MAX_FORM_BYTES

    def __init__(
        self,
        service: TokenService,
        *,
        realm: str = "token-service",
        url: str | None = None,
        ring_file: RingFile | None = None,
        client_cert: ClientCertHeader | None = None,
        txn_tokens: TxnTokenService | None = None,
    ) -> None:
        self.service = service
        self.realm = realm
        self.url = url
        self.ring_file = ring_file
        self.client_cert = client_cert
        self.txn_tokens = txn_tokens

    def before_body(self, request: TokenRequest) -> Answer | None:
        """The answer that needs no body (JWKS, 405, 415), or ``None`` to read it."""
        if self.ring_file is not None:
            self.ring_file.sync()  # one stat(); the file is re-read only when it changed
        if request.path == JWKS_PATH:
            if request.method not in ("GET", "HEAD"):
                return Answer(405, {"allow": "GET, HEAD", "content-type": "text/plain"})
            ring = self.service.minter.key_ring
            headers = {"content-type": JWKS_CONTENT_TYPE, "cache-control": ring.cache_control}
            body = b"" if request.method == "HEAD" else json.dumps(ring.public_jwks()).encode()
            return Answer(200, headers, body)
        if request.method != "POST":
            # RFC 9110 §15.5.6: a 405 names the methods the resource has
            return Answer.json(405, _error(InvalidRequest("use POST")), allow="POST")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != _FORM:
            error = InvalidRequest(f"the body must be {_FORM} (RFC 8693 §2.1)")
            return Answer.json(415, _error(error))
        return None

    @staticmethod
    def too_large() -> Answer:
        return Answer.json(413, _error(InvalidRequest("the request body is too large")))

    def exchange_arguments(self, request: TokenRequest, body: bytes) -> ExchangeArguments:
        """The form, ``DPoP`` proofs, target and client certificate for :class:`TokenService`."""
        if request.header("authorization") is not None:
            # No client secrets: a Basic secret is refused, not ignored.
            raise InvalidClient(
                "authenticate with a client assertion or mutual TLS, not Authorization"
            )
        # Without a public URL and a usable Host, no proof can be checked (and none passes).
        url = self.url or request.url
        target = RequestTarget("POST", url) if url else None
        return ExchangeArguments(
            parse_form(body),
            request.values(DPOP_HEADER.lower()),
            target,
            self._certificate(request),
        )

    def _certificate(self, request: TokenRequest) -> ClientCertificate | None:
        # Only a configured header is read: anyone reaching the app directly could send it.
        if self.client_cert is None:
            return None
        raw = ((k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers)
        return self.client_cert.read(raw)

    def _txn_token_service(self, asked: ExchangeArguments) -> TxnTokenService | None:
        # One endpoint, two profiles, told apart by requested_token_type (draft -10)
        if self.txn_tokens is not None and asks_for_txn_token(asked.form):
            return self.txn_tokens
        return None

    def exchange(self, asked: ExchangeArguments) -> ExchangeResult:
        """Issue what the request asks for: a Txn-Token, or an exchanged passport."""
        txn = self._txn_token_service(asked)
        if txn is not None:
            return txn.issue(asked.form, proofs=asked.proofs, certificate=asked.certificate)
        return self.service.exchange(asked.form, **asked.keywords())

    async def aexchange(self, asked: ExchangeArguments) -> ExchangeResult:
        """:meth:`exchange` without blocking the event loop."""
        txn = self._txn_token_service(asked)
        if txn is not None:
            return await txn.aissue(asked.form, proofs=asked.proofs, certificate=asked.certificate)
        return await self.service.aexchange(asked.form, **asked.keywords())

    @staticmethod
    def issued(result: ExchangeResult) -> Answer:
        return Answer.json(200, result.body())

    def refused(self, request: TokenRequest, error: PassportError) -> Answer:
        """The RFC 6749 §5.2 answer to ``error``: never a 500 for what a client sent."""
        if isinstance(error, ExchangeError):
            extra: dict[str, str] = {}
            if isinstance(error, InvalidClient) and request.header("authorization") is not None:
                extra["www-authenticate"] = f'Basic realm="{self.realm}"'
            logger.info("token exchange refused: %s", error.code)
            return Answer.json(error.status, _error(error), **extra)
        if isinstance(error, Unavailable):
            logger.warning("token exchange failed: %s", error.code)
            wait = str(error.retry_after or _DEFAULT_RETRY_AFTER)
            document = {"error": "temporarily_unavailable", "error_description": error.message}
            return Answer.json(503, document, **{"retry-after": wait})
        if error.status >= 500:
            # The token service cannot issue (a passport over its size budget, its own
            # settings): its fault, said as such, never blamed on the request.
            logger.error("token exchange failed: %s", error.code)
            document = {"error": "server_error", "error_description": error.message}
            return Answer.json(500, document)
        logger.info("token exchange refused: %s", error.code)
        return Answer.json(400, {"error": "invalid_request", "error_description": error.message})
