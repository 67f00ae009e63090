"""A real OpenID provider process (panva's oidc-provider, ``tests/e2e/node/provider.mjs``).

Started on 127.0.0.1 with signing keys from a JWKS file; :meth:`rotate` rewrites the
file and signals the process to reload it; :meth:`stop` ends it by its PID.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import httpx

from passport_core import Key

NODE_DIR = Path(__file__).resolve().parent / "node"
CLIENT_ID = "edge-client"
CLIENT_SECRET = "edge-client-secret-for-tests-only"
RESOURCE = "https://orders.test"


class OpenIDProvider:
    """One running provider: its issuer URL, its keys, a token through the real grant."""

    def __init__(self, keys: list[Key], workdir: Path) -> None:
        self._jwks = workdir / "provider-jwks.json"
        self._log = workdir / "provider-stderr.log"
        self._write(keys)
        self._stderr = self._log.open("wb")
        self.process = subprocess.Popen(
            ["node", "provider.mjs", str(self._jwks), "0"],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        try:
            ready = self._read_json(timeout=60)  # node starts slowly on a loaded machine
        except BaseException:
            self.stop()
            raise
        self.url: str = ready["url"]
        self.pid: int = ready["pid"]
        self._http = httpx.Client(timeout=5, trust_env=False)
        document = self._http.get(f"{self.url}/.well-known/openid-configuration").json()
        self.token_endpoint: str = document["token_endpoint"]
        self.jwks_uri: str = document["jwks_uri"]

    def _write(self, keys: list[Key]) -> None:
        document = {"keys": [key.to_jwk(private=True) for key in keys]}
        temporary = self._jwks.with_suffix(".tmp")
        temporary.write_text(json.dumps(document))
        os.replace(temporary, self._jwks)  # the provider never reads half a file

    def _read_json(self, timeout: float) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise RuntimeError(f"the provider did not answer: {self._log.read_text()[-2000:]}")
            readable, _, _ = select.select([stdout], [], [], min(left, 0.2))
            if readable:
                line = stdout.readline()
                if line.startswith("{"):
                    parsed: dict[str, Any] = json.loads(line)
                    return parsed

    def token(self, scope: str = "orders:read") -> str:
        """An access token from the token endpoint: the client_credentials grant (RFC 6749 §4.4)."""
        response = self._http.post(
            self.token_endpoint,
            auth=(CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "client_credentials", "scope": scope, "resource": RESOURCE},
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def rotate(self, keys: list[Key]) -> None:
        """Sign with ``keys[0]`` and publish all of ``keys`` from now on.

        Done when the provider's own JWKS shows the new set: its stdout line may sit in a
        pipe buffer that ``select`` cannot see, so the provider is asked over HTTP instead.
        """
        self._write(keys)
        os.kill(self.pid, signal.SIGHUP)
        wanted = sorted(key.kid for key in keys)
        deadline = time.monotonic() + 30
        while True:
            published = sorted(k["kid"] for k in self._http.get(self.jwks_uri).json()["keys"])
            if published == wanted:
                return
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the provider did not reload: {self._log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """End the process by its PID (SIGTERM, then SIGKILL) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        http = getattr(self, "_http", None)
        if http is not None:
            http.close()
