"""Enrichers: concurrent, each within its own timeout; required vs optional; a merge that
never depends on which finished first."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    CommonData,
    ConfigurationError,
    EnrichmentFailed,
    FunctionEnricher,
    Identity,
    MintingError,
    Verifier,
    enricher,
)
from passport_core.edge import OMITTED_CLAIM
from passport_core.edge.enrichers import agather, gather
from tests.core.edge.conftest import KeyTable, MakeEdge, Mint, with_key

ALICE = Identity("alice", "api_key", common=CommonData(roles=frozenset({"member"})))
Gather = Callable[[Identity, list[FunctionEnricher]], Any]


@pytest.fixture
def run_gather(mode: str) -> Gather:
    """gather() or agather(), per the ``mode`` parameter."""

    def run(identity: Identity, enrichers: list[FunctionEnricher]) -> Any:
        if mode == "sync":
            return gather(identity, enrichers)
        return asyncio.run(agather(identity, enrichers))

    return run


def sleeper(
    name: str, seconds: float, data: dict[str, Any], *, kind: str, **options: Any
) -> FunctionEnricher:
    """An enricher answering ``data`` after ``seconds``, as a sync or an async function."""
    if kind == "sync":

        def sync_func(identity: Identity) -> dict[str, Any]:
            time.sleep(seconds)
            return data

        return FunctionEnricher(sync_func, name=name, **options)

    async def async_func(identity: Identity) -> dict[str, Any]:
        await asyncio.sleep(seconds)
        return data

    return FunctionEnricher(async_func, name=name, **options)


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])


def test_a_hung_optional_enricher_never_starves_the_process(
    make_edge: MakeEdge, mint: Mint
) -> None:
    """Partial passports are not cached, so each request retries the enricher: without a
    bulkhead, one caller's requests would pile stuck calls onto every worker of the pool."""
    release = threading.Event()

    def hung(identity: Identity) -> dict[str, Any]:
        release.wait(10)
        return {}

    edge = make_edge(
        enrichers=[FunctionEnricher(hung, required=False, timeout=0.05, max_in_flight=2)]
    )
    plain = make_edge()  # another edge of the same process, with no enrichers
    try:
        started = time.monotonic()
        for _ in range(100):  # more requests than the shared pool has workers
            assert mint(edge, with_key()).omitted == ("hung",)
        assert time.monotonic() - started < 5  # only the first two waited their timeout
        assert not mint(plain, with_key()).omitted  # its API-key lookups still get workers
    finally:
        release.set()


@KINDS
def test_enrichers_run_concurrently(kind: str, run_gather: Gather) -> None:
    enrichers = [
        sleeper("roles", 0.3, {"roles": ["staff"]}, kind=kind),
        sleeper("tenant", 0.3, {"tenant": "acme"}, kind=kind),
        sleeper("profile", 0.3, {"profile": {"name": "Alice"}}, kind=kind),
    ]
    start = time.monotonic()
    gathered = run_gather(ALICE, enrichers)
    assert time.monotonic() - start < 0.75
    assert gathered.common.roles == {"member", "staff"}
    assert (gathered.common.tenant, dict(gathered.common.profile)) == ("acme", {"name": "Alice"})


@KINDS
def test_a_required_enricher_that_times_out_is_a_503_within_its_timeout(
    kind: str, run_gather: Gather
) -> None:
    enrichers = [
        sleeper("fast", 0.01, {"roles": ["a"]}, kind=kind),
        sleeper("directory", 2.0, {}, kind=kind, timeout=0.2),
    ]
    start = time.monotonic()
    with pytest.raises(EnrichmentFailed) as caught:
        run_gather(ALICE, enrichers)
    assert time.monotonic() - start < 1.0
    assert caught.value.status == 503
    assert caught.value.code == "enrichment_failed"
    assert "'directory'" in caught.value.message
    assert "0.2 s" in caught.value.message


