"""PASSPORT_EXCHANGE_* settings: wrong ones fail at init_app, named the Flask way."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from passport_core import ConfigurationError, KeyRing, generate_key
from passport_flask import PassportExtension

from .conftest import settings

CLIENT_KEY = generate_key("EdDSA", kid="orders").to_jwk(private=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PASSPORT_EXCHANGE_AUDIENCES": {"stock.internal": "stock"}}, "PASSPORT_EXCHANGE_URL"),
        ({"PASSPORT_EXCHANGE_URL": "http://127.0.0.1:9/token"}, "PASSPORT_EXCHANGE_KEY_FILE"),
        (
            {
                "PASSPORT_EXCHANGE_URL": "http://sts.example/token",
                "PASSPORT_EXCHANGE_KEY": CLIENT_KEY,
                "PASSPORT_EXCHANGE_AUDIENCES": {"stock.internal": "stock"},
            },
            "PASSPORT_EXCHANGE_URL",
        ),
        ({"PASSPORT_EXCHANGE_AUDIENCES": ["stock"]}, "PASSPORT_EXCHANGE_AUDIENCES"),
    ],
)
def test_bad_exchange_settings_fail_at_init_app(
    ring: KeyRing, overrides: dict[str, Any], message: str
) -> None:
    app = Flask("orders")
    app.config.update(settings(ring, **overrides))
    with pytest.raises(ConfigurationError, match=message):
        PassportExtension(app)
