"""Adapter settings built from a plain mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from passport_core import ConfigurationError, KeyRing, Minter, PassportConfig, RemoteJWKS, Verifier

ISSUER = "https://edge.test"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


def test_builds_a_working_verifier_from_an_inline_jwks(ring: KeyRing) -> None:
    config = PassportConfig.from_mapping(
        {"issuer": ISSUER, "audience": "orders", "jwks": ring.public_jwks()}
    )
    token = Minter(ring, issuer=ISSUER).mint("u1", audience="orders")
    assert config.build_verifier().verify(token).subject == "u1"


def test_jwks_file(ring: KeyRing, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(ring.public_jwks()))
    config = PassportConfig.from_mapping(
        {"issuer": ISSUER, "audience": ["orders", "billing"], "jwks_file": str(path)}
    )
    token = Minter(ring, issuer=ISSUER).mint("u1", audience="billing")
    assert config.build_verifier().verify(token).audience == ("billing",)


def test_unknown_setting_is_named() -> None:
    with pytest.raises(ConfigurationError, match="audiance"):
        PassportConfig.from_mapping({"issuer": ISSUER, "audiance": "orders"})


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"audience": "a", "jwks": {"keys": []}}, "no 'issuer'"),
        ({"issuer": ISSUER, "jwks": {"keys": []}}, "no 'audience'"),
        ({"issuer": ISSUER, "audience": "a"}, "no keys"),
        (
            {"issuer": ISSUER, "audience": "a", "jwks": {"keys": []}, "jwks_url": "https://x"},
            "several key settings",
        ),
        ({"issuer": ISSUER, "audience": "a", "jwks_file": "/nonexistent.json"}, "does not exist"),
    ],
)
def test_problems_are_reported_in_words(settings: dict[str, object], problem: str) -> None:
    config = PassportConfig.from_mapping(settings)
    assert any(problem in str(found) for found in config.problems())
    with pytest.raises(ConfigurationError, match=problem):
        config.build_verifier()


def test_allowed_hosts_as_a_single_string_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="allowed_hosts"):
        PassportConfig.from_mapping({"allowed_hosts": "orders.internal"})


def test_a_ready_verifier_wins(ring: KeyRing) -> None:
    verifier = Verifier(keys=ring, issuer=ISSUER, audience="x")
    config = PassportConfig.from_mapping({"verifier": verifier})
    assert config.problems() == []
    assert config.build_verifier() is verifier


def test_published_jwks_has_public_keys_only(ring: KeyRing) -> None:
    config = PassportConfig.from_mapping({"publish": ring})
    published = config.published_jwks()
    assert published is not None
    assert [key["kid"] for key in published["keys"]] == [ring.active.kid]
    assert "d" not in published["keys"][0]
    assert PassportConfig().published_jwks() is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("leeway", "thirty"),
        ("bearer", "yes"),
        ("max_token_bytes", 8.5),
        ("audience", 42),
        ("allowed_hosts", [1, 2]),
        ("jwks", "not a dict"),
        ("publish", ["not a key"]),
        ("typ", 3),
    ],
)
def test_wrong_types_name_the_setting(name: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"'{name}' must be"):
        PassportConfig.from_mapping({name: value})


def test_setting_names_are_public() -> None:
    assert {"issuer", "audience", "jwks_url", "allowed_hosts"} <= PassportConfig.setting_names()
    assert "extra" not in PassportConfig.setting_names()


def test_one_key_to_publish(ring: KeyRing) -> None:
    config = PassportConfig.from_mapping({"publish": ring.active})
    assert config.published_jwks() == ring.public_jwks()


def test_generators_are_read_once_not_used_up(ring: KeyRing) -> None:
    config = PassportConfig.from_mapping(
        {
            "audience": (name for name in ["orders"]),
            "allowed_hosts": (host for host in ["billing.internal"]),
            "publish": (key for key in [ring.active]),
        }
    )
    assert config.audience == ("orders",)
    assert config.allowed_hosts == ("billing.internal",)
    assert config.published_jwks() == ring.public_jwks()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(ConfigurationError, match="'max_lifetime' must be"):
        PassportConfig.from_mapping({"max_lifetime": value})


def test_jwks_options_reach_the_remote_key_source() -> None:
    config = PassportConfig.from_mapping(
        {
            "issuer": ISSUER,
            "audience": "orders",
            "jwks_url": "https://edge.test/.well-known/jwks.json",
            "jwks_options": {"timeout": 1.5, "max_stale": 3600, "unknown_kid_interval": 2},
        }
    )
    source = config.build_verifier().issuers[ISSUER].keys
    assert isinstance(source, RemoteJWKS)
    assert (source.timeout, source.max_stale, source.unknown_kid_interval) == (1.5, 3600, 2)


URL = "https://edge.test/.well-known/jwks.json"


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"jwks_url": "https://edge.test/jwks.json", "jwks_options": {"nope": 1}}, "unknown"),
        (
            {"jwks_url": "https://edge.test/jwks.json", "jwks_options": {"max_stale": -1}},
            "max_stale",
        ),
        ({"jwks": {"keys": []}, "jwks_options": {"timeout": 1}}, "jwks_url"),
        ({"jwks_url": "https://edge.test/jwks.json", "jwks_options": [("timeout", 1)]}, "must be"),
    ],
)
def test_bad_jwks_options_are_refused(settings: dict[str, object], why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        PassportConfig.from_mapping(
            {"issuer": ISSUER, "audience": "orders", **settings}
        ).build_verifier()


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"issuer": ISSUER, "audiance": "orders"}, "audiance"),
        ({"leeway": "thirty"}, "leeway"),
        ({"allowed_hosts": "orders.internal"}, "allowed_hosts"),
    ],
)
def test_a_refused_setting_is_named_as_data(settings: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping(settings)
    assert caught.value.setting == setting
    assert f"'{setting}'" in caught.value.message
    restated = caught.value.render(lambda name: f"PASSPORT_{name.upper()}")
    assert f"PASSPORT_{setting.upper()}" in restated
    assert f"'{setting}'" not in restated


def test_problems_name_their_settings_as_data() -> None:
    config = PassportConfig.from_mapping({"jwks_file": "/nonexistent.json", "jwks": {"keys": []}})
    found = {problem.code: problem for problem in config.problems()}
    assert found["missing_issuer"].setting == "issuer"
    assert found["missing_audience"].setting == "audience"
    assert found["missing_jwks_file"].setting == "jwks_file"
    assert found["several_keys"].setting is None
    assert found["several_keys"].settings == ("jwks", "jwks_file")
    assert (
        found["several_keys"].render(str.upper)
        == "several key settings (JWKS, JWKS_FILE): set exactly one"
    )
    with pytest.raises(ConfigurationError) as caught:
        config.build_verifier()
    assert caught.value.setting == "issuer"
    assert "jwks_file" in caught.value.settings


def test_restated_keeps_class_and_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping({"leeway": "x"})
    again = caught.value.restated(str.upper, "app 'orders': ")
    assert type(again) is type(caught.value)
    assert again.setting == "leeway"
    assert again.message.startswith("app 'orders': LEEWAY must be")


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"jwks_url": "http://edge.example/jwks.json"}, "jwks_url"),
        ({"jwks_url": URL, "jwks_options": {"max_stale": -1}}, "jwks_options"),
        ({"jwks_url": URL, "jwks_options": {"nope": 1}}, "jwks_options"),
        ({"jwks": {"keys": []}, "jwks_options": {"timeout": 1}}, "jwks_options"),
    ],
)
def test_remote_key_errors_name_the_setting_to_fix(
    settings: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping(
            {"issuer": ISSUER, "audience": "orders", **settings}
        )._key_source()
    assert caught.value.setting == setting
    assert f"PASSPORT_{setting.upper()}" in caught.value.render(lambda n: f"PASSPORT_{n.upper()}")


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"leeway": 301}, "leeway"),
        ({"max_lifetime": 0}, "max_lifetime"),
        ({"max_token_bytes": 10}, "max_token_bytes"),
    ],
)
def test_verifier_limits_name_their_setting(settings: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping(
            {"issuer": ISSUER, "audience": "orders", "jwks_url": URL, **settings}
        ).build_verifier()
    assert caught.value.setting == setting
    assert caught.value.render(str.upper).startswith(setting.upper())