@KINDS
def test_each_enricher_has_its_own_timeout(kind: str, run_gather: Gather) -> None:
    # The slow one has a long timeout of its own: the short one's does not cut it off.
    enrichers = [
        sleeper("quick", 0.01, {"roles": ["a"]}, kind=kind, timeout=0.1),
        sleeper("patient", 0.3, {"roles": ["b"]}, kind=kind, timeout=2.0),
    ]
    assert run_gather(ALICE, enrichers).common.roles == {"member", "a", "b"}


def test_a_required_enricher_that_raises_is_a_503_and_its_message_is_not_logged(
    mode: str, run_gather: Gather, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(identity: Identity) -> None:
        raise RuntimeError("password=hunter2 in the connection string")

    with caplog.at_level(logging.DEBUG), pytest.raises(EnrichmentFailed) as caught:
        run_gather(ALICE, [FunctionEnricher(broken)])
    assert "RuntimeError" in caught.value.message
    assert "hunter2" not in caught.value.message
    assert "hunter2" not in caplog.text


@KINDS
def test_an_optional_enricher_that_fails_is_left_out_and_named(
    kind: str, run_gather: Gather, caplog: pytest.LogCaptureFixture
) -> None:
    enrichers = [
        sleeper("roles", 0.01, {"roles": ["staff"]}, kind=kind),
        sleeper("recommendations", 2.0, {"claims": 1}, kind=kind, timeout=0.1, required=False),
    ]
    with caplog.at_level(logging.WARNING, logger="passport_core.edge"):
        gathered = run_gather(ALICE, enrichers)
    assert gathered.omitted == ("recommendations",)
    assert gathered.common.roles == {"member", "staff"}
    assert "recommendations" in caplog.text


def test_an_omitted_enricher_is_named_in_the_passport_and_not_cached(
    make_edge: MakeEdge, mint: Mint, key_table: KeyTable, edge_verifier: Callable[[str], Verifier]
) -> None:
    calls = {"n": 0}

    def flaky(identity: Identity) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("down")
        return {"profile": {"plan": "gold"}}

    edge = make_edge(enrichers=[FunctionEnricher(flaky, name="billing_plan", required=False)])
    first = mint(edge, with_key())
    assert first.omitted == ("billing_plan",)
    assert edge_verifier("orders").verify(first.token).claims[OMITTED_CLAIM] == ["billing_plan"]
    second = mint(edge, with_key())  # retried, not served from the cache
    assert not second.cached
    assert second.omitted == ()
    passport = edge_verifier("orders").verify(second.token)
    assert OMITTED_CLAIM not in passport.claims
    assert passport.profile == {"plan": "gold"}
    assert mint(edge, with_key()).cached


@KINDS
@pytest.mark.parametrize("first_is_slow", [True, False])
def test_the_merge_does_not_depend_on_which_finished_first(
    kind: str, first_is_slow: bool, run_gather: Gather
) -> None:
    slow, fast = (0.15, 0.0) if first_is_slow else (0.0, 0.15)
    enrichers = [
        sleeper("a", slow, {"roles": ["x"], "profile": {"name": "A"}, "team": "red"}, kind=kind),
        sleeper("b", fast, {"roles": ["y"], "profile": {"mail": "a@x"}, "level": 3}, kind=kind),
    ]
    common = run_gather(ALICE, enrichers).common
    assert common.as_claims() == {
        "roles": ["member", "x", "y"],
        "profile_data": {"name": "A", "mail": "a@x"},
        "team": "red",
        "level": 3,
    }


@KINDS
@pytest.mark.parametrize(
    ("left", "right", "what"),
    [
        ({"tenant": "acme"}, {"tenant": "globex"}, "the tenant"),
        ({"profile": {"name": "A"}}, {"profile": {"name": "B"}}, "profile field 'name'"),
        ({"team": "red"}, {"team": "blue"}, "claim 'team'"),
    ],
)
@pytest.mark.parametrize("first_is_slow", [True, False])
def test_conflicting_sources_are_a_minting_error_whatever_the_timing(
    kind: str,
    left: dict[str, Any],
    right: dict[str, Any],
    what: str,
    first_is_slow: bool,
    run_gather: Gather,
) -> None:
    slow, fast = (0.1, 0.0) if first_is_slow else (0.0, 0.1)
    enrichers = [sleeper("a", slow, left, kind=kind), sleeper("b", fast, right, kind=kind)]
    with pytest.raises(MintingError, match=f"disagree on {what}") as caught:
        run_gather(ALICE, enrichers)
    assert caught.value.status == 500
    assert "'b' enricher" in caught.value.message


def test_agreeing_sources_are_no_conflict(run_gather: Gather) -> None:
    enrichers = [
        FunctionEnricher(lambda i: {"tenant": "acme", "team": "red"}, name="a"),
        FunctionEnricher(lambda i: {"tenant": "acme", "team": "red"}, name="b"),
    ]
    assert run_gather(ALICE, enrichers).common.tenant == "acme"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("roles", "must be a mapping"),
        ({"roles": "admin"}, "collection of strings"),
        ({"roles": ["ok", 3]}, "non-empty string"),
        ({"tenant": ""}, "tenant"),
        ({"profile": ["name"]}, "profile"),
    ],
)
def test_a_malformed_answer_is_a_minting_error_naming_the_enricher(
    answer: Any, message: str, run_gather: Gather
) -> None:
    with pytest.raises(MintingError, match=message) as caught:
        run_gather(ALICE, [FunctionEnricher(lambda i: answer, name="directory")])
    assert "'directory'" in caught.value.message


