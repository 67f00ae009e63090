"""``sts.toml``'s ``[txn_tokens]`` table: read as strictly as the rest, shown by ``--check``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from passport_core import generate_key, public_jwks

from .test_cli_sts import passport_cli

CONFIG = """
issuer = "https://tts.test"
ring = "sts-ring.json"

[[clients]]
client_id = "gateway"
jwks = "gateway-jwks.json"

[txn_tokens]
trust_domain = "trust-domain.test"
ttl = 30

[[txn_tokens.workloads]]
client_id = "gateway"
scopes = ["trade.stocks"]
subject_token_types = ["access_token", "self_signed"]
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    made = passport_cli("ring", "init", "--out", tmp_path / "sts-ring.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    jwks = public_jwks([generate_key("ES256").public()])
    (tmp_path / "gateway-jwks.json").write_text(json.dumps(jwks), encoding="utf-8")
    return tmp_path


def check(workdir: Path, config: str) -> tuple[int, str, str]:
    path = workdir / "sts.toml"
    path.write_text(config, encoding="utf-8")
    shown = passport_cli("sts", "--config", path, "--check", cwd=workdir)
    return shown.returncode, shown.stdout, shown.stderr


def test_check_shows_the_txn_token_service(workdir: Path) -> None:
    code, out, err = check(workdir, CONFIG)
    assert code == 0, err
    # a TTS alone: no [[audiences]] needed
    assert json.loads(out)["txn_tokens"] == {
        "trust_domain": "trust-domain.test",
        "ttl": 30,
        "max_chain": 8,
        "workloads": {
            "gateway": {
                "scopes": ["trade.stocks"],
                "subject_token_types": ["access_token", "self_signed"],
            }
        },
    }


def test_without_the_table_there_is_no_txn_token_service(workdir: Path) -> None:
    head = CONFIG.split("[txn_tokens]", maxsplit=1)[0]
    passports_only = head + '[[audiences]]\nname = "billing"\n'
    code, out, err = check(workdir, passports_only)
    assert code == 0, err
    assert json.loads(out)["txn_tokens"] is None


Change = Callable[[str], str]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace("ttl = 30", "ttl = 30\ncolour = 1"), "colour"),
        (lambda t: t + 'colour = "x"\n', "colour"),  # in the workload's table
        (lambda t: t.replace("ttl = 30", "ttl = 301"), "ttl"),
        (lambda t: t.replace("ttl = 30", 'ttl = "30"'), "ttl"),
        (lambda t: t.replace('trust_domain = "trust-domain.test"', ""), "trust_domain"),
        (lambda t: t.replace('"self_signed"', '"refresh_token"'), "refresh_token"),
        (
            lambda t: t.replace('client_id = "gateway"\nscopes', 'client_id = "nobody"\nscopes'),
            "nobody",
        ),
        (lambda t: t.replace('scopes = ["trade.stocks"]', "scopes = []"), "scopes"),
        (lambda t: t.split("[[txn_tokens.workloads]]")[0], "workloads"),
        (lambda t: t.split("[txn_tokens]")[0], "audiences"),  # neither kind of service
        (lambda t: t.replace("ttl = 30", "max_chain = 1"), "max_chain"),
    ],
)
def test_a_bad_setting_is_one_error_line_naming_it(
    workdir: Path, change: Change, named: str
) -> None:
    code, _, err = check(workdir, change(CONFIG))
    assert code != 0
    assert named in err
    assert "Traceback" not in err
