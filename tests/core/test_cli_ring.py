"""``passport ring``: staged rotation from the command line, run as a subprocess."""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path

import pytest

from tests.core.test_cli import PRIVATE_MEMBERS, cli, ok, one_error_line

ISS = "https://edge.cli.test"


def private_values(ring: Path) -> list[str]:
    """Every private member's value in the ring file: none may ever be printed."""
    document = json.loads(ring.read_text())
    return [v for key in document["keys"] for m, v in key.items() if m in PRIVATE_MEMBERS]


def assert_no_key_material(ring: Path, *outputs: str) -> None:
    for secret in private_values(ring):
        for output in outputs:
            assert secret not in output


def kids(ring: Path) -> list[str]:
    return [key["kid"] for key in json.loads(ok("jwks", ring))["keys"]]


def signing_kid(ring: Path) -> str:
    token = ok("mint", "--key", ring, "--issuer", ISS, "--sub", "alice", "--aud", "orders")
    header = json.loads(ok("inspect", "--json", token.strip()))["header"]
    return str(header["kid"])


@pytest.fixture
def ring(tmp_path: Path) -> Path:
    path = tmp_path / "ring.json"
    result = cli("ring", "init", "--out", path, "--kid", "k1", "--publish-delay", "60")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "k1" in result.stderr
    assert_no_key_material(path, result.stdout, result.stderr)
    return path


def test_init_writes_a_private_ring_with_one_active_key(ring: Path) -> None:
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600
    document = json.loads(ring.read_text())
    [key] = document["keys"]
    assert key["kid"] == "k1"
    assert key["passport_ring"]["state"] == "active"
    assert document["passport_ring"]["publish_delay"] == 60
    assert kids(ring) == ["k1"]
    assert signing_kid(ring) == "k1"


def test_init_refuses_to_overwrite_without_force(ring: Path) -> None:
    before = ring.read_text()
    assert "already exists" in one_error_line(cli("ring", "init", "--out", ring))
    assert ring.read_text() == before
    ok("ring", "init", "--out", ring, "--force")
    assert ring.read_text() != before
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600


