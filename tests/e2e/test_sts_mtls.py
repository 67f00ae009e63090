"""Mutual TLS at the token service (RFC 8705 §2), for real: nginx terminates TLS and checks
client certificates against a CA made at test time, then forwards the certificate to
``passport sts`` (a subprocess on loopback) in a header; the ``ExchangeClient`` presents its
certificate through nginx. nginx runs the very directives docs/token-exchange.md gives.

  ExchangeClient ─TLS, client cert─▶ nginx :verified (ssl_verify_client on)   ─X-Client-Cert─────────▶ passport sts
                                     nginx :any (ssl_verify_client optional_no_ca) ─X-Client-Cert-Unverified─┘
"""  # noqa: E501 - the picture

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from passport_core import (
    JWKS_PATH,
    ExchangeClient,
    ExchangeRefused,
    ExchangeUnavailable,
    Key,
    Minter,
    Verifier,
    generate_key,
    public_jwks,
)
from passport_core.exchange import JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT
from tests.certs import Issued, issue, make_ca
from tests.e2e.conftest import StartNginx
from tests.e2e.nginx import free_port, main_config

pytestmark = pytest.mark.network

REPO = Path(__file__).resolve().parents[2]
EDGE = "https://edge.test"
STS = "https://sts.test"

HEAD = f"""
issuer = "{STS}"
ring = "sts-ring.json"

[trusted]
"{EDGE}" = {{ jwks = "edge-jwks.json" }}
"""

#: the mutual-TLS clients: only with [tls]
MTLS_CLIENTS = """
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
"""

REST = """
[[clients]]
client_id = "legacy"
jwks = "reports-jwks.json"
targets = ["billing"]

[[audiences]]
name = "billing"
fields = ["scopes"]
"""

TLS = """
[tls]
client_cert_header = "X-Client-Cert"
format = "nginx-escaped-pem"
unverified_cert_header = "X-Client-Cert-Unverified"
"""

DOC = REPO / "docs" / "token-exchange.md"


