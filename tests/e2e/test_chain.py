"""The passport travels the whole chain, to allowed hosts only, never mixed between users."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from passport_core import KeyRing
from passport_core.demo import ISSUER
from passport_core.demo.edge import DemoEdge
from passport_core.demo.processes import ServiceProcess

Chain = tuple[DemoEdge, dict[str, str]]
ALICE = {"Authorization": "Bearer alice-key"}
BOB = {"Authorization": "Bearer bob-key"}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def hops(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Each hop's report, first to last."""
    found = []
    while body is not None:
        found.append(body)
        nxt = body.get("next")
        body = nxt["body"] if nxt and nxt["status"] == 200 else None
    return found


def test_the_same_passport_reaches_the_last_hop(chain: Chain) -> None:
    edge, _ = chain
    response = httpx.get(f"{edge.url}/api/orders", headers=ALICE, timeout=20)
    assert response.status_code == 200
    seen = hops(response.json())
    assert [hop["service"] for hop in seen] == ["fastapi-svc", "flask-svc", "django-svc"]
    assert len({hop["passport"]["jti"] for hop in seen}) == 1
    assert len({hop["passport"]["fingerprint"] for hop in seen}) == 1
    assert {hop["passport"]["sub"] for hop in seen} == {"alice"}
    assert seen[-1]["passport"]["profile"] == {"name": "Alice Admin", "email": "alice@acme.test"}


def test_policy_is_enforced_at_each_hop(chain: Chain) -> None:
    edge, _ = chain
    allowed = httpx.get(f"{edge.url}/api/admin", headers=ALICE, timeout=20)
    denied = httpx.get(f"{edge.url}/api/admin", headers=BOB, timeout=20)
    assert allowed.status_code == 200
    assert len(hops(allowed.json())) == 3
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["code"] == "permission_denied"
    assert 'error="insufficient_scope"' in denied.headers["www-authenticate"]


def test_concurrent_users_never_see_each_others_passport(chain: Chain) -> None:
    edge, _ = chain
    callers = [("alice", ALICE), ("bob", BOB)] * 12

    def call(caller: tuple[str, dict[str, str]]) -> tuple[str, list[str]]:
        name, headers = caller
        response = httpx.get(f"{edge.url}/api/orders", headers=headers, timeout=30)
        assert response.status_code == 200
        return name, [hop["passport"]["sub"] for hop in hops(response.json())]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, callers))
    for name, subjects in results:
        assert subjects == [name, name, name]


def test_a_client_passport_never_passes_the_edge(chain: Chain, ring: KeyRing) -> None:
    edge, _ = chain
    own = edge.minter.mint("mallory", audience=["fastapi-svc"], roles=["admin"])
    response = httpx.get(f"{edge.url}/api/admin", headers={"X-Passport": own}, timeout=20)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_not_forwarded_to_a_host_off_the_allow_list(chain: Chain) -> None:
    edge, urls = chain
    jwks_url = f"{edge.url}/.well-known/jwks.json"
    # Same Django service, but reached as "localhost": not on the allow-list (127.0.0.1).
    off_list = urls["django-svc"].replace("127.0.0.1", "localhost")
    flask = ServiceProcess(
        "passport_flask.demo",
        ["--name", "flask-svc", "--issuer", ISSUER, "--jwks-url", jwks_url, "--next", off_list],
    )
    try:
        token = edge.minter.mint("alice", audience=["flask-svc", "django-svc"])
        response = httpx.get(f"{flask.url}/orders", headers={"X-Passport": token}, timeout=20)
    finally:
        flask.stop()
    assert not pid_alive(flask.pid)
    assert response.status_code == 200
    report = response.json()
    assert report["passport"]["sub"] == "alice"
    assert report["next"]["status"] == 401  # the next hop got no passport at all
    assert report["next"]["body"]["code"] == "missing_token"


def test_passport_demo_runs_and_stops_everything() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "passport_core", "demo"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every step behaved as expected" in result.stdout
    assert "✗" not in result.stdout
    for code in ("403", "bad_signature", "unknown_kid", "missing_credential"):
        assert code in result.stdout


ORPHAN_SCRIPT = """
import sys, time
from passport_core.demo.processes import ServiceProcess
service = ServiceProcess("passport_flask.demo", sys.argv[1:])
print(service.pid, flush=True)
time.sleep(60)
"""


def test_services_exit_when_the_orchestrator_is_killed() -> None:
    args = ["--name", "x", "--issuer", ISSUER, "--jwks-url", "http://127.0.0.1:9/jwks.json"]
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert pid_alive(child)
    finally:
        parent.kill()  # no chance to clean up: the child must notice by itself
        parent.wait(timeout=10)
        if parent.stdout is not None:
            parent.stdout.close()
    for _ in range(100):
        if not pid_alive(child):
            break
        time.sleep(0.1)
    assert not pid_alive(child), "the service outlived its orchestrator"
