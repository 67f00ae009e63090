"""Token exchange (RFC 8693): the client that trades a passport for a narrower one."""

from __future__ import annotations

from passport_core.exchange.client import ExchangeClient, Exchanged

__all__ = ["ExchangeClient", "Exchanged"]
