"""Each example in ``examples/`` runs as its README says: real processes, real requests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartNginx
from tests.e2e.nginx import free_port

pytestmark = pytest.mark.network

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def started(script: Path, port: int, **env: str) -> Iterator[str]:
    """``python <script>`` on ``$PORT`` until the block ends; stopped by its PID."""
    with launched([sys.executable, str(script)], script.parent, port, **env) as url:
        yield url


@contextmanager
def launched(command: list[str], cwd: Path, port: int, **env: str) -> Iterator[str]:
    """``command`` run in ``cwd`` until it answers on ``port``; stopped by its PID."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, "PORT": str(port), **env},
            stdout=log,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 30
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{command} did not start:\n{log.read()[-2000:]}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _no_passport(answer: httpx.Response) -> None:
    assert "x-passport" not in answer.headers
    assert "eyJ" not in answer.text


def test_the_edge_gateway_example(nginx: StartNginx) -> None:
    here = EXAMPLES / "edge_gateway"
    ports = {"8080": free_port(), "8001": free_port(), "8002": free_port()}
    config = (here / "nginx.conf").read_text()
    for default, port in ports.items():
        assert f"127.0.0.1:{default}" in config
        config = config.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
    with ExitStack() as stack:
        edge = stack.enter_context(started(here / "edge.py", ports["8001"]))
        stack.enter_context(started(here / "service.py", ports["8002"], EDGE_URL=edge))
        gateway = nginx(config, ports["8080"])
        with httpx.Client(base_url=gateway, timeout=10) as http:
            alice = {"X-API-Key": "demo-key-alice"}
            answer = http.get("/orders", headers=alice)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"user": "alice", "roles": ["clerk"], "orders": []}
            _no_passport(answer)
            forged = http.get("/orders", headers={**alice, "X-Passport": "eyJforged"})
            assert forged.json()["user"] == "alice"
            denied = http.delete("/orders/1", headers=alice)
            assert denied.status_code == 403
            _no_passport(denied)
            bob = http.delete("/orders/1", headers={"X-API-Key": "demo-key-bob"})
            assert bob.json() == {"cancelled": 1, "by": "bob"}
            missing = http.get("/orders")
            assert missing.status_code == 401
            assert missing.headers["www-authenticate"] == 'Bearer realm="edge"'
            _no_passport(missing)


