"""What every demo service does, whatever its framework: report and forward.

The three demo services (``python -m passport_fastapi.demo`` and the Flask
and Django twins) are thin; the report each hop returns and the way it calls
the next hop are defined here, once.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from passport_core.keys.remote import DEFAULT_MIN_CACHE_TTL, DEFAULT_UNKNOWN_KID_INTERVAL
from passport_core.passport import Passport

__all__ = [
    "ServiceOptions",
    "acall_next",
    "announce",
    "call_next",
    "hop_report",
    "key_settings",
    "parse_service_args",
]

READY = "READY"


@dataclass(frozen=True)
class ServiceOptions:
    """How the demo orchestrator configures one service process."""

    name: str
    issuer: str
    jwks_url: str
    next_url: str | None
    allowed_hosts: tuple[str, ...]
    #: RemoteJWKS cache_ttl / min_refresh_interval; None keeps RemoteJWKS' defaults
    jwks_cache_ttl: float | None = None
    jwks_min_refresh: float | None = None
    #: the verifier's clock-skew leeway; None keeps the default
    leeway: float | None = None


def parse_service_args(argv: Sequence[str] | None = None) -> ServiceOptions:
    parser = argparse.ArgumentParser(description="a service of the passport demo chain")
    parser.add_argument("--name", required=True, help="this service's audience name")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--next", dest="next_url", help="base URL of the next hop")
    parser.add_argument("--allowed-host", action="append", default=["127.0.0.1"])
    parser.add_argument("--jwks-cache-ttl", type=float, help="seconds the JWKS is cached")
    parser.add_argument(
        "--jwks-min-refresh", type=float, help="at most one JWKS fetch per this many seconds"
    )
    parser.add_argument("--leeway", type=float, help="clock-skew leeway in seconds")
    args = parser.parse_args(argv)
    return ServiceOptions(
        args.name,
        args.issuer,
        args.jwks_url,
        args.next_url,
        tuple(args.allowed_host),
        jwks_cache_ttl=args.jwks_cache_ttl,
        jwks_min_refresh=args.jwks_min_refresh,
        leeway=args.leeway,
    )


def key_settings(options: ServiceOptions) -> dict[str, Any]:
    """The passport settings (lower-case names) for the keys and leeway of ``options``.

    The JWKS URL, and with cache options the ``jwks_options`` that shorten every wait
    of the key cache to them (the rotation tests run a whole rotation in seconds).
    """
    settings: dict[str, Any] = {"jwks_url": options.jwks_url}
    jwks_options: dict[str, float] = {}
    ttl, refresh = options.jwks_cache_ttl, options.jwks_min_refresh
    if ttl is not None:
        jwks_options.update(cache_ttl=ttl, min_cache_ttl=min(ttl, DEFAULT_MIN_CACHE_TTL))
    if refresh is not None:
        jwks_options.update(
            min_refresh_interval=refresh,
            unknown_kid_interval=min(refresh, DEFAULT_UNKNOWN_KID_INTERVAL),
        )
    if jwks_options:
        settings["jwks_options"] = jwks_options
    if options.leeway is not None:
        settings["leeway"] = options.leeway
    return settings


def announce(url: str) -> None:
    """Tell the orchestrator (reading stdout) where this service listens.

    Also ties this process to the orchestrator: it holds our stdin open, so
    when it ends, however it ends, stdin reaches EOF and we exit too.
    """
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    sys.stdout.write(f"{READY} {url}\n")
    sys.stdout.flush()


def _exit_with_parent() -> None:
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def hop_report(service: str, passport: Passport, next_hop: dict[str, Any] | None) -> dict[str, Any]:
    """What one hop saw and decided; never the token itself."""
    return {
        "service": service,
        "decision": "allowed",
        "passport": {
            "sub": passport.subject,
            "iss": passport.issuer,
            "aud": list(passport.audience),
            "jti": passport.jti,
            "kid": passport.kid,
            "roles": sorted(passport.roles),
            "scopes": sorted(passport.scopes),
            "tenant": passport.tenant,
            "profile": dict(passport.profile),
            "expires_at": passport.expires_at.isoformat(),
            "fingerprint": passport.fingerprint,
        },
        "next": next_hop,
    }


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    return {"status": response.status_code, "body": body}


def call_next(client: httpx.Client, options: ServiceOptions, path: str) -> dict[str, Any] | None:
    """Call the next hop with the current passport (the client forwards it)."""
    if options.next_url is None:
        return None
    return _answer(client.get(f"{options.next_url}{path}"))


async def acall_next(
    client: httpx.AsyncClient, options: ServiceOptions, path: str
) -> dict[str, Any] | None:
    """Async twin of :func:`call_next`."""
    if options.next_url is None:
        return None
    return _answer(await client.get(f"{options.next_url}{path}"))
