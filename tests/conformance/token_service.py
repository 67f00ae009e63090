"""One token service, served by every front end the conformance suite compares.

Module level, so Django's URLconf (:mod:`tests.conformance.django_urls`) can include it.
"""

from __future__ import annotations

import base64

from passport_core import (
    Audience,
    CertificateSubject,
    ClientCertHeader,
    ClientRegistry,
    ExchangeRules,
    KeyRing,
    Minter,
    ServiceClient,
    TokenService,
    TxnTokenService,
    TxnWorkload,
    generate_key,
)
from tests.certs import issue, make_ca

EDGE = "https://edge.test"
STS = "https://sts.test"
#: the calling service "orders" and its private key (its assertions, its proofs)
ORDERS_KEY = generate_key("ES256", kid="orders-1")
EDGE_MINTER = Minter(KeyRing.generate(), issuer=EDGE)
STS_MINTER = Minter(KeyRing.generate(), issuer=STS)
#: where each front end mounts it: the token endpoint is any path below
PREFIX = "/sts"
#: the header the (imagined) TLS-terminating proxy forwards client certificates in: no "-"
#: or "_", which WSGI cannot tell apart (Client-Cert and Client_Cert are one variable)
CLIENT_CERT = ClientCertHeader("ClientCert", "rfc9440")
#: a mutual-TLS client, "audit": its certificate's SAN names it (RFC 8705 §2.1.2)
AUDIT_CERT = issue(make_ca("Internal CA"), "audit", dns=["audit.internal"])


def client_cert_header(der: bytes) -> str:
    """The RFC 9440 ``Client-Cert`` value a proxy sends for a certificate."""
    return ":" + base64.b64encode(der).decode("ascii") + ":"


def token_service() -> TokenService:
    return TokenService(
        STS_MINTER,
        # Assertions name the token service's issuer: the one aud every front end shares.
        ClientRegistry(
            [
                ServiceClient("orders", ORDERS_KEY.public(), targets={"billing"}),
                ServiceClient(
                    "audit",
                    None,
                    targets={"billing"},
                    auth_method="tls_client_auth",
                    tls_subject=CertificateSubject("tls_client_auth_san_dns", "audit.internal"),
                ),
            ],
            token_service=[STS],
        ),
        ExchangeRules([Audience("billing")]),
        trusted={EDGE: EDGE_MINTER.key_ring},
    )


TOKEN_SERVICE = token_service()

#: the same endpoint's Txn-Token Service (draft-ietf-oauth-transaction-tokens-10)
TRUST_DOMAIN = "trust-domain.test"
TXN_TOKENS = TxnTokenService(
    TOKEN_SERVICE,
    trust_domain=TRUST_DOMAIN,
    workloads=[
        TxnWorkload("orders", scopes={"billing:charge"}),
        # a workload authenticated by mutual TLS, naming its subject itself
        TxnWorkload("audit", scopes={"audit:read"}, subject_token_types={"unsigned_json"}),
    ],
)
