"""One token service, served by every front end the conformance suite compares.

Module level, so Django's URLconf (:mod:`tests.conformance.django_urls`) can include it.
"""

from __future__ import annotations

from passport_core import (
    Audience,
    ClientRegistry,
    ExchangeRules,
    KeyRing,
    Minter,
    ServiceClient,
    TokenService,
    generate_key,
)

EDGE = "https://edge.test"
STS = "https://sts.test"
#: the calling service "orders" and its private key (its assertions, its proofs)
ORDERS_KEY = generate_key("ES256", kid="orders-1")
EDGE_MINTER = Minter(KeyRing.generate(), issuer=EDGE)
STS_MINTER = Minter(KeyRing.generate(), issuer=STS)
#: where each front end mounts it: the token endpoint is any path below
PREFIX = "/sts"


def token_service() -> TokenService:
    return TokenService(
        STS_MINTER,
        # Assertions name the token service's issuer: the one aud every front end shares.
        ClientRegistry(
            [ServiceClient("orders", ORDERS_KEY.public(), targets={"billing"})],
            token_service=[STS],
        ),
        ExchangeRules([Audience("billing")]),
        trusted={EDGE: EDGE_MINTER.key_ring},
    )


TOKEN_SERVICE = token_service()
