"""``edge.toml`` kinds of the built-in authenticators: ``oidc``, ``introspection``,
``cloudflare_access``, ``google_iap`` and ``pomerium``.

::

    [[authenticators]]
    kind = "oidc"
    issuer = "https://login.example"
    audience = "https://api.example"
    claims = { roles = ["roles", ["realm_access", "roles"]], tenant = "tenant_id" }

    [[authenticators]]
    kind = "introspection"
    issuer = "https://as.example"
    client_id = "edge"
    client_secret_env = "EDGE_INTROSPECTION_SECRET"   # the secret itself never in the file

Each table takes the keyword arguments of its class or preset by the same
names (``oidc``'s ``kind=`` is ``token_kind``: ``kind`` names the table's kind);
``client_secret`` only as ``client_secret_env``. ``claims`` is a
:class:`ClaimMapping` table (``roles``, ``scopes``, ``permissions``, ``tenant``,
``profile``, ``claims``), a claim path a string or a list of names
(``["realm_access", "roles"]``).
"""

from __future__ import annotations

import os
from typing import Any

from passport_core.edge.authenticators.base import Authenticator
from passport_core.edge.authenticators.claim_mapping import ClaimMapping, ClaimPath
from passport_core.edge.authenticators.gateways import cloudflare_access, google_iap, pomerium
from passport_core.edge.authenticators.introspection import IntrospectionAuthenticator
from passport_core.edge.authenticators.kinds import Options, register_authenticator_kind
from passport_core.edge.authenticators.oidc import OIDCAuthenticator
from passport_core.errors import ConfigurationError

__all__ = ["claim_mapping", "secret_from_environment"]

_TOKEN_KINDS = ("access_token", "id_token")


def _path(where: str, value: Any) -> ClaimPath:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value and all(isinstance(p, str) and p for p in value):
        return tuple(value)
    raise ConfigurationError(f"{where} must be a claim name or a list of names (a path)")


def _paths(where: str, value: Any) -> list[ClaimPath]:
    items = value if isinstance(value, list) else [value]
    # ["a", "b"] is two claims; a nested list is one path: [["realm_access", "roles"]]
    return [_path(where, item) for item in items]


def claim_mapping(options: Options, name: str = "claims") -> ClaimMapping | None:
    """The :class:`ClaimMapping` in table ``name`` of ``options`` (``None`` when absent)."""
    table = options.get(name, dict, None)
    if table is None:
        return None
    mapping = Options(f"{options.where}.{name}", table)
    kwargs: dict[str, Any] = {}
    for field in ("roles", "scopes", "permissions"):
        value = mapping.get(field, (str, list), None)
        if value is not None:
            kwargs[field] = _paths(f"{mapping.where}.{field}", value)
    tenant = mapping.get("tenant", (str, list), None)
    if tenant is not None:
        kwargs["tenant"] = _path(f"{mapping.where}.tenant", tenant)
    profile = mapping.get("profile", (dict, list), None)
    if isinstance(profile, dict):
        where = f"{mapping.where}.profile"
        kwargs["profile"] = {field: _path(f"{where}.{field}", p) for field, p in profile.items()}
    elif profile is not None:
        kwargs["profile"] = [_path(f"{mapping.where}.profile", item) for item in profile]
    claims = mapping.get("claims", dict, None)
    if claims is not None:
        kwargs["claims"] = {
            claim: _path(f"{mapping.where}.claims.{claim}", path) for claim, path in claims.items()
        }
    mapping.finish()
    return ClaimMapping(**kwargs)


def secret_from_environment(options: Options, name: str) -> str | None:
    """The secret in the environment variable that ``<name>_env`` names; a literal
    ``<name>`` in the file is refused (a file is copied, committed and printed)."""
    if name in options:
        raise ConfigurationError(
            f"{options.where}.{name}: a secret is never written in the file; put it in an "
            f"environment variable and name that variable with {name}_env"
        )
    variable = options.get(f"{name}_env", str, None)
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ConfigurationError(
            f"{options.where}.{name}_env: the environment variable {variable!r} is not set"
        )
    return value