def documented_nginx(*, verified: int, anything: int, sts: int, files: Path) -> str:
    """The nginx servers of docs/token-exchange.md, on these ports and with these files.

    The test runs the directives the docs give users, so the two cannot drift apart.
    """
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```nginx\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/token-exchange.md lost its nginx block"
    servers = block.group(1)
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{verified} ssl;",
        "listen 8443 ssl;": f"listen 127.0.0.1:{anything} ssl;",
        "http://127.0.0.1:8090": f"http://127.0.0.1:{sts}",
        " sts.pem;": f" {files}/server.pem;",
        " sts-key.pem;": f" {files}/server-key.pem;",
        " clients-ca.pem;": f" {files}/ca.pem;",
    }
    for old, new in replacements.items():
        assert old in servers, f"the documented nginx block has no {old!r}"
        servers = servers.replace(old, new)
    return servers


@dataclass
class Deployment:
    dir: Path
    ca: Issued
    edge: Minter
    verified: str  # https://127.0.0.1:<port>, ssl_verify_client on
    any: str  # https://127.0.0.1:<port>, optional_no_ca
    sts: str  # http://127.0.0.1:<port>, the token service itself
    plain_sts: str  # another token service, without [tls]
    sts_keys: Any
    certs: dict[str, Issued]

    def context(self, name: str | None) -> ssl.SSLContext:
        """Trusts the test CA (nginx's server certificate); presents ``name``'s certificate."""
        context = ssl.create_default_context(cafile=str(self.dir / "ca.pem"))
        if name is not None:
            context.load_cert_chain(self.dir / f"{name}.pem", self.dir / f"{name}-key.pem")
        return context

    def client(self, base: str, client_id: str, cert: str | None) -> ExchangeClient:
        return ExchangeClient(
            f"{base}/token", client_id=client_id, ssl_context=self.context(cert), cache_size=0
        )

    def passport(self, audience: str) -> str:
        return self.edge.mint("alice", audience=audience, scopes=["billing:charge"])


@contextmanager
def _passport_sts(workdir: Path, config: str) -> Iterator[str]:
    (workdir / "sts.toml").write_text(config, encoding="utf-8")
    made = subprocess.run(
        [sys.executable, "-m", "passport_core", "ring", "init", "--out", "sts-ring.json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "passport_core", "sts", "--config", "sts.toml", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}{JWKS_PATH}", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("passport sts did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()  # by its PID
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
        assert process.returncode in (0, -signal.SIGTERM, -signal.SIGKILL)


@pytest.fixture(scope="module")
def deployment(nginx: StartNginx, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("sts-mtls")
    ca, rogue = make_ca("Test CA"), make_ca("Rogue CA")
    certs = {
        "server": issue(ca, "127.0.0.1", ips=["127.0.0.1"], server=True),
        "orders": issue(ca, "orders", dns=["orders.internal"]),
        "orders-elsewhere": issue(ca, "orders", dns=["billing.internal"]),  # the CA, another SAN
        "orders-rogue": issue(rogue, "orders", dns=["orders.internal"]),  # the SAN, another CA
        "reports": issue(None, "reports", organization=None),  # self-signed
        "reports-impostor": issue(None, "reports", organization=None),  # same name, other key
    }
    (workdir / "ca.pem").write_bytes(ca.pem)
    for name, issued in certs.items():
        issued.write(workdir, name)
    edge_key: Key = generate_key("ES256")
    (workdir / "edge-jwks.json").write_text(json.dumps(public_jwks([edge_key.public()])))
    reports_jwks = public_jwks([certs["reports"].public_key("reports-tls")])
    (workdir / "reports-jwks.json").write_text(json.dumps(reports_jwks))
    plain_dir = workdir / "plain"
    plain_dir.mkdir()
    for name in ("edge-jwks.json", "reports-jwks.json"):
        (plain_dir / name).write_bytes((workdir / name).read_bytes())
    with (
        _passport_sts(workdir, HEAD + TLS + MTLS_CLIENTS + REST) as sts,
        _passport_sts(plain_dir, HEAD + REST) as plain_sts,  # mutual TLS off
    ):
        verified, anything = free_port(), free_port()
        servers = documented_nginx(
            verified=verified, anything=anything, sts=int(sts.rsplit(":", 1)[1]), files=workdir
        )
        nginx(main_config(servers), verified)
        sts_keys = httpx.get(f"{sts}{JWKS_PATH}", timeout=5).json()
        yield Deployment(
            dir=workdir,
            ca=ca,
            edge=Minter(edge_key, issuer=EDGE),
            verified=f"https://127.0.0.1:{verified}",
            any=f"https://127.0.0.1:{anything}",
            sts=sts,
            plain_sts=plain_sts,
            sts_keys=sts_keys,
            certs=certs,
        )


def _billing(deployment: Deployment, token: str) -> Any:
    return Verifier(keys=deployment.sts_keys, issuer=STS, audience="billing").verify(token)


def test_tls_client_auth_through_nginx_exchanges(deployment: Deployment) -> None:
    client = deployment.client(deployment.verified, "orders", "orders")
    exchanged = client.exchange(deployment.passport("orders"), "billing")
    passport = _billing(deployment, exchanged.token)
    assert passport.subject == "alice"
    assert [actor.subject for actor in passport.actor] == ["orders"]
    assert passport.scopes == {"billing:charge"}


def test_the_async_client_exchanges_the_same(deployment: Deployment) -> None:
    client = deployment.client(deployment.verified, "orders", "orders")
    exchanged = asyncio.run(client.aexchange(deployment.passport("orders"), "billing"))
    assert _billing(deployment, exchanged.token).actor[0].subject == "orders"


def test_a_certificate_from_another_ca_is_refused_by_nginx(deployment: Deployment) -> None:
    client = deployment.client(deployment.verified, "orders", "orders-rogue")
    with pytest.raises(ExchangeUnavailable):
        client.exchange(deployment.passport("orders"), "billing")
    # what nginx answers: its own 400, the request never proxied
    with httpx.Client(verify=deployment.context("orders-rogue"), timeout=5) as raw:
        answer = raw.post(f"{deployment.verified}/token", data={"client_id": "orders"})
    assert answer.status_code == 400
    assert "SSL certificate error" in answer.text
    # and no certificate at all
    with httpx.Client(verify=deployment.context(None), timeout=5) as raw:
        answer = raw.post(f"{deployment.verified}/token", data={"client_id": "orders"})
    assert answer.status_code == 400
    assert "No required SSL certificate" in answer.text


def test_the_right_ca_but_another_subject_is_invalid_client(deployment: Deployment) -> None:
    client = deployment.client(deployment.verified, "orders", "orders-elsewhere")
    with pytest.raises(ExchangeRefused) as refused:
        client.exchange(deployment.passport("orders"), "billing")
    assert refused.value.error == "invalid_client"


def test_a_self_signed_certificate_whose_key_is_registered_exchanges(
    deployment: Deployment,
) -> None:
    client = deployment.client(deployment.any, "reports", "reports")
    exchanged = client.exchange(deployment.passport("reports"), "billing")
    assert _billing(deployment, exchanged.token).actor[0].subject == "reports"
    # the same name on another key is someone else
    impostor = deployment.client(deployment.any, "reports", "reports-impostor")
    with pytest.raises(ExchangeRefused) as refused:
        impostor.exchange(deployment.passport("reports"), "billing")
    assert refused.value.error == "invalid_client"


def test_an_unverified_chain_never_passes_for_tls_client_auth(deployment: Deployment) -> None:
    # the rogue CA's certificate carries orders' SAN; the optional_no_ca listener forwards it
    # as unverified, and the subject rule does not even look at it
    client = deployment.client(deployment.any, "orders", "orders-rogue")
    with pytest.raises(ExchangeRefused) as refused:
        client.exchange(deployment.passport("orders"), "billing")
    assert refused.value.error == "invalid_client"


def _form(deployment: Deployment, client_id: str) -> dict[str, str]:
    return {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": deployment.passport(client_id),
        "subject_token_type": JWT_TOKEN_TYPE,
        "audience": "billing",
        "client_id": client_id,
    }


def test_a_forged_header_through_nginx_is_overwritten(deployment: Deployment) -> None:
    headers = {"X-Client-Cert": quote(deployment.certs["orders"].pem.decode(), safe="")}
    with httpx.Client(verify=deployment.context(None), timeout=5) as raw:
        # no client certificate on the optional_no_ca listener, orders' certificate forged
        answer = raw.post(
            f"{deployment.any}/token", data=_form(deployment, "orders"), headers=headers
        )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_a_forged_header_sent_to_a_token_service_without_tls_is_ignored(
    deployment: Deployment,
) -> None:
    orders = deployment.certs["orders"]
    headers = {
        "Client-Cert": f":{b64encode(orders.der).decode()}:",
        "X-Client-Cert": quote(orders.pem.decode(), safe=""),
    }
    with httpx.Client(timeout=5) as raw:
        answer = raw.post(
            f"{deployment.plain_sts}/token", data=_form(deployment, "legacy"), headers=headers
        )
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "invalid_client"
    assert "client assertion" in body["error_description"]