def test_an_enricher_may_answer_common_data_or_nothing(run_gather: Gather) -> None:
    enrichers = [
        FunctionEnricher(lambda i: CommonData(scopes=frozenset({"orders:read"})), name="a"),
        FunctionEnricher(lambda i: None, name="b"),
    ]
    assert run_gather(ALICE, enrichers).common.scopes == {"orders:read"}


def test_the_identity_reaches_the_enricher(run_gather: Gather) -> None:
    seen: list[str] = []

    @enricher(name="who")
    async def who(identity: Identity) -> None:
        seen.append(identity.subject)

    run_gather(ALICE, [who])
    assert seen == ["alice"]


def test_no_enrichers_is_the_identity_s_own_data(run_gather: Gather) -> None:
    assert run_gather(ALICE, []).common == ALICE.common


def test_the_decorator_sets_name_required_and_timeout() -> None:
    @enricher(required=False, timeout=0.5)
    def tenant_of(identity: Identity) -> None:
        return None

    assert (tenant_of.name, tenant_of.required, tenant_of.timeout) == ("tenant_of", False, 0.5)
    assert "tenant_of" in repr(tenant_of)


@pytest.mark.parametrize("timeout", [0, -1, 61, True, "1", float("nan")])
def test_a_timeout_must_be_within_one_minute(timeout: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        FunctionEnricher(lambda i: None, timeout=timeout)


def test_an_enricher_needs_a_function() -> None:
    with pytest.raises(ConfigurationError):
        FunctionEnricher("roles")  # type: ignore[arg-type]


def test_enrichers_run_concurrently_through_the_edge(
    make_edge: MakeEdge, mint: Mint, edge_verifier: Callable[[str], Verifier]
) -> None:
    edge = make_edge(
        enrichers=[
            sleeper("roles", 0.3, {"roles": ["staff"]}, kind="sync"),
            sleeper("tenant", 0.3, {"tenant": "acme"}, kind="async"),
            sleeper("profile", 0.3, {"profile": {"name": "Alice"}}, kind="sync"),
        ]
    )
    start = time.monotonic()
    minted = mint(edge, with_key())
    assert time.monotonic() - start < 0.75
    passport = edge_verifier("orders").verify(minted.token)
    assert (passport.roles, passport.tenant) == ({"staff"}, "acme")
