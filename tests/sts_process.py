"""``passport sts --config sts.toml`` as its own process on 127.0.0.1, stopped by its PID.

Used where a test needs the token service as deployed (the Txn-Token Service's e2e and
conformance tests): :func:`running_sts` writes the ring, the clients' JWKS and the file,
starts the process, waits for its JWKS, and terminates it after the block.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from passport_core import JWKS_PATH, Key, KeyRing, public_jwks

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunningSts:
    """The running token service: its base URL, token endpoint and ring; once stopped,
    ``output`` holds what it printed (stdout and stderr)."""

    url: str
    token_endpoint: str
    ring: KeyRing
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_sts(workdir: Path, config: str, clients: Mapping[str, Key]) -> Iterator[RunningSts]:
    """Run ``passport sts`` with ``config`` (naming ``sts-ring.json`` and ``<client>-jwks.json``).

    ``clients`` are the private keys of the calling workloads; only their public JWKS are
    written. The process is bounded: 30 s to start, terminated (then killed) by its PID.
    """
    ring = KeyRing.generate("EdDSA")
    ring.save(workdir / "sts-ring.json")
    for name, key in clients.items():
        jwks = public_jwks([key.public()])
        (workdir / f"{name}-jwks.json").write_text(json.dumps(jwks), encoding="utf-8")
    (workdir / "sts.toml").write_text(config, encoding="utf-8")
    port = _free_port()
    process = subprocess.Popen(  # the one process this helper starts, stopped by its PID
        [sys.executable, "-m", "passport_core", "sts", "--config", "sts.toml", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    base = f"http://127.0.0.1:{port}"
    running = RunningSts(base, f"{base}/token", ring, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("passport sts did not start")
            try:
                httpx.get(f"{base}{JWKS_PATH}", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            out, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate(timeout=10)
        running.output.append(out + err)
