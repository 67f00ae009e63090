"""Keys: each bound to one algorithm; key rings that rotate; JWK Sets; where verifiers find keys.

Local sources (:class:`StaticKeys`, :class:`KeyRing`) and remote ones
(:class:`RemoteJWKS`, :class:`OIDCDiscovery`) all implement :class:`KeySource`.
"""

from __future__ import annotations

from passport_core.keys.discovery import OIDCDiscovery
from passport_core.keys.jwks import (
    JWKS_CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    load_jwks,
    public_jwks,
)
from passport_core.keys.key import (
    ALGORITHMS,
    PRIVATE_MEMBERS,
    Key,
    generate_key,
    load_key,
    load_key_env,
    load_key_file,
)
from passport_core.keys.remote import RemoteJWKS, fetch_jwks
from passport_core.keys.ring import KeyRing
from passport_core.keys.sources import KeysLike, KeySource, StaticKeys, as_key_source

__all__ = [
    "ALGORITHMS",
    "JWKS_CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "JWKS_PATH",
    "PRIVATE_MEMBERS",
    "Key",
    "KeyRing",
    "KeySource",
    "KeysLike",
    "OIDCDiscovery",
    "RemoteJWKS",
    "StaticKeys",
    "as_key_source",
    "fetch_jwks",
    "generate_key",
    "load_jwks",
    "load_key",
    "load_key_env",
    "load_key_file",
    "public_jwks",
]
