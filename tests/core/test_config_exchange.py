"""The exchange settings: outbound clients built from PassportConfig exchange per host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from passport_core import ConfigurationError, PassportConfig, generate_key, use_passport
from tests.servers import RunningServer, serve
from tests.token_service import EDGE, TokenServiceHarness, token_service


@pytest.fixture
def harness() -> TokenServiceHarness:
    harness = TokenServiceHarness(targets={"b": {"a"}})
    harness.client("a")
    return harness


@pytest.fixture
def endpoint(harness: TokenServiceHarness) -> Iterator[str]:
    with token_service(harness) as url:
        yield url


@pytest.fixture
def b() -> Iterator[RunningServer]:
    with serve() as running:
        yield running


def settings(harness: TokenServiceHarness, **overrides: Any) -> dict[str, Any]:
    return {
        "issuer": EDGE,
        "audience": "a",
        "jwks": harness.edge_ring.public_jwks(),
        "exchange_url": "http://127.0.0.1:1/token",
        "exchange_key": harness.client("a").to_jwk(private=True),
        "exchange_audiences": {"127.0.0.1": "b"},
        **overrides,
    }


def test_outbound_clients_share_one_exchange_client(
    harness: TokenServiceHarness, endpoint: str, b: RunningServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "a.jwk"
    key_file.write_text(json.dumps(harness.client("a").to_jwk(private=True)))
    config = PassportConfig.from_mapping(
        settings(
            harness,
            exchange_url=endpoint,
            exchange_key=None,
            exchange_key_file=str(key_file),
            exchange_audiences={f"127.0.0.1:{b.port}": "b"},
        )
    )
    config.build_gate()
    passport = harness.verifier("a").verify(harness.edge_passport("user-1", "a"))
    with use_passport(passport):
        with config.outbound_client() as client:
            client.get(b.url)
        with config.outbound_client() as client:
            client.get(b.url)
    tokens = {headers["x-passport"] for _, headers in b.requests}
    (token,) = tokens
    assert harness.verifier("b").verify(token).actor[0].subject == "a"  # client id: audience
    assert harness.exchanges == 1
    assert harness.client("a").to_jwk(private=True)["d"] not in repr(config)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exchange_url": None}, "exchange_without_url"),
        ({"exchange_key": None}, "exchange_key"),
        ({"exchange_key_file": "/nowhere.jwk"}, "exchange_key"),
        ({"exchange_audiences": {}}, "exchange_audiences"),
    ],
)
def test_incomplete_exchange_settings_are_start_up_problems(
    harness: TokenServiceHarness, overrides: dict[str, Any], code: str
) -> None:
    config = PassportConfig.from_mapping(settings(harness, **overrides))
    assert code in [problem.code for problem in config.problems()]
    with pytest.raises(ConfigurationError):
        config.build_gate()


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"exchange_url": "http://sts.example/token"}, "exchange_url"),
        ({"exchange_key": {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}}, "exchange_key"),
        ({"exchange_options": {"no_such_option": 1}}, "exchange_options"),
        ({"exchange_audiences": {"bad host/": "b"}}, "exchange_audiences"),
    ],
)
def test_bad_exchange_settings_name_the_setting(
    harness: TokenServiceHarness, overrides: dict[str, Any], setting: str | None
) -> None:
    config = PassportConfig.from_mapping(settings(harness, **overrides))
    with pytest.raises(ConfigurationError) as refused:
        config.build_gate()
    assert refused.value.setting == setting


@pytest.mark.parametrize(
    "overrides",
    [{"exchange_audiences": ["b"]}, {"exchange_url": 1}, {"exchange_options": "timeout=1"}],
)
def test_exchange_settings_of_the_wrong_type_are_refused(
    harness: TokenServiceHarness, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        PassportConfig.from_mapping(settings(harness, **overrides))
    assert refused.value.setting == next(iter(overrides))


def test_a_proof_key_binds_the_exchanged_passports_too(harness: TokenServiceHarness) -> None:
    proof_key = generate_key("EdDSA")
    config = PassportConfig.from_mapping(settings(harness, proof_key=proof_key))
    assert config.exchange_client is not None
    assert config.exchange_client.proof_key is proof_key
    own = generate_key("ES256")
    chosen = PassportConfig.from_mapping(
        settings(harness, proof_key=proof_key, exchange_options={"proof_key": own})
    )
    assert chosen.exchange_client is not None
    assert chosen.exchange_client.proof_key is own  # exchange_options says it explicitly
    unbound = PassportConfig.from_mapping(settings(harness))
    assert unbound.exchange_client is not None
    assert unbound.exchange_client.proof_key is None
