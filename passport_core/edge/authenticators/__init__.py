"""Authenticators: a caller's credential in, an :class:`~passport_core.edge.Identity` out."""

from __future__ import annotations

# file_kinds registers the edge.toml kinds of the built-in authenticators (oidc, introspection,
# the gateway presets).
from passport_core.edge.authenticators import file_kinds  # noqa: F401
from passport_core.edge.authenticators.api_key import APIKey, APIKeyAuthenticator, api_key_digest
from passport_core.edge.authenticators.base import Authenticator, CredentialLocation
from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.authenticators.gateways import cloudflare_access, google_iap, pomerium
from passport_core.edge.authenticators.introspection import IntrospectionAuthenticator
from passport_core.edge.authenticators.jwt import JWTAuthenticator
from passport_core.edge.authenticators.oidc import OIDCAuthenticator

__all__ = [
    "APIKey",
    "APIKeyAuthenticator",
    "Authenticator",
    "ClaimMapping",
    "CredentialLocation",
    "IntrospectionAuthenticator",
    "JWTAuthenticator",
    "OIDCAuthenticator",
    "api_key_digest",
    "cloudflare_access",
    "google_iap",
    "pomerium",
]
