"""The ``decryption_keys`` setting: how every adapter gives its Verifier a Decrypter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from passport_core import ConfigurationError, Decrypter, Encrypter, PassportConfig
from passport_core.keys import Key
from tests.core.encryption.conftest import AUDIENCE, ISSUER, public


def _config(signing_key: Key, **settings: Any) -> PassportConfig:
    base = {"issuer": ISSUER, "audience": AUDIENCE, "keys": [signing_key.public()]}
    return PassportConfig.from_mapping({**base, **settings})


@pytest.mark.parametrize("form", ["jwks", "list", "file", "decrypter"])
def test_each_form_of_the_setting_decrypts(
    form: str, signing_key: Key, ec_private: dict[str, Any], passport: str, tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [ec_private]}))
    value = {
        "jwks": {"keys": [ec_private]},
        "list": [ec_private],
        "file": str(path),
        "decrypter": Decrypter(ec_private),
    }[form]
    verifier = _config(signing_key, decryption_keys=value).build_verifier()

    token = Encrypter(public(ec_private)).encrypt(passport)
    assert verifier.verify(token).subject == "user-1"


def test_no_setting_no_decrypter(signing_key: Key) -> None:
    assert _config(signing_key).build_verifier().decryption is None


@pytest.mark.parametrize("value", [42, [42], b"keys"])
def test_a_wrong_type_names_the_setting(signing_key: Key, value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _config(signing_key, decryption_keys=value)
    assert caught.value.setting == "decryption_keys"


def test_a_public_key_is_refused_at_start_up(signing_key: Key, ec_private: dict[str, Any]) -> None:
    config = _config(signing_key, decryption_keys={"keys": [public(ec_private)]})
    with pytest.raises(ConfigurationError) as caught:
        config.build_verifier()
    assert caught.value.setting == "decryption_keys"
    assert "PASSPORT_DECRYPTION_KEYS" in caught.value.render(lambda n: "PASSPORT_" + n.upper())