def test_the_token_service_example() -> None:
    here = EXAMPLES / "token_service"
    with ExitStack() as stack:
        tokens = stack.enter_context(started(here / "token_service.py", free_port()))
        orders = stack.enter_context(
            started(here / "orders.py", free_port(), TOKEN_SERVICE_URL=tokens)
        )
        frontend = stack.enter_context(
            started(here / "frontend.py", free_port(), TOKEN_SERVICE_URL=tokens, ORDERS_URL=orders)
        )
        with httpx.Client(base_url=frontend, timeout=10) as http:
            answer = http.get("/my-orders", headers={"X-API-Key": "demo-key-alice"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"user": "alice", "orders": []}
            _no_passport(answer)
            for headers in ({}, {"X-API-Key": "guessed"}):
                refused = http.get("/my-orders", headers=headers)
                assert refused.status_code == 401
                assert refused.headers["www-authenticate"].startswith('Bearer realm="edge"')
                assert refused.headers["content-type"] == "application/problem+json"
                _no_passport(refused)
        # the orders service itself refuses a caller without a passport
        assert httpx.get(f"{orders}/orders", timeout=5).status_code == 401


def test_the_topmost_mints_example() -> None:
    here = EXAMPLES / "topmost_mints"
    frontend_port, orders_port = free_port(), free_port()
    frontend_url = f"http://127.0.0.1:{frontend_port}"
    orders_url = f"http://127.0.0.1:{orders_port}"
    with ExitStack() as stack:
        stack.enter_context(started(here / "frontend.py", frontend_port, ORDERS_URL=orders_url))
        stack.enter_context(started(here / "orders.py", orders_port, FRONTEND_URL=frontend_url))
        with httpx.Client(base_url=frontend_url, timeout=10) as http:
            answer = http.get("/my-orders", headers={"X-API-Key": "demo-key-alice"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"user": "alice", "orders": [{"number": 1, "owner": "alice"}]}
            _no_passport(answer)
            # the next hop applies its own policy to the minted passport
            bob = http.get("/my-orders", headers={"X-API-Key": "demo-key-bob"})
            assert (bob.status_code, bob.json()["code"]) == (403, "permission_denied")
            _no_passport(bob)
            missing = http.get("/my-orders")
            assert (missing.status_code, missing.json()["code"]) == (401, "missing_credential")
            guessed = http.get("/my-orders", headers={"X-API-Key": "guessed"})
            assert (guessed.status_code, guessed.json()["code"]) == (401, "invalid_credential")
            assert "guessed" not in guessed.text
        # the orders service trusts passports only: a caller's key alone is refused
        direct = httpx.get(f"{orders_url}/orders", headers={"X-API-Key": "demo-key-alice"})
        assert direct.status_code == 401


def test_the_common_data_signs_example() -> None:
    here = EXAMPLES / "common_data_signs"
    ports = {name: free_port() for name in ("frontend", "profile", "orders")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        "EDGE_URL": urls["frontend"],
        "PROFILE_URL": urls["profile"],
        "ORDERS_URL": urls["orders"],
    }
    with ExitStack() as stack:
        stack.enter_context(started(here / "frontend.py", ports["frontend"], **env))
        stack.enter_context(started(here / "profile_service.py", ports["profile"], **env))
        stack.enter_context(started(here / "orders.py", ports["orders"], **env))
        with httpx.Client(base_url=urls["frontend"], timeout=10) as http:
            answer = http.get("/my-orders", headers={"X-API-Key": "demo-key-alice"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {
                "user": "alice",
                "roles": ["clerk"],  # the edge's
                "permissions": ["orders:read"],  # the profile service's
                "name": "Alice",
                "orders": [],
            }
            _no_passport(answer)
            missing = http.get("/my-orders")
            assert (missing.status_code, missing.json()["code"]) == (401, "missing_credential")
        # the profile service signs only for a verified primary passport
        unsigned = httpx.get(f"{urls['profile']}/companion", timeout=5)
        assert unsigned.status_code == 401
        assert "x-passport-profile" not in unsigned.headers
        # orders reads nothing without the primary passport
        answer = httpx.get(f"{urls['orders']}/orders", timeout=5)
        assert (answer.status_code, answer.json()["code"]) == (401, "missing_token")


def test_the_common_data_service_example() -> None:
    here = EXAMPLES / "common_data_service"
    ports = {name: free_port() for name in ("edge", "directory", "orders", "billing")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        "EDGE_URL": urls["edge"],
        "DIRECTORY_URL": urls["directory"],
        "ORDERS_URL": urls["orders"],
        "BILLING_URL": urls["billing"],
        "DIRECTORY_TOKEN": "e2e-directory-token",
    }
    with ExitStack() as stack:
        stack.enter_context(started(here / "directory.py", ports["directory"], **env))
        stack.enter_context(started(here / "edge.py", ports["edge"], **env))
        for audience in ("orders", "billing"):
            stack.enter_context(
                started(here / "service.py", ports[audience], **env, AUDIENCE=audience)
            )
        with httpx.Client(base_url=urls["edge"], timeout=10) as http:
            alice = {"X-API-Key": "demo-key-alice"}
            orders = http.get("/orders/whoami", headers=alice)
            assert orders.status_code == 200, orders.text
            assert orders.json() == {
                "service": "orders",
                "user": "alice",
                "roles": ["clerk"],
                "tenant": None,
                "profile": {"name": "Alice"},
            }
            _no_passport(orders)
            billing = http.get("/billing/whoami", headers=alice)
            assert billing.json() == {
                "service": "billing",
                "user": "alice",
                "roles": [],
                "tenant": "acme",
                "profile": {"plan": "pro"},
            }
            # the directory does not know bob: a required enricher fails the mint
            bob = http.get("/orders/whoami", headers={"X-API-Key": "demo-key-bob"})
            assert (bob.status_code, bob.json()["code"]) == (503, "enrichment_failed")
            assert "retry-after" in bob.headers
            missing = http.get("/billing/whoami")
            assert (missing.status_code, missing.json()["code"]) == (401, "missing_credential")
            for answer in (bob, missing):
                assert "e2e-directory-token" not in answer.text
                _no_passport(answer)
        # the directory serves the edge alone
        assert httpx.get(f"{urls['directory']}/users/alice", timeout=5).status_code == 401


def test_the_python_gateway_example(tmp_path: Path) -> None:
    here = tmp_path / "python_gateway"
    shutil.copytree(EXAMPLES / "python_gateway", here, ignore=shutil.ignore_patterns("ring.json"))
    ports = {"8500": free_port(), "8501": free_port(), "8502": free_port(), "8503": free_port()}
    config = (here / "edge.toml").read_text()
    for default, port in ports.items():
        config = config.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
        config = config.replace(f"port = {default} ", f"port = {port} ")
    (here / "edge.toml").write_text(config)
    passport = [sys.executable, "-m", "passport_core"]
    # the README's commands, in order
    made = subprocess.run(
        [*passport, "ring", "init", "--out", "ring.json"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    gateway_url = f"http://127.0.0.1:{ports['8500']}"
    edge_command = [*passport, "edge", "--config", "edge.toml", "--port", ports["8500"]]
    with ExitStack() as stack:
        stack.enter_context(launched([str(part) for part in edge_command], here, ports["8500"]))
        for audience, default in (("orders", "8501"), ("billing", "8502")):
            stack.enter_context(
                started(
                    here / "service.py", ports[default], AUDIENCE=audience, EDGE_URL=gateway_url
                )
            )
        with httpx.Client(base_url=gateway_url, timeout=10) as http:
            alice = {"X-API-Key": "demo-key-alice"}
            orders = http.get("/orders/42", headers=alice)
            assert orders.status_code == 200, orders.text
            assert orders.json() == {
                "service": "orders",
                "path": "/orders/42",
                "user": "alice",
                "roles": ["clerk"],
                "tenant": "acme",
            }
            _no_passport(orders)
            # strip_prefix, and the billing audience sees only the tenant
            billing = http.get("/billing/invoices", headers=alice)
            assert billing.json() == {
                "service": "billing",
                "path": "/invoices",
                "user": "alice",
                "roles": [],
                "tenant": "acme",
            }
            denied = http.delete("/orders/42", headers=alice)
            assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
            bob = http.delete("/orders/42", headers={"X-API-Key": "demo-key-bob"})
            assert bob.json() == {"service": "orders", "removed": "/orders/42", "by": "bob"}
            forged = http.get("/orders/1", headers={**alice, "X-Passport": "eyJforged"})
            assert forged.json()["user"] == "alice"
            missing = http.get("/orders/42")
            assert missing.status_code == 401
            assert missing.headers["www-authenticate"].startswith('Bearer realm="edge"')
            _no_passport(missing)
            # mode "mint": the same edge answers the auth hooks of nginx, Envoy, Traefik, on
            # its own listener only: the clients' one never hands out a passport
            exposed = http.get("/auth?audience=billing", headers=alice)
            assert exposed.status_code == 404
            _no_passport(exposed)
            minted = httpx.get(
                f"http://127.0.0.1:{ports['8503']}/auth?audience=billing",
                headers=alice,
                timeout=5,
                trust_env=False,
            )
            assert minted.status_code == 200
            assert minted.headers["x-passport"].count(".") == 2
    checked = subprocess.run(
        [*passport, "edge", "--config", "edge.toml", "--check"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    described = json.loads(checked.stdout)
    assert [route["audience"] for route in described["routes"]] == ["orders", "billing"]
