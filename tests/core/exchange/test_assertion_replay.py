"""Client assertions are used once, for as long as the verifier would accept them."""

from __future__ import annotations

import time

import pytest

from passport_core import ConfigurationError, InvalidClient, MemoryReplayCache, generate_key
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import AssertionReplayCache, ClientRegistry, ServiceClient

STS = "https://sts.test"
KEY = generate_key("EdDSA", kid="a-1")


def registry(**options: object) -> ClientRegistry:
    return ClientRegistry([ServiceClient("a", KEY.public())], token_service=STS, **options)  # type: ignore[arg-type]


def assertion(age: float = 0.0) -> str:
    auth = ClientAuth("a", method="private_key_jwt", key=KEY)
    return auth.credentials(STS, lambda: time.time() - age).form["client_assertion"]


def test_an_assertion_past_exp_but_within_leeway_is_still_used_once() -> None:
    # ClientAuth's assertions live 60 s: at age 65 exp is 5 s ago, within the 30 s leeway
    late = assertion(age=65)
    clients = registry()
    assert clients.authenticate(late).client_id == "a"
    with pytest.raises(InvalidClient):
        clients.authenticate(late)


def test_the_replay_cache_given_is_the_one_used_even_empty() -> None:
    shared = AssertionReplayCache(max_entries=10)
    first, second = registry(replay_cache=shared), registry(replay_cache=shared)
    used = assertion()
    first.authenticate(used)
    assert len(shared) == 1
    with pytest.raises(InvalidClient):
        second.authenticate(used)  # another instance sharing the cache refuses the replay


def test_a_replay_cache_of_another_kind_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        registry(replay_cache=MemoryReplayCache())
