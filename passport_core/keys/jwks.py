"""JWK Sets (RFC 7517 §5): loading a set of public keys, publishing one, serving one.

The one place that knows how a JWKS is loaded, published and labelled, so the
verifier, the CLI, the demo and every adapter agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from passport_core.errors import DuplicateKeyId, InvalidKey, PrivateKeyInPublicSet
from passport_core.keys.key import PRIVATE_MEMBERS, Key, load_key

__all__ = [
    "JWKS_CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "JWKS_MAX_AGE",
    "JWKS_PATH",
    "load_jwks",
    "public_jwks",
]

#: where a service that mints publishes its public keys
JWKS_PATH = "/.well-known/jwks.json"
#: RFC 7517 §8.5.2: the media type of a served JWKS
JWKS_CONTENT_TYPE = "application/jwk-set+json"
#: seconds a served JWKS may be cached (RFC 9111 §5.2.2.1 max-age); also a KeyRing's
#: default publish_delay, so a key is promoted only after every cached copy has expired
JWKS_MAX_AGE = 300
#: public: the JWKS holds public keys only, so shared caches may keep it too
JWKS_CACHE_CONTROL = f"public, max-age={JWKS_MAX_AGE}"


def load_jwks(
    data: str | bytes | Mapping[str, Any],
    *,
    public_only: bool = True,
) -> list[Key]:
    """Load a JWK Set. By default it must hold public keys only.

    Refuses duplicate ``kid``s, private members in a public set, and keys whose
    ``use`` / ``key_ops`` forbid signatures.
    """
    if isinstance(data, Mapping):
        parsed: Any = data
    else:
        try:
            parsed = json.loads(data)
        except (ValueError, TypeError, RecursionError) as exc:
            raise InvalidKey("the JWKS is not valid JSON") from exc
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("keys"), list):
        raise InvalidKey("a JWKS must be an object with a 'keys' list")
    keys: list[Key] = []
    seen: set[str] = set()
    for entry in parsed["keys"]:
        if not isinstance(entry, Mapping):
            raise InvalidKey("every JWKS entry must be an object")
        if public_only and PRIVATE_MEMBERS & entry.keys():
            raise PrivateKeyInPublicSet(
                f"JWKS key {entry.get('kid')!r} carries private members; publish public keys only"
            )
        key = load_key(entry)
        if key.kid in seen:
            raise DuplicateKeyId(f"the JWKS has two keys with kid {key.kid!r}")
        seen.add(key.kid)
        keys.append(key)
    return keys


def public_jwks(keys: Iterable[Key]) -> dict[str, Any]:
    """The JWKS to publish: public halves of the asymmetric keys only."""
    return {"keys": [key.to_jwk(private=False) for key in keys if not key.is_symmetric]}
