"""Running every enricher of one mint concurrently, each within its own timeout."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from passport_core.edge.calls import CallTimedOut, submit, wait
from passport_core.edge.common import CommonData
from passport_core.edge.enrichers.base import Enricher, EnrichResult
from passport_core.edge.identity import Identity
from passport_core.errors import EnrichmentFailed, MintingError, PassportError

__all__ = ["Gathered", "agather", "gather"]

logger = logging.getLogger("passport_core.edge")


@dataclass(frozen=True)
class Gathered:
    """The merged common data, and the optional enrichers that were left out."""

    common: CommonData
    omitted: tuple[str, ...] = ()


def _failure(enricher: Enricher, exc: BaseException) -> str:
    if isinstance(exc, (CallTimedOut, asyncio.TimeoutError, TimeoutError)):
        return f"did not answer within {enricher.timeout:g} s"
    if isinstance(exc, PassportError):
        return exc.message
    return f"failed ({type(exc).__name__})"  # the message may hold anything: not logged


def _merge(
    identity: Identity, enrichers: Sequence[Enricher], outcomes: Sequence[object]
) -> Gathered:
    common = identity.common
    omitted: list[str] = []
    for enricher, outcome in zip(enrichers, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            reason = _failure(enricher, outcome)
            if enricher.required:
                logger.warning("required enricher %r %s", enricher.name, reason)
                raise EnrichmentFailed(f"the {enricher.name!r} enricher {reason}") from outcome
            logger.warning("optional enricher %r %s; left out", enricher.name, reason)
            omitted.append(enricher.name)
            continue
        try:
            data = CommonData.from_mapping(outcome)  # type: ignore[arg-type]
            common = common.merge(data)  # in declared order: the result never depends on timing
        except MintingError as exc:
            raise MintingError(f"the {enricher.name!r} enricher: {exc.message}") from exc
    return Gathered(common, tuple(omitted))


def gather(identity: Identity, enrichers: Sequence[Enricher]) -> Gathered:
    """Run ``enrichers`` concurrently on threads; bounded by the slowest timeout."""
    if not enrichers:
        return Gathered(identity.common)
    start = time.monotonic()
    futures: list[Future[Any] | CallTimedOut] = []
    for enricher in enrichers:
        try:
            # An enricher may carry a Bulkhead (FunctionEnricher does): a full one fails here.
            bulkhead = getattr(enricher, "bulkhead", None)
            futures.append(
                submit(enricher.enrich, identity, timeout=enricher.timeout, bulkhead=bulkhead)
            )
        except CallTimedOut as exc:
            futures.append(exc)
    outcomes: list[object] = []
    for enricher, future in zip(enrichers, futures, strict=True):
        if isinstance(future, CallTimedOut):
            outcomes.append(future)
            continue
        try:
            left = enricher.timeout - (time.monotonic() - start)
            outcomes.append(wait(future, left))
        except Exception as exc:  # noqa: BLE001 - a user's enricher may raise anything
            outcomes.append(exc)
    return _merge(identity, enrichers, outcomes)


async def _bounded(enricher: Enricher, identity: Identity) -> EnrichResult:
    return await asyncio.wait_for(enricher.aenrich(identity), enricher.timeout)


async def agather(identity: Identity, enrichers: Sequence[Enricher]) -> Gathered:
    """Run ``enrichers`` concurrently on the event loop; bounded by the slowest timeout."""
    if not enrichers:
        return Gathered(identity.common)
    outcomes = await asyncio.gather(
        *(_bounded(e, identity) for e in enrichers), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # cancellation and KeyboardInterrupt are not enricher failures
    return _merge(identity, enrichers, outcomes)
