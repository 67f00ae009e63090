"""Enrichers: the common data (profile, roles, permissions, tenant) a passport carries."""

from __future__ import annotations

from passport_core.edge.enrichers.base import (
    DEFAULT_ENRICHER_TIMEOUT,
    Enricher,
    FunctionEnricher,
    enricher,
)
from passport_core.edge.enrichers.gather import Gathered, agather, gather
from passport_core.edge.enrichers.http import HTTPEnricher

__all__ = [
    "DEFAULT_ENRICHER_TIMEOUT",
    "Enricher",
    "FunctionEnricher",
    "Gathered",
    "agather",
    "enricher",
    "gather",
]
__all__ += ["HTTPEnricher"]
