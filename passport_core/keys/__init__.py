"""Keys: each bound to one algorithm; key rings rotated in stages; JWK Sets; key sources.

Local sources (:class:`StaticKeys`, :class:`KeyRing`) and remote ones
(:class:`RemoteJWKS`, :class:`OIDCDiscovery`) all implement :class:`KeySource`.
"""

from __future__ import annotations

from passport_core.keys.discovery import OIDCDiscovery
from passport_core.keys.jwks import (
    JWKS_CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    JWKS_MAX_AGE,
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
from passport_core.keys.ring import (
    DEFAULT_MAX_TOKEN_LIFETIME,
    DEFAULT_PUBLISH_DELAY,
    DEFAULT_RETIRE_LEEWAY,
    KeyRing,
    KeyState,
    RingKey,
    jwks_cache_control,
)
from passport_core.keys.sources import KeysLike, KeySource, StaticKeys, as_key_source
from passport_core.keys.thumbprint import jwk_thumbprint

__all__ = [
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_LIFETIME",
    "DEFAULT_PUBLISH_DELAY",
    "DEFAULT_RETIRE_LEEWAY",
    "JWKS_CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "JWKS_MAX_AGE",
    "JWKS_PATH",
    "PRIVATE_MEMBERS",
    "Key",
    "KeyRing",
    "KeySource",
    "KeyState",
    "KeysLike",
    "OIDCDiscovery",
    "RemoteJWKS",
    "RingKey",
    "StaticKeys",
    "as_key_source",
    "fetch_jwks",
    "generate_key",
    "jwk_thumbprint",
    "jwks_cache_control",
    "load_jwks",
    "load_key",
    "load_key_env",
    "load_key_file",
    "public_jwks",
]
