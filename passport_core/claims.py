"""Claim names, in one place.

Registered names are used where they exist: RFC 7519 for the registered
claims, RFC 8693 for ``scope`` (space separated) and ``act``, RFC 9068 /
RFC 7643 for ``roles``. The common-data object is ``profile_data``: OIDC
already registers ``profile`` as a URL string, so reusing it would clash.
"""

from __future__ import annotations

__all__ = [
    "ACTOR",
    "AUDIENCE",
    "AUTH_CONTEXT",
    "AUTH_METHODS",
    "AUTH_TIME",
    "CONFIRMATION",
    "EXPIRES_AT",
    "ISSUED_AT",
    "ISSUER",
    "JWT_ID",
    "NOT_BEFORE",
    "PERMISSIONS",
    "PROFILE",
    "REGISTERED",
    "REQUESTING_WORKLOAD",
    "REQUEST_CONTEXT",
    "ROLES",
    "SCOPE",
    "SESSION",
    "SUBJECT",
    "TENANT",
    "TOKEN_TYPE",
    "TRANSACTION",
    "TRANSACTION_CONTEXT",
]

ISSUER = "iss"
SUBJECT = "sub"
AUDIENCE = "aud"
EXPIRES_AT = "exp"
NOT_BEFORE = "nbf"
ISSUED_AT = "iat"
JWT_ID = "jti"
SCOPE = "scope"
ROLES = "roles"
PERMISSIONS = "permissions"
TENANT = "tenant"
PROFILE = "profile_data"
ACTOR = "act"
#: how the caller authenticated at the edge (OpenID Connect Core §2; RFC 8176 values)
AUTH_METHODS = "amr"
AUTH_CONTEXT = "acr"
AUTH_TIME = "auth_time"

#: the request a passport belongs to: companion passports carry the primary's ``txn``
#: (or, when it has none, its ``jti``), so parts of two requests never combine
TRANSACTION = "txn"

#: the sign-in a passport comes from (OpenID Connect Front-Channel Logout 1.0 §3 ``sid``):
#: every passport minted from one credential at the edge carries the same one, so
#: revoking it (``passport_core.revocation``) takes back all of them at once
SESSION = "sid"

#: the key a sender-constrained passport is bound to (RFC 7800 §3; RFC 9449 §6.1 ``jkt``)
CONFIRMATION = "cnf"

#: claims the minter sets itself; callers cannot override them through extras
REGISTERED = frozenset({ISSUER, SUBJECT, AUDIENCE, EXPIRES_AT, NOT_BEFORE, ISSUED_AT, JWT_ID})

#: the JOSE ``typ`` of a passport (RFC 8725 §3.11: explicit typing)
TOKEN_TYPE = "passport+jwt"  # noqa: S105 - a media type, not a secret

#: the claims before whose time (less leeway) a verifier refuses a passport
TIME_STARTS = (NOT_BEFORE, ISSUED_AT, AUTH_TIME)

#: Transaction Tokens (draft-ietf-oauth-transaction-tokens-10): the transaction's immutable
#: context, the request's environment, and the workload that asked for the Txn-Token
TRANSACTION_CONTEXT = "tctx"
REQUEST_CONTEXT = "rctx"
REQUESTING_WORKLOAD = "req_wl"
