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
    CredentialLocation,
    api_key_digest,
)
from passport_core.edge.authenticators.introspection import IntrospectionAuthenticator
from passport_core.edge.authenticators.mapping import ClaimMapping
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
    "CommonData",
    "CredentialLocation",
    "Edge",
    "EdgeRequest",
    "Enricher",
    "FunctionEnricher",
    "Identity",
    "MintCache",
    "Minted",
    "PassportAction",
    "api_key_digest",
    "credential_key",
    "enricher",
    "passport_budget",
]
__all__ += ["ClaimMapping", "HTTPEnricher", "IntrospectionAuthenticator"]
