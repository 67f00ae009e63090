"""A → B → C with token exchange, every party its own process on 127.0.0.1: the token
service is ``passport sts --config sts.toml``.

The edge's passport is for A only. A (FastAPI, async outbound client) calls B
(Flask) exchanging it for audience ``b``; B calls C (Django) exchanging for
``c``. Each hop holds a passport for itself alone, bound to the key of the hop
that carries it (RFC 9449 §5: the exchange request's DPoP proof); C sees the
whole actor chain (RFC 8693 §4.1: the current actor outermost).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from passport_core import JWKS_PATH, Key, KeyRing, Minter, generate_key, make_proof, public_jwks
from passport_core.demo.processes import ServiceProcess
from tests.e2e.exchange_hops import write_private
from tests.token_service import EDGE, STS

MODULE = "tests.e2e.exchange_hops"


class Chain:
    def __init__(self, tmp: Path) -> None:
        edge_key = generate_key("EdDSA", kid="edge-1")
        self.edge = Minter(KeyRing(edge_key), issuer=EDGE)
        (tmp / "edge.jwks").write_text(json.dumps(public_jwks([edge_key])))
        self.processes: list[ServiceProcess] = []
        self.sts: subprocess.Popen[str] | None = None
        keys = {name: generate_key("EdDSA", kid=name) for name in ("a", "b")}
        key_files = {name: write_private(tmp / f"{name}.key", key) for name, key in keys.items()}
        token_endpoint = self._start_sts(tmp, keys)
        self.c = self._start("django", *self._hop("c", STS, tmp / "sts.jwks"))
        self.b = self._start(
            "flask",
            *self._hop("b", STS, tmp / "sts.jwks"),
            *self._exchange(token_endpoint, key_files["b"], self.c, "c"),
        )
        self.a = self._start(
            "fastapi",
            *self._hop("a", EDGE, tmp / "edge.jwks"),
            *self._exchange(token_endpoint, key_files["a"], self.b, "b"),
        )

    def _start_sts(self, tmp: Path, keys: dict[str, Key]) -> str:
        """``passport sts --config sts.toml``: the token service as deployed, its own process."""
        made = subprocess.run(
            [sys.executable, "-m", "passport_core", "ring", "init", "--out", "sts-ring.json"],
            cwd=tmp, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        sts_jwks = KeyRing.load(tmp / "sts-ring.json").public_jwks()
        (tmp / "sts.jwks").write_text(json.dumps(sts_jwks))
        for name, key in keys.items():
            (tmp / f"{name}-jwks.json").write_text(json.dumps(public_jwks([key])))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}/token"
        (tmp / "sts.toml").write_text(
            f"""
issuer = "{STS}"
token_endpoint = "{endpoint}"
ring = "sts-ring.json"
ttl = 120

[trusted]
"{EDGE}" = {{ jwks = "edge.jwks" }}

[[clients]]
client_id = "a"
jwks = "a-jwks.json"
targets = ["b"]

[[clients]]
client_id = "b"
jwks = "b-jwks.json"
targets = ["c"]

[[audiences]]
name = "b"

[[audiences]]
name = "c"
""",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "passport_core", "sts", "--config", "sts.toml"]
        self.sts = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.sts.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{port}{JWKS_PATH}", timeout=2).raise_for_status()
            except httpx.HTTPError:
                time.sleep(0.1)
            else:
                return endpoint
        raise RuntimeError("passport sts did not start")

    @staticmethod
    def _hop(name: str, issuer: str, jwks: Path) -> list[str]:
        return ["--name", name, "--issuer", issuer, "--jwks-file", str(jwks)]

    @staticmethod
    def _exchange(endpoint: str, key_file: str, nxt: str, audience: str) -> list[str]:
        return [
            "--exchange-url", endpoint, "--exchange-key-file", key_file,
            "--next", nxt, "--next-audience", audience,
        ]  # fmt: skip

    def _start(self, role: str, *args: str) -> str:
        process = ServiceProcess(MODULE, [role, *args])
        self.processes.append(process)
        return process.url

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        if self.sts is not None:
            self.sts.terminate()  # by its PID: the one process this chain started
            self.sts.wait(timeout=20)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    running = Chain(tmp_path_factory.mktemp("exchange"))
    try:
        yield running
    finally:
        running.stop()


def call_a(chain: Chain, subject: str = "alice") -> dict[str, Any]:
    token = chain.edge.mint(subject, audience="a")
    response = httpx.get(f"{chain.a}/chain", headers={"X-Passport": token}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_hop_holds_a_passport_for_itself_only(chain: Chain) -> None:
    a = call_a(chain)
    assert a["next"]["status"] == 200, a["next"]
    b = a["next"]["body"]
    assert b["next"]["status"] == 200, b["next"]
    c = b["next"]["body"]
    assert [(hop["service"], hop["aud"]) for hop in (a, b, c)] == [
        ("a", ["a"]),
        ("b", ["b"]),
        ("c", ["c"]),
    ]
    assert {hop["sub"] for hop in (a, b, c)} == {"alice"}
    assert (a["iss"], b["iss"], c["iss"]) == (EDGE, STS, STS)
    assert len({hop["token"] for hop in (a, b, c)}) == 3
    assert a["actors"] == []
    assert b["actors"] == ["a"]
    assert c["actors"] == ["b", "a"]  # the current actor first, then who acted before
    # The edge's passport is a bearer one; every exchanged one is bound and was proven.
    assert [(hop["bound"], hop["proof"] is not None) for hop in (a, b, c)] == [
        (False, False),
        (True, True),
        (True, True),
    ]


def test_a_passport_captured_between_a_and_b_is_refused_by_c(chain: Chain) -> None:
    captured = call_a(chain)["next"]["body"]["token"]
    response = httpx.get(f"{chain.c}/chain", headers={"X-Passport": captured}, timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_audience"


def test_a_passport_captured_between_a_and_b_is_useless_to_replay_to_b(chain: Chain) -> None:
    # Bound to A's key: without a proof from that key, B refuses it, whether the thief
    # sends no proof, the proof captured with it (already used), or one of its own.
    hop = call_a(chain, "bob")["next"]["body"]
    captured, proof = hop["token"], hop["proof"]
    thief = generate_key("EdDSA")
    url = f"{chain.b}/chain"
    attempts = {
        "missing_dpop_proof": {},
        "dpop_proof_replayed": {"DPoP": proof},
        "invalid_dpop_proof": {"DPoP": make_proof(thief, "GET", url, token=captured)},
    }
    for code, headers in attempts.items():
        response = httpx.get(url, headers={"X-Passport": captured, **headers}, timeout=30)
        assert (response.status_code, response.json()["code"]) == (401, code)


def test_users_never_share_an_exchanged_passport(chain: Chain) -> None:
    subjects = [call_a(chain, name)["next"]["body"]["next"]["body"]["sub"] for name in ("u1", "u2")]
    assert subjects == ["u1", "u2"]
