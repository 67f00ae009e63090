"""Identity assertions that access gateways put on every request they let through.

Each preset knows its gateway's header, issuer, key URL, algorithm and audience
form, and returns a :class:`~passport_core.edge.JWTAuthenticator`: the checks
are the verifier's, as for any JWT. ``jwks_url`` overrides where the keys are
fetched (a mirror, or a loopback server in tests). Their tokens carry ``typ``
``JWT`` or none; a passport (``passport+jwt``) or an access token (``at+jwt``)
never passes as one.

Contracts, as the vendors document them:

* Cloudflare Access, "Validate JWTs" and "Application token": header
  ``Cf-Access-Jwt-Assertion``, RS256, ``iss`` ``https://<team>.cloudflareaccess.com``,
  keys at ``<iss>/cdn-cgi/access/certs``, ``aud`` a list holding the
  application's AUD tag;
* Google IAP, "Securing your app with signed headers": header
  ``x-goog-iap-jwt-assertion``, ES256, ``iss`` ``https://cloud.google.com/iap``,
  keys at ``https://www.gstatic.com/iap/verify/public_key-jwk``, ``aud``
  ``/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID`` or
  ``/projects/PROJECT_NUMBER/apps/PROJECT_ID``, at most 10 minutes + 2 x 30 s of skew;
* Pomerium, "Identity verification": header ``X-Pomerium-Jwt-Assertion``, ES256,
  ``aud`` and (since 0.22) ``iss`` the route's host name, keys at
  ``https://<authenticate or route host>/.well-known/pomerium/jwks.json``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection

from passport_core import claims as c
from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.authenticators.jwt import DEFAULT_MAX_LIFETIME, JWTAuthenticator
from passport_core.errors import ConfigurationError
from passport_core.http.fetcher import DEFAULT_TIMEOUT
from passport_core.keys.remote import RemoteJWKS

__all__ = [
    "CLOUDFLARE_ACCESS_HEADER",
    "GOOGLE_IAP_HEADER",
    "GOOGLE_IAP_ISSUER",
    "GOOGLE_IAP_JWKS_URL",
    "POMERIUM_HEADER",
    "cloudflare_access",
    "google_iap",
    "pomerium",
]

CLOUDFLARE_ACCESS_HEADER = "Cf-Access-Jwt-Assertion"
GOOGLE_IAP_HEADER = "x-goog-iap-jwt-assertion"
GOOGLE_IAP_ISSUER = "https://cloud.google.com/iap"
GOOGLE_IAP_JWKS_URL = "https://www.gstatic.com/iap/verify/public_key-jwk"
POMERIUM_HEADER = "X-Pomerium-Jwt-Assertion"

#: gateway assertions carry typ "JWT" or none
_ASSERTION_TYPES: tuple[str | None, ...] = ("JWT", None)
_ASSERTION_CLAIMS = frozenset({c.ISSUER, c.SUBJECT, c.AUDIENCE, c.EXPIRES_AT, c.ISSUED_AT})
#: Cloudflare Access sessions last up to a month, and its tokens as long as the session
_CLOUDFLARE_MAX_LIFETIME = 31 * 86400.0
#: IAP: "maximum lifetime of 10 minutes + 2 * skew", with 30 s of skew
_IAP_LEEWAY = 30.0
_IAP_MAX_LIFETIME = 600.0 + 2 * _IAP_LEEWAY
_TEAM = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_IAP_AUDIENCE = re.compile(
    r"/projects/[0-9]+/(?:global/backendServices/[0-9A-Za-z_-]+|apps/[a-z][a-z0-9-]*)"
)
_HOST = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")


def _keys(url: str, timeout: float, allow_insecure: bool) -> RemoteJWKS:
    return RemoteJWKS(url, timeout=timeout, allow_insecure=allow_insecure)


def cloudflare_access(
    team: str,
    audience: str,
    *,
    jwks_url: str | None = None,
    claims: ClaimMapping | None = None,
    leeway: float = 30.0,
    max_lifetime: float = _CLOUDFLARE_MAX_LIFETIME,
    timeout: float = DEFAULT_TIMEOUT,
    allow_insecure: bool = False,
    clock: Callable[[], float] = time.time,
) -> JWTAuthenticator:
    """Cloudflare Access's ``Cf-Access-Jwt-Assertion`` for one application.

    :param team: the Zero Trust team name (``<team>.cloudflareaccess.com``).
    :param audience: the application's AUD tag.

    The identity: ``sub``, ``email`` and ``country`` as profile fields. Cloudflare
    sends no groups in this token. Service-token assertions (an empty ``sub``) are
    refused: an edge authenticates services with their own credentials.
    """
    if not isinstance(team, str) or not _TEAM.fullmatch(team):
        raise ConfigurationError(
            "the Cloudflare team is its name, as in <team>.cloudflareaccess.com"
        )
    if not isinstance(audience, str) or not audience:
        raise ConfigurationError("the Cloudflare Access audience is the application's AUD tag")
    issuer = f"https://{team}.cloudflareaccess.com"
    return JWTAuthenticator(
        issuer=issuer,
        audience=audience,
        keys=_keys(jwks_url or f"{issuer}/cdn-cgi/access/certs", timeout, allow_insecure),
        typ=_ASSERTION_TYPES,
        required_claims=_ASSERTION_CLAIMS,
        algorithms=("RS256",),
        header=CLOUDFLARE_ACCESS_HEADER,
        claims=claims
        or ClaimMapping(roles=(), scopes=(), profile={"email": "email", "country": "country"}),
        leeway=leeway,
        max_lifetime=max_lifetime,
        name="cloudflare_access",
        what="Cloudflare Access assertion",
        clock=clock,
    )


def google_iap(
    audience: str,
    *,
    jwks_url: str | None = None,
    claims: ClaimMapping | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    allow_insecure: bool = False,
    clock: Callable[[], float] = time.time,
) -> JWTAuthenticator:
    """Google Identity-Aware Proxy's ``x-goog-iap-jwt-assertion``.

    :param audience: ``/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID``
        (Compute Engine, GKE) or ``/projects/PROJECT_NUMBER/apps/PROJECT_ID``
        (App Engine).

    The identity: ``sub`` (``accounts.google.com:<id>``), ``email`` and the
    Workspace domain (``hd``) as profile fields ``email`` and ``domain``.
    """
    if not isinstance(audience, str) or not _IAP_AUDIENCE.fullmatch(audience):
        raise ConfigurationError(
            "the IAP audience is /projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID "
            "or /projects/PROJECT_NUMBER/apps/PROJECT_ID"
        )
    return JWTAuthenticator(
        issuer=GOOGLE_IAP_ISSUER,
        audience=audience,
        keys=_keys(jwks_url or GOOGLE_IAP_JWKS_URL, timeout, allow_insecure),
        typ=_ASSERTION_TYPES,
        required_claims=_ASSERTION_CLAIMS,
        algorithms=("ES256",),
        header=GOOGLE_IAP_HEADER,
        claims=claims
        or ClaimMapping(roles=(), scopes=(), profile={"email": "email", "domain": "hd"}),
        leeway=_IAP_LEEWAY,
        max_lifetime=_IAP_MAX_LIFETIME,
        name="google_iap",
        what="IAP assertion",
        clock=clock,
    )


def pomerium(
    route: str,
    *,
    authenticate_host: str | None = None,
    jwks_url: str | None = None,
    algorithms: Collection[str] = ("ES256",),
    claims: ClaimMapping | None = None,
    leeway: float = 60.0,
    max_lifetime: float = DEFAULT_MAX_LIFETIME,
    timeout: float = DEFAULT_TIMEOUT,
    allow_insecure: bool = False,
    clock: Callable[[], float] = time.time,
) -> JWTAuthenticator:
    """Pomerium's ``X-Pomerium-Jwt-Assertion`` for one route.

    :param route: the route's host name (``app.corp.example``): its tokens' ``aud``
        and ``iss``.
    :param authenticate_host: where the keys are published, when not on the route's
        host (``authenticate.corp.example``).
    :param algorithms: Pomerium signs with ES256 unless its signing key is another kind.

    The identity: ``sub``, roles from ``groups``, ``email``, ``name`` and ``user``
    as profile fields. Pomerium allows a minute of skew, hence the leeway.
    """
    for what, host in (("route", route), ("authenticate_host", authenticate_host)):
        if host is not None and (not isinstance(host, str) or not _HOST.fullmatch(host)):
            raise ConfigurationError(f"the Pomerium {what} is a host name, without scheme or path")
    keys_host = authenticate_host or route
    return JWTAuthenticator(
        issuer=route,
        audience=route,
        keys=_keys(
            jwks_url or f"https://{keys_host}/.well-known/pomerium/jwks.json",
            timeout,
            allow_insecure,
        ),
        typ=_ASSERTION_TYPES,
        required_claims=_ASSERTION_CLAIMS,
        algorithms=algorithms,
        header=POMERIUM_HEADER,
        claims=claims
        or ClaimMapping(
            roles="groups",
            scopes=(),
            profile={"email": "email", "name": "name", "user": "user"},
        ),
        leeway=leeway,
        max_lifetime=max_lifetime,
        name="pomerium",
        what="Pomerium assertion",
        clock=clock,
    )
