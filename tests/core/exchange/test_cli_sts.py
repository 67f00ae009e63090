"""``passport sts --config sts.toml``: checked strictly, then served for real by uvicorn."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from passport_core import JWKS_PATH, Minter, Verifier, generate_key, public_jwks
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import JWT_BEARER_ASSERTION, JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT

REPO = Path(__file__).resolve().parents[3]
EDGE = "https://edge.test"
STS = "https://sts.test"

CONFIG = f"""
issuer = "{STS}"
ring = "sts-ring.json"
ttl = 120
max_depth = 3

[trusted]
"{EDGE}" = {{ jwks = "edge-jwks.json" }}

[[clients]]
client_id = "orders"
jwks = "orders-jwks.json"
targets = ["billing"]

[[audiences]]
name = "billing"
fields = ["scopes"]
scopes = ["billing:charge"]
"""


def passport_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passport_core", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {"edge": generate_key("ES256"), "orders": generate_key("ES256")}


@pytest.fixture
def workdir(tmp_path: Path, keys: dict[str, object]) -> Path:
    made = passport_cli("ring", "init", "--out", tmp_path / "sts-ring.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for name, key in keys.items():
        jwks = public_jwks([key.public()])  # type: ignore[attr-defined]
        (tmp_path / f"{name}-jwks.json").write_text(json.dumps(jwks), encoding="utf-8")
    (tmp_path / "sts.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_check_prints_the_effective_configuration(workdir: Path) -> None:
    shown = passport_cli("sts", "--config", workdir / "sts.toml", "--check", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    described = json.loads(shown.stdout)
    assert described["issuer"] == STS
    assert described["trusted"] == [EDGE]
    assert described["clients"]["orders"]["targets"] == ["billing"]
    assert described["clients"]["orders"]["dpop_bound_access_tokens"] is False
    assert described["dpop"] == {"max_age": 60.0, "shared_replay": False}
    assert '"d"' not in shown.stdout  # no private key member


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t + "surprise = 1\n", "surprise"),
        (
            lambda t: t.replace('targets = ["billing"]', 'targets = ["billing"]\ncolour = "x"'),
            "colour",
        ),
        (lambda t: t.replace('jwks = "orders-jwks.json"', 'jwks = "missing.json"'), "missing.json"),
        (lambda t: t.replace('fields = ["scopes"]', 'fields = ["nope"]'), "fields"),
        (lambda t: t.replace('issuer = "https://sts.test"', ""), "issuer"),
        (lambda t: t + "[dpop]\ncolour = 1\n", "colour"),
        (lambda t: t + "[dpop]\nmax_age = 0\n", "dpop.max_age"),
        (
            lambda t: t.replace('targets = ["billing"]', 'dpop_bound_access_tokens = "yes"'),
            "dpop_bound_access_tokens",
        ),
    ],
)
def test_a_bad_setting_is_one_error_line_naming_it(
    workdir: Path, change: object, named: str
) -> None:
    path = workdir / "sts.toml"
    path.write_text(change(CONFIG), encoding="utf-8")  # type: ignore[operator]
    shown = passport_cli("sts", "--config", path, "--check", cwd=workdir)
    assert shown.returncode != 0
    assert named in shown.stderr
    assert "Traceback" not in shown.stderr


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_token_service_exchanges_over_http_and_stops_by_pid(
    workdir: Path, keys: dict[str, object]
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "passport_core", "sts", "--config", "sts.toml", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    base = f"http://127.0.0.1:{port}"
    edge = Minter(keys["edge"], issuer=EDGE)  # type: ignore[arg-type]
    subject = edge.mint("alice", audience="orders", scopes=["billing:charge", "orders:read"])
    auth = ClientAuth("orders", method="private_key_jwt", key=keys["orders"])  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 30
        jwks = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                jwks = httpx.get(f"{base}{JWKS_PATH}", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert jwks is not None, "the token service did not start"
        form = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": subject,
            "subject_token_type": JWT_TOKEN_TYPE,
            "audience": "billing",
            **auth.credentials(STS, time.time).form,
        }
        assert form["client_assertion_type"] == JWT_BEARER_ASSERTION
        with httpx.Client(timeout=10) as client:
            answer = client.post(f"{base}/token", data=form)
            replayed = client.post(f"{base}/token", data=form)
            # The ring file is followed: a rotation by `passport ring` shows without a restart.
            for step in (["prepare"], ["promote", "--force"]):
                done = passport_cli("ring", *step, "sts-ring.json", cwd=workdir)
                assert done.returncode == 0, done.stderr
            rotated_jwks = client.get(f"{base}{JWKS_PATH}").json()
            fresh = {**form, **auth.credentials(STS, time.time).form}
            rotated = client.post(f"{base}/token", data=fresh)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert process.returncode in (0, -signal.SIGTERM), err
    assert answer.status_code == 200, answer.text
    passport = Verifier(keys=jwks, issuer=STS, audience="billing").verify(
        answer.json()["access_token"]
    )
    assert passport.subject == "alice"
    assert passport.scopes == {"billing:charge"}
    assert [actor.subject for actor in passport.actor] == ["orders"]
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_client"
    first_kid = jwks["keys"][0]["kid"]
    assert len(rotated_jwks["keys"]) == 2  # the promoted key, and the one retiring
    assert rotated.status_code == 200, rotated.text
    new = Verifier(keys=rotated_jwks, issuer=STS, audience="billing")
    assert new.verify(rotated.json()["access_token"]).kid != first_kid
    assert new.verify(answer.json()["access_token"]).kid == first_kid  # still verifies
    assert subject not in out + err
    assert f"token endpoint on {base}" in out
