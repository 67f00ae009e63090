"""``encrypt_to`` in edge.toml: an audience's public key file, relative to the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joserfc.jwk import ECKey

from passport_core import ConfigurationError, PrivateKeyInPublicSet
from passport_core.edge.config import EdgeConfig
from tests.core.edge.conftest import lookup

KEY = ECKey.generate_key("P-256", parameters={"kid": "billing-enc"})


def _config(encrypt_to: str) -> dict[str, object]:
    return {
        "issuer": "https://edge.toml.test",
        "ring": "ring.json",
        "mode": "mint",
        "authenticators": [{"kind": "api_key", "lookup": f"{__name__}:lookup"}],
        "audiences": [{"name": "orders"}, {"name": "billing", "encrypt_to": encrypt_to}],
    }


def test_an_audience_reads_its_public_key_file(tmp_path: Path) -> None:
    (tmp_path / "billing.pub.json").write_text(json.dumps(KEY.as_dict(private=False)))

    config = EdgeConfig.from_mapping(_config("billing.pub.json"), base=tmp_path)

    orders, billing = config.audiences
    assert orders.encrypter is None
    assert billing.encrypter is not None
    assert billing.encrypter.kid == "billing-enc"


def test_a_private_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "billing.json").write_text(json.dumps(KEY.as_dict(private=True)))

    with pytest.raises(PrivateKeyInPublicSet):
        EdgeConfig.from_mapping(_config("billing.json"), base=tmp_path)
    with pytest.raises(ConfigurationError):
        EdgeConfig.from_mapping(_config("missing.json"), base=tmp_path)


__all__ = ["lookup"]  # the api_key hook the config names
