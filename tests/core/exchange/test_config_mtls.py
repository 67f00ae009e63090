"""sts.toml's mutual-TLS settings: ``[tls]`` and each client's ``auth_method``, read strictly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from passport_core import ConfigurationError, generate_key, public_jwks
from passport_core.exchange.config import StsConfig

from .test_cli_sts import passport_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

CONFIG = """
issuer = "https://sts.test"
ring = "sts-ring.json"

[tls]
client_cert_header = "X-Client-Cert"
format = "nginx-escaped-pem"
unverified_cert_header = "X-Client-Cert-Unverified"

[[clients]]
client_id = "orders"
auth_method = "tls_client_auth"
tls_client_auth_san_dns = "orders.internal"
targets = ["billing"]

[[clients]]
client_id = "reports"
auth_method = "self_signed_tls_client_auth"
jwks = "reports-jwks.json"
targets = ["billing"]

[[clients]]
client_id = "legacy"
jwks = "reports-jwks.json"
targets = ["billing"]

[[audiences]]
name = "billing"
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    jwks = public_jwks([generate_key("ES256").public()])
    (tmp_path / "reports-jwks.json").write_text(json.dumps(jwks), encoding="utf-8")
    (tmp_path / "sts.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _load(text: str, base: Path) -> StsConfig:
    return StsConfig.from_mapping(tomllib.loads(text), base=base)


def test_the_methods_and_the_header_are_read(workdir: Path) -> None:
    config = _load(CONFIG, workdir)
    assert config.tls is not None
    assert (config.tls.name, config.tls.format) == ("X-Client-Cert", "nginx-escaped-pem")
    assert config.tls.unverified_name == "X-Client-Cert-Unverified"
    methods = {client.client_id: client.auth_method for client in config.clients}
    assert methods == {
        "orders": "tls_client_auth",
        "reports": "self_signed_tls_client_auth",
        "legacy": "private_key_jwt",
    }
    orders = config.clients[0]
    assert orders.tls_subject is not None
    assert orders.keys is None
    assert orders.tls_subject.field == "tls_client_auth_san_dns"


def test_check_prints_the_mutual_tls_settings(workdir: Path) -> None:
    made = passport_cli("ring", "init", "--out", workdir / "sts-ring.json", cwd=workdir)
    assert made.returncode == 0, made.stderr
    shown = passport_cli("sts", "--config", workdir / "sts.toml", "--check", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    described = json.loads(shown.stdout)
    assert described["tls"] == {
        "client_cert_header": "X-Client-Cert",
        "format": "nginx-escaped-pem",
        "unverified_cert_header": "X-Client-Cert-Unverified",
    }
    assert described["clients"]["orders"]["auth_method"] == "tls_client_auth"
    assert described["clients"]["orders"]["tls_client_auth_san_dns"] == "orders.internal"
    assert described["clients"]["legacy"]["auth_method"] == "private_key_jwt"


def test_without_tls_the_endpoint_reads_no_certificate(workdir: Path) -> None:
    plain = CONFIG.split("[[clients]]", 1)[0].split("[tls]", maxsplit=1)[0] + (
        '[[clients]]\nclient_id = "legacy"\njwks = "reports-jwks.json"\n'
        '[[audiences]]\nname = "billing"\n'
    )
    config = _load(plain, workdir)
    assert config.tls is None
    assert config.describe()["tls"] is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace('format = "nginx', 'colour = 1\nformat = "nginx'), "tls.colour"),
        (lambda t: t.replace('"nginx-escaped-pem"', '"pem"'), "tls.format"),
        (lambda t: t.replace('client_cert_header = "X-Client-Cert"\n', ""), "client_cert_header"),
        (
            lambda t: t.replace('"X-Client-Cert-Unverified"', '"x-client-cert"'),
            "must differ",
        ),
        (
            lambda t: t.replace('auth_method = "tls_client_auth"', 'auth_method = "mtls"'),
            "clients[0].auth_method",
        ),
        (
            lambda t: t.replace(
                'tls_client_auth_san_dns = "orders.internal"',
                'tls_client_auth_san_dns = "orders.internal"\ntls_client_auth_san_uri = "x:y"',
            ),
            "exactly one",
        ),
        (lambda t: t.replace('tls_client_auth_san_dns = "orders.internal"\n', ""), "exactly one"),
        (
            lambda t: t.replace(
                'tls_client_auth_san_dns = "orders.internal"', 'tls_client_auth_san_ip = "nope"'
            ),
            "clients[0].tls_client_auth_san_ip",
        ),
        (
            lambda t: t.replace(
                'client_id = "legacy"\n', 'client_id = "legacy"\ntls_client_auth_san_dns = "a"\n'
            ),
            "for tls_client_auth only",
        ),
        (
            lambda t: t.replace('jwks = "reports-jwks.json"\ntargets', "targets", 1),
            "exactly one of jwks, jwks_url",
        ),
    ],
)
def test_a_bad_mutual_tls_setting_names_itself(workdir: Path, change: Any, named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        _load(change(CONFIG), workdir)
    assert named in str(raised.value)


def test_a_mutual_tls_client_needs_the_header(workdir: Path) -> None:
    no_tls = (
        CONFIG.replace("[tls]", "[unused]").split("[unused]")[0]
        + CONFIG.split('unverified_cert_header = "X-Client-Cert-Unverified"\n', 1)[1]
    )
    with pytest.raises(ConfigurationError, match=r"needs a \[tls\] client_cert_header"):
        _load(no_tls, workdir)
