"""RFC 8693 token exchange: the token service side.

A calling service authenticates with a client assertion (``clients``) or, behind a
TLS-terminating proxy, its certificate (``mtls``, RFC 8705 §2), presents the
passport it was given (``request``), and receives one narrowed to the next hop
(``rules``, ``service``), with the chain of actors nested in ``act``; ``endpoint``
serves it over HTTP (ASGI), ``wsgi`` for WSGI servers, both answering what
``answers`` decides. The client side: ``ExchangeClient`` (``client``)
trades a passport for one narrowed to the next hop, cached (``cache``).
"""

from __future__ import annotations

from passport_core.exchange.answers import TokenRequest
from passport_core.exchange.client import ExchangeClient, Exchanged
from passport_core.exchange.clients import ClientRegistry, ServiceClient
from passport_core.exchange.endpoint import TokenExchangeEndpoint
from passport_core.exchange.mtls import CertificateSubject, ClientCertHeader, ClientCertificate
from passport_core.exchange.replay import AssertionReplayCache
from passport_core.exchange.request import (
    ACCESS_TOKEN_TYPE,
    JWT_BEARER_ASSERTION,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
)
from passport_core.exchange.rules import ExchangeRules
from passport_core.exchange.service import ExchangeResult, TokenService
from passport_core.exchange.wsgi import TokenExchangeWSGI

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "JWT_BEARER_ASSERTION",
    "JWT_TOKEN_TYPE",
    "TOKEN_EXCHANGE_GRANT",
    "AssertionReplayCache",
    "CertificateSubject",
    "ClientCertHeader",
    "ClientCertificate",
    "ClientRegistry",
    "ExchangeClient",
    "ExchangeResult",
    "ExchangeRules",
    "Exchanged",
    "ServiceClient",
    "TokenExchangeEndpoint",
    "TokenExchangeWSGI",
    "TokenRequest",
    "TokenService",
]