def _strings(options: Options, name: str) -> list[str] | None:
    value = options.get(name, list, None)
    if value is None:
        return None
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f"{options.where}.{name} must be a list of non-empty strings")
    return [str(item) for item in value]


def _common(options: Options, *names: str) -> dict[str, Any]:
    """The settings every JWT-reading kind shares, those of ``names`` that are present."""
    kinds: dict[str, type | tuple[type, ...]] = {
        "leeway": (int, float),
        "max_lifetime": (int, float),
        "timeout": (int, float),
        "allow_insecure": bool,
        "jwks_url": str,
    }
    out: dict[str, Any] = {}
    for name in names:
        value = options.get(name, kinds[name], None)
        if value is not None:
            out[name] = float(value) if kinds[name] == (int, float) else value
    mapping = claim_mapping(options)
    if mapping is not None:
        out["claims"] = mapping
    return out


def _oidc(options: Options) -> Authenticator:
    issuer = options.get("issuer", str)
    # "kind" is the table's own (oidc); the token's kind is OIDCAuthenticator's kind=
    kind = options.get("token_kind", str, "access_token")
    if kind not in _TOKEN_KINDS:
        raise ConfigurationError(
            f"{options.where}.token_kind must be one of {', '.join(_TOKEN_KINDS)}"
        )
    kwargs = _common(options, "leeway", "max_lifetime", "timeout", "allow_insecure")
    kwargs.update(
        audience=options.get("audience", (str, list), None),
        client_id=options.get("client_id", str, None),
        clients=_strings(options, "clients"),
        algorithms=_strings(options, "algorithms"),
        header=options.get("header", str, None),
        name=options.get("name", str, "oidc"),
    )
    options.finish()
    return OIDCAuthenticator(issuer, kind=kind, **kwargs)


def _introspection(options: Options) -> Authenticator:
    secret = secret_from_environment(options, "client_secret")
    client_auth = options.get("client_auth", str, "client_secret_basic")
    if client_auth == "private_key_jwt":
        raise ConfigurationError(
            f"{options.where}.client_auth 'private_key_jwt' needs a key: build the "
            "authenticator in Python (kind = 'custom')"
        )
    kwargs: dict[str, Any] = {
        "client_id": options.get("client_id", str),
        "client_secret": secret,
        "client_auth": client_auth,
        "mapping": claim_mapping(options),
    }
    for name, kind in (
        ("issuer", str),
        ("audience", str),
        ("token_type", str),
        ("subject_claim", str),
        ("name", str),
        ("header", str),
        ("bearer", bool),
        ("allow_insecure", bool),
        ("cache_ttl", (int, float)),
        ("negative_ttl", (int, float)),
        ("timeout", (int, float)),
    ):
        value = options.get(name, kind, None)
        if value is not None:
            kwargs[name] = float(value) if kind == (int, float) else value
    endpoint = options.get("endpoint", str, None)
    options.finish()
    return IntrospectionAuthenticator(endpoint, **kwargs)


def _cloudflare_access(options: Options) -> Authenticator:
    team = options.get("team", str)
    audience = options.get("audience", str)
    extra = _common(options, "jwks_url", "leeway", "max_lifetime", "timeout", "allow_insecure")
    options.finish()
    return cloudflare_access(team, audience, **extra)


def _google_iap(options: Options) -> Authenticator:
    audience = options.get("audience", str)
    extra = _common(options, "jwks_url", "timeout", "allow_insecure")
    options.finish()
    return google_iap(audience, **extra)


def _pomerium(options: Options) -> Authenticator:
    route = options.get("route", str)
    host = options.get("authenticate_host", str, None)
    algorithms = _strings(options, "algorithms")
    extra = _common(options, "jwks_url", "leeway", "max_lifetime", "timeout", "allow_insecure")
    if algorithms is not None:
        extra["algorithms"] = algorithms
    options.finish()
    return pomerium(route, authenticate_host=host, **extra)


register_authenticator_kind("oidc", _oidc)
register_authenticator_kind("introspection", _introspection)
register_authenticator_kind("cloudflare_access", _cloudflare_access)
register_authenticator_kind("google_iap", _google_iap)
register_authenticator_kind("pomerium", _pomerium)
