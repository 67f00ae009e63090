"""The edge: where a caller's credential becomes a passport.

Authenticators turn a credential into an :class:`Identity`; enrichers add the
common data; the :class:`Edge` shapes it per downstream :class:`Audience`,
mints within a size budget, and caches the result per credential. Servers
(:mod:`passport_core.edge.endpoint`) and the adapters put it in front of services.
"""

from __future__ import annotations

from passport_core.edge.actions import PASSPORT_ACTION_HEADER, PassportAction
from passport_core.edge.audience import Audience, passport_budget
from passport_core.edge.authenticators import (
    APIKey,
    APIKeyAuthenticator,
    Authenticator,
    ClaimMapping,
    CredentialLocation,
    IntrospectionAuthenticator,
    JWTAuthenticator,
    OIDCAuthenticator,
    api_key_digest,
    cloudflare_access,
    google_iap,
    pomerium,
)
from passport_core.edge.cache import MintCache, credential_key
from passport_core.edge.common import CommonData
from passport_core.edge.edge import OMITTED_CLAIM, Edge, Minted
from passport_core.edge.enrichers import (
    DEFAULT_ENRICHER_TIMEOUT,
    Enricher,
    FunctionEnricher,
    enricher,
)
from passport_core.edge.enrichers.http import HTTPEnricher
from passport_core.edge.gate import EdgeGate, minted_passport
from passport_core.edge.identity import Identity
from passport_core.edge.request import EdgeRequest

__all__ = [
    "DEFAULT_ENRICHER_TIMEOUT",
    "OMITTED_CLAIM",
    "PASSPORT_ACTION_HEADER",
    "APIKey",
    "APIKeyAuthenticator",
    "Audience",
    "Authenticator",
    "ClaimMapping",
    "CommonData",
    "CredentialLocation",
    "Edge",
    "EdgeGate",
    "EdgeRequest",
    "Enricher",
    "FunctionEnricher",
    "HTTPEnricher",
    "Identity",
    "IntrospectionAuthenticator",
    "JWTAuthenticator",
    "MintCache",
    "Minted",
    "OIDCAuthenticator",
    "PassportAction",
    "api_key_digest",
    "cloudflare_access",
    "credential_key",
    "enricher",
    "google_iap",
    "minted_passport",
    "passport_budget",
    "pomerium",
]
