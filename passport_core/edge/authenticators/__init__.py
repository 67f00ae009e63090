"""Authenticators: a caller's credential in, an :class:`~passport_core.edge.Identity` out."""

from __future__ import annotations

from passport_core.edge.authenticators.api_key import APIKey, APIKeyAuthenticator, api_key_digest
from passport_core.edge.authenticators.base import Authenticator, CredentialLocation
from passport_core.edge.authenticators.introspection import IntrospectionAuthenticator
from passport_core.edge.authenticators.mapping import ClaimMapping

__all__ = ["APIKey", "APIKeyAuthenticator", "Authenticator", "CredentialLocation", "api_key_digest"]
__all__ += ["ClaimMapping", "IntrospectionAuthenticator"]