def test_the_defaults_are_the_published_cache_lifetime(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ok("ring", "init", "--out", path)
    settings = json.loads(path.read_text())["passport_ring"]
    assert (settings["publish_delay"], settings["max_token_lifetime"], settings["leeway"]) == (
        300,
        3600,
        300,
    )


def test_prepare_publishes_without_signing_and_promote_waits(ring: Path) -> None:
    out = ok("ring", "prepare", ring, "--kid", "k2")
    assert "prepared EdDSA key k2" in out
    assert "promote it from" in out
    assert kids(ring) == ["k1", "k2"]
    assert signing_kid(ring) == "k1"

    early = one_error_line(cli("ring", "promote", ring))
    assert "rotation_not_due" in early
    assert re.search(r"published \d+ s ago; .* promote in \d+ s", early)
    assert signing_kid(ring) == "k1"
    again = one_error_line(cli("ring", "prepare", ring))
    assert "already prepared" in again

    out = ok("ring", "promote", ring, "--force")
    assert "promoted k2" in out
    assert "k1 retiring" in out
    assert signing_kid(ring) == "k2"
    assert kids(ring) == ["k2", "k1"]
    assert_no_key_material(ring, out, early, again)


def test_promote_after_the_publish_delay_needs_no_force(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ok("ring", "init", "--out", path, "--kid", "k1", "--publish-delay", "0.5")
    ok("ring", "prepare", path, "--kid", "k2", "--alg", "ES256")
    time.sleep(0.6)
    ok("ring", "promote", path)
    assert signing_kid(path) == "k2"
    assert [key["alg"] for key in json.loads(ok("jwks", path))["keys"]] == ["ES256", "EdDSA"]


def test_status_shows_every_key_and_the_next_step(ring: Path) -> None:
    ok("ring", "prepare", ring, "--kid", "k2")
    ok("ring", "promote", ring, "--force")
    ok("ring", "prepare", ring, "--kid", "k3")
    out = ok("ring", "status", ring)
    for expected in (
        "k2  EdDSA  active",
        "k3  EdDSA  next",
        "k1  EdDSA  retiring",
        "published since",
        "signs from",
        "signs until",
        "retires at",
        "next step: passport ring promote, from",
        "publish_delay 60 s",
        "retiring keys kept 3900 s",
    ):
        assert expected in out
    rows = json.loads(ok("ring", "status", ring, "--json"))
    assert [(k["kid"], k["state"]) for k in rows["keys"]] == [
        ("k2", "active"),
        ("k3", "next"),
        ("k1", "retiring"),
    ]
    retiring = rows["keys"][2]
    assert retiring["retires_at"] == pytest.approx(retiring["signs_until"] + 3900)
    assert rows["promote_at"] == pytest.approx(rows["keys"][1]["published_since"] + 60)
    assert_no_key_material(ring, out, json.dumps(rows))


def test_retire_waits_for_the_last_passport_unless_forced(ring: Path) -> None:
    ok("ring", "prepare", ring, "--kid", "k2")
    ok("ring", "promote", ring, "--force")
    early = one_error_line(cli("ring", "retire", ring, "k1"))
    assert "rotation_not_due" in early
    assert "retires in" in early
    assert kids(ring) == ["k2", "k1"]
    assert "retired k1" in ok("ring", "retire", ring, "k1", "--force")
    assert kids(ring) == ["k2"]
    assert "active" in one_error_line(cli("ring", "retire", ring, "k2"))
    assert "no retiring or next key" in one_error_line(cli("ring", "retire", ring, "k1"))


def test_a_prepared_key_can_be_withdrawn(ring: Path) -> None:
    ok("ring", "prepare", ring, "--kid", "k2")
    ok("ring", "retire", ring, "k2")
    assert kids(ring) == ["k1"]


def test_prune_drops_retiring_keys_past_their_time(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ok(
        "ring", "init", "--out", path, "--kid", "k1", "--publish-delay", "0",
        "--max-token-lifetime", "3", "--leeway", "0",
    )  # fmt: skip
    ok("ring", "prepare", path, "--kid", "k2")
    ok("ring", "promote", path)
    promoted = time.monotonic()
    # Generous: each subprocess can take a second on a loaded machine.
    assert ok("ring", "prune", path).strip() == "nothing to prune"
    time.sleep(max(0.0, promoted + 3.2 - time.monotonic()))
    assert ok("ring", "prune", path).strip() == "pruned k1"
    assert [key["kid"] for key in json.loads(path.read_text())["keys"]] == ["k2"]


def test_mint_from_a_ring_respects_its_longest_lifetime(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ok("ring", "init", "--out", path, "--max-token-lifetime", "60")
    base = ["mint", "--key", path, "--issuer", ISS, "--sub", "a", "--aud", "o"]
    assert ok(*base, "--ttl", "60").count(".") == 2
    assert "max_ttl" in one_error_line(cli(*base, "--ttl", "61"))
    assert ok(*base).count(".") == 2  # the default lifetime is capped too


def test_verify_with_the_ring_itself_is_refused(ring: Path) -> None:
    token = ok("mint", "--key", ring, "--issuer", ISS, "--sub", "a", "--aud", "o").strip()
    line = one_error_line(cli("verify", token, "--jwks", ring, "--issuer", ISS, "--aud", "o"))
    assert "private" in line
    assert_no_key_material(ring, line)


@pytest.mark.parametrize("step", ["promote", "status"])
def test_a_file_that_is_no_ring_is_one_error_line(tmp_path: Path, step: str) -> None:
    key = tmp_path / "key.json"
    ok("keygen", "--out", key)
    line = one_error_line(cli("ring", step, key))
    assert "not a key ring file" in line
    secret = json.loads(key.read_text())["d"]
    assert secret not in line
    assert "cannot read key ring" in one_error_line(cli("ring", step, tmp_path / "absent.json"))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["passport_ring"].update(version=9),
        lambda d: d["keys"][0]["passport_ring"].update(state="next"),
        lambda d: d["keys"][0].update(d="AAAA"),
        lambda d: d["keys"][0]["passport_ring"].update(published_at="yesterday"),
    ],
)
def test_a_spoiled_ring_is_one_error_line_and_left_alone(ring: Path, spoil: object) -> None:
    document = json.loads(ring.read_text())
    spoil(document)  # type: ignore[operator]
    ring.write_text(json.dumps(document))
    before = ring.read_text()
    for args in (("ring", "promote", ring), ("jwks", ring)):
        line = one_error_line(cli(*args))
        assert str(ring) in line
        assert_no_key_material(ring, line)
    assert ring.read_text() == before


def test_help_lists_the_rotation_commands() -> None:
    out = ok("--help")
    for command in ("ring init", "ring prepare", "ring promote", "ring prune", "ring status"):
        assert f"passport {command}" in out
    assert "docs/rotation.md" in out
    steps = ok("ring", "--help")
    for step in ("init", "prepare", "promote", "retire", "prune", "status"):
        assert step in steps
    assert cli("ring").returncode == 2
