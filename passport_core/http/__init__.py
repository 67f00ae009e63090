"""The one bounded HTTP client side: URL rules, the fetcher, single flight.

Remote key sets, discovery, token introspection and HTTP enrichers use it
(token exchange will too), so every outbound request the library makes is
bounded the same way.
"""

from __future__ import annotations

from passport_core.http.fetcher import BoundedFetcher, Fetched, RequestBody
from passport_core.http.flight import Flight
from passport_core.http.urls import checked_url, is_loopback, redacted

__all__ = ["BoundedFetcher", "Fetched", "Flight", "checked_url", "is_loopback", "redacted"]
__all__ += ["RequestBody"]
