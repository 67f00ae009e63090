"""PASSPORT["EXCHANGE_*"]: incomplete exchange settings are system-check errors."""

from __future__ import annotations

from typing import Any

from django.core.checks import run_checks
from django.test import override_settings


def test_exchange_audiences_without_a_url_is_an_error(passport_settings: dict[str, Any]) -> None:
    changed = {**passport_settings, "EXCHANGE_AUDIENCES": {"stock.internal": "stock"}}
    with override_settings(PASSPORT=changed):
        messages = [m for m in run_checks() if str(m.id).startswith("passport_django.")]
    assert [m.id for m in messages] == ["passport_django.E008"]
    assert 'PASSPORT["EXCHANGE_URL"]' in messages[0].msg
