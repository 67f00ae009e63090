"""URL rules for every URL the library fetches: keys, discovery, and later introspection.

A fetched URL is configuration, and it decides whom we trust: only ``https://``,
or ``http://`` to a loopback host (tests, sidecars), and never with a secret
in what reaches a log.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx

from passport_core.errors import ConfigurationError, PassportError

__all__ = ["checked_url", "is_loopback", "redacted"]


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(
    url: Any,
    *,
    allow_insecure: bool,
    what: str,
    error: type[PassportError] = ConfigurationError,
) -> httpx.URL:
    """Parse ``url``; only https, or http to loopback unless ``allow_insecure``."""
    if not isinstance(url, str) or not url:
        raise error(f"{what} must be a non-empty string")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise error(f"{what} is not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise error(f"{what} must be an absolute https:// URL")
    if parsed.scheme == "http" and not (allow_insecure or is_loopback(parsed.host)):
        # Keys fetched over plain HTTP can be swapped by anyone on the path.
        raise error(f"{what} must use https:// (http:// only to loopback or with allow_insecure)")
    return parsed


def redacted(url: httpx.URL) -> str:
    """The URL for logs: no user info, no query (either may hold a secret)."""
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host  # RFC 3986 §3.2.2: IPv6 literal
    return f"{url.scheme}://{host}{port}{url.path}"
