"""The PASSPORT setting: upper-case keys, caching, and reloading on setting_changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from pytest_django import Settings

from passport_core import ConfigurationError
from passport_django.conf import conf, config_from_setting
from tests.django.conftest import Get, Mint
from tests.django.test_middleware import assert_problem


def test_upper_case_keys_map_to_core_settings(passport_settings: dict[str, Any]) -> None:
    config = config_from_setting(
        {**passport_settings, "BEARER": True, "ALLOWED_HOSTS": ["billing.internal"]}
    )
    assert config.issuer == "https://edge.test"
    assert config.audience == ("orders",)
    assert config.bearer is True
    assert config.allowed_hosts == ("billing.internal",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "PASSPORT setting is missing"),
        (["ISSUER"], "must be a dict"),
        ({"issuer": "https://edge.test"}, "upper-case"),
        ({"AUDIENCES": "orders"}, "unknown passport"),
        ({"ALLOWED_HOSTS": "billing.internal"}, "list of host names"),
    ],
)
def test_a_wrong_setting_is_refused_with_a_clear_message(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config_from_setting(value)


def test_the_gate_is_built_once_and_rebuilt_when_the_setting_changes(
    passport_settings: dict[str, Any],
) -> None:
    gate = conf.gate
    assert conf.gate is gate
    with override_settings(PASSPORT={**passport_settings, "AUDIENCE": "billing"}):
        assert conf.gate is not gate
        assert conf.config.audience == ("billing",)
    assert conf.config.audience == ("orders",)


def test_override_settings_takes_effect_on_the_next_request(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    token = mint("alice", audience="billing")
    assert_problem(get("/sync/open/", token), 401, "invalid_audience")
    with override_settings(PASSPORT={**passport_settings, "AUDIENCE": "billing"}):
        assert get("/sync/open/", token).json()["subject"] == "alice"
    assert_problem(get("/sync/open/", token), 401, "invalid_audience")


def test_the_settings_fixture_takes_effect_too(
    get: Get, mint: Mint, settings: Settings, passport_settings: dict[str, Any]
) -> None:
    settings.PASSPORT = {**passport_settings, "AUDIENCE": ["orders", "billing"]}
    assert get("/sync/open/", mint("alice", audience="billing")).json()["subject"] == "alice"


def test_other_settings_changes_keep_the_cached_gate(settings: Settings) -> None:
    gate = conf.gate
    settings.DEBUG = True
    assert conf.gate is gate


def test_core_refusals_are_restated_with_django_keys() -> None:
    with pytest.raises(ConfigurationError) as caught:
        config_from_setting({"AUDIENS": "orders"})
    assert caught.value.setting == "audiens"
    assert caught.value.message.startswith('unknown passport setting PASSPORT["AUDIENS"]; known:')
    assert 'PASSPORT["AUDIENCE"]' in caught.value.message
    assert "PASSPORT setting" not in caught.value.message
