"""Propagation: forwarding the current passport on outbound httpx calls, to allowed hosts only."""

from __future__ import annotations

from passport_core.outbound.propagation import (
    HostAllowList,
    HostAudiences,
    PassportAuth,
    passport_async_client,
    passport_client,
)

__all__ = [
    "HostAllowList",
    "HostAudiences",
    "PassportAuth",
    "passport_async_client",
    "passport_client",
]
