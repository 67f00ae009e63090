"""RFC 8693 token exchange: the token service side.

A calling service authenticates with a client assertion (``clients``) or, behind a
TLS-terminating proxy, its certificate (``mtls``, RFC 8705 §2), presents the
passport it was given (``request``), and receives one narrowed to the next hop
(``rules``, ``service``), with the chain of actors nested in ``act``; ``endpoint``
serves it over HTTP (ASGI), ``wsgi`` for WSGI servers, both answering what
``answers`` decides. The client side: ``ExchangeClient`` (``client``)
trades a passport for one narrowed to the next hop, cached (``cache``).

The Txn-Token Service of draft-ietf-oauth-transaction-tokens-10 is the same endpoint's
other profile: ``txn_request`` reads a Txn-Token Request, ``txn_service`` issues the
Txn-Token (``TxnTokenService``), ``txn_client`` is how a workload asks for one.
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
from passport_core.exchange.txn_client import TxnToken, TxnTokenClient
from passport_core.exchange.txn_request import (
    SELF_SIGNED_TOKEN_TYPE,
    TXN_TOKEN_URN,
    UNSIGNED_JSON_TOKEN_TYPE,
)
from passport_core.exchange.txn_service import TxnTokenService, TxnWorkload
from passport_core.exchange.wsgi import TokenExchangeWSGI

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "JWT_BEARER_ASSERTION",
    "JWT_TOKEN_TYPE",
    "SELF_SIGNED_TOKEN_TYPE",
    "TOKEN_EXCHANGE_GRANT",
    "TXN_TOKEN_URN",
    "UNSIGNED_JSON_TOKEN_TYPE",
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
    "TxnToken",
    "TxnTokenClient",
    "TxnTokenService",
    "TxnWorkload",
]
