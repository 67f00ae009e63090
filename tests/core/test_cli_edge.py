"""``passport edge --config edge.toml``: a real process in front of a real upstream on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from passport_core import JWKS_PATH, Key, Verifier
from passport_core.edge.config import EdgeConfig
from tests.core.conftest import JWKSServer
from tests.core.edge.conftest import idp_key, idp_rsa_key, issue, provider
from tests.servers import RunningServer, serve

__all__ = ["idp_key", "idp_rsa_key", "provider"]  # fixtures of the edge tests, used here

REPO = Path(__file__).resolve().parents[2]
ISSUER = "https://edge.cli.test"

HOOKS = '''
from passport_core import APIKey, Identity, api_key_digest

KEYS = {api_key_digest("alice-key"): "alice"}

def by_digest(digest):
    subject = KEYS.get(digest)
    return None if subject is None else APIKey(digest, subject)

def directory(identity):
    return {"roles": ["admin"] if identity.subject == "alice" else ["robot"], "tenant": "acme"}

class StaticToken:
    """A custom kind: X-Static: <name> names the subject (tests only)."""

    name = "static"

    def __init__(self, header, client_secret):
        self.header = header

    def credential(self, request):
        values = request.get_header(self.header)
        return values[0] if values else None

    def authenticate(self, credential, request):
        return Identity(subject=credential, method=self.name)

    async def aauthenticate(self, credential, request):
        return self.authenticate(credential, request)
'''


def config_text(upstream: str, ring: Path, *, mint_port: int = 9001, **extra: str) -> str:
    top = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return f"""
issuer = "{ISSUER}"
ring = "{ring.name}"
ttl = 120
mode = ["gateway", "mint"]
{top}
[mint_listener]
host = "127.0.0.1"
port = {mint_port}

[[authenticators]]
kind = "api_key"
lookup = "edge_hooks:by_digest"

[[authenticators]]
kind = "custom"
factory = "edge_hooks:StaticToken"
options = {{ header = "X-Static", client_secret = "s3cret-value" }}

[[enrichers]]
call = "edge_hooks:directory"
timeout = 1.0

[[audiences]]
name = "orders"

[[audiences]]
name = "billing"
fields = ["tenant"]

[[routes]]
prefix = "/orders/"
upstream = "{upstream}"
audience = "orders"

[[routes]]
prefix = "/billing/"
upstream = "{upstream}"
audience = "billing"
strip_prefix = true
"""


def passport_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passport_core", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(cwd)])),
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "edge_hooks.py").write_text(HOOKS, encoding="utf-8")
    made = passport_cli(
        "ring", "init", "--out", tmp_path / "ring.json", "--kid", "e1", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    return tmp_path


@pytest.fixture
def upstream() -> Iterator[RunningServer]:
    with serve() as server:  # echoes the request headers as JSON
        yield server


def write_config(workdir: Path, text: str) -> Path:
    path = workdir / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_prints_the_effective_configuration_without_secrets(
    workdir: Path, upstream: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = config_text(
        upstream.url,
        workdir / "ring.json",
        extra_strip_headers='["X-Passport-Profile"]',
        trust_forwarded="true",
    )
    path = write_config(workdir, text)
    result = passport_cli("edge", "--config", path, "--check", cwd=workdir)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["extra_strip_headers"] == ["X-Passport-Profile"]
    assert (shown["trust_forwarded"], shown["forward_credentials"]) == (True, False)
    monkeypatch.syspath_prepend(str(workdir))  # where the file's "module:attr" hooks live
    gateway = EdgeConfig.load(path).apps().main
    assert (gateway.trust_forwarded, gateway.forward_credentials) == (True, False)
    assert shown["issuer"] == ISSUER
    assert shown["ring"]["active"] == "e1"
    assert shown["mode"] == ["gateway", "mint"]
    assert shown["mint_listener"] == {"host": "127.0.0.1", "port": 9001}
    assert [a["name"] for a in shown["authenticators"]] == ["api_key", "static"]
    assert shown["authenticators"][1]["options"]["client_secret"] == "<redacted>"
    assert [r["prefix"] for r in shown["routes"]] == ["/orders/", "/billing/"]
    assert shown["enrichers"] == [{"name": "directory", "required": True, "timeout": 1.0}]
    assert "s3cret-value" not in result.stdout + result.stderr
    private = (workdir / "ring.json").read_text(encoding="utf-8")
    secrets = [value for name, value in _strings(json.loads(private)) if name == "d"]
    assert secrets
    assert not any(secret in result.stdout for secret in secrets)


def _strings(value: object, name: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, name)
    elif isinstance(value, str):
        yield name, value


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace("ttl = 120", "ttl = 120\nisuer = 'x'"), "edge.isuer"),
        (lambda t: t.replace('audience = "orders"', 'audiense = "orders"'), "routes[0].audiense"),
        (lambda t: t.replace("timeout = 1.0", "timeout = 1.0\nrequird = true"), "requird"),
        (lambda t: t.replace('kind = "api_key"', 'kind = "saml"'), "'saml'"),
        (lambda t: t.replace('"edge_hooks:by_digest"', '"edge_hooks:nope"'), "nope"),
        (lambda t: t.replace("ttl = 120", "ttl = true"), "edge.ttl"),
        (lambda t: t.replace('["gateway", "mint"]', '"proxy"'), "mode"),
        (lambda t: t + "[[", "not valid TOML"),
        # both modes on one listener would hand clients passports (security review F1)
        (lambda t: t.replace("[mint_listener]", "[unused]"), "needs a [mint_listener]"),
        (lambda t: t.replace('["gateway", "mint"]', '"gateway"'), "only for mode"),
        (lambda t: t.replace("port = 9001", "port = 9001\nhots = 'x'"), "mint_listener.hots"),
    ],
    ids=[
        *("top", "route", "enricher", "kind", "reference", "type", "mode", "toml"),
        *("no-mint-listener", "mint-listener-one-mode", "mint-listener-key"),
    ],
)
def test_a_bad_setting_is_one_error_line_naming_it(
    workdir: Path, upstream: RunningServer, change: object, named: str
) -> None:
    text = change(config_text(upstream.url, workdir / "ring.json"))  # type: ignore[operator]
    path = write_config(workdir, text)
    result = passport_cli("edge", "--config", path, "--check", cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith("passport: error: ")
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_the_edge_serves_requests_through_to_the_upstream_and_stops_by_pid(
    workdir: Path, upstream: RunningServer
) -> None:
    mint_port = free_port()
    path = write_config(
        workdir, config_text(upstream.url, workdir / "ring.json", mint_port=mint_port)
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "passport_core", "edge", "--config", str(path), "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(workdir)])),
    )
    base = f"http://127.0.0.1:{port}"
    mint = f"http://127.0.0.1:{mint_port}"
    try:
        deadline = time.monotonic() + 30
        jwks = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                jwks = httpx.get(f"{base}{JWKS_PATH}", timeout=2).json()
                assert httpx.get(f"{mint}{JWKS_PATH}", timeout=2).json() == jwks
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert jwks is not None, "the edge did not start"
        with httpx.Client(timeout=10) as client:
            orders = client.get(f"{base}/orders/1", headers={"X-API-Key": "alice-key"})
            billing = client.get(f"{base}/billing/2", headers={"X-Static": "robot-7"})
            refused = client.get(f"{base}/orders/1", headers={"X-API-Key": "wrong"})
            # the clients' listener never mints for them; only the mint listener does
            public_auth = client.get(f"{base}/auth?audience=billing", headers={"X-Static": "r"})
            minted = client.get(f"{mint}/auth?audience=billing", headers={"X-Static": "r"})
            anonymous = client.get(f"{mint}/auth")
            no_routes = client.get(f"{mint}/orders/1", headers={"X-API-Key": "alice-key"})
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    # uvicorn shuts down gracefully (the lifespan closes the upstream client), then
    # re-raises the signal it caught, as a well-behaved server does
    assert process.returncode in (0, -signal.SIGTERM), err
    assert err.count("Application shutdown complete") == 2  # one SIGTERM stopped both
    assert f"gateway on {base}; mint endpoint on {mint}" in out

    assert orders.status_code == 200
    token = orders.json()["x-passport"]
    passport = Verifier(keys=jwks, issuer=ISSUER, audience="orders").verify(token)
    assert passport.subject == "alice"
    assert passport.roles == frozenset({"admin"})
    assert billing.status_code == 200
    other = Verifier(keys=jwks, issuer=ISSUER, audience="billing")
    assert other.verify(billing.json()["x-passport"]).subject == "robot-7"
    assert [p for p, _ in upstream.requests] == ["/orders/1", "/2"]
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credential"
    assert public_auth.status_code == 404
    assert "x-passport" not in public_auth.headers
    assert minted.status_code == 200
    assert other.verify(minted.headers["x-passport"]).roles == frozenset()
    assert anonymous.status_code == 401
    assert no_routes.status_code == 404
    assert token not in out + err
    assert "alice-key" not in out + err


#: one table of every built-in kind the file knows (audit gap 3)
EVERY_KIND = """
issuer = "https://edge.cli.test"
ring = "ring.json"
mode = "mint"

[[authenticators]]
kind = "oidc"
issuer = "https://login.example"
audience = "https://api.example"
claims = { roles = ["roles", ["realm_access", "roles"]], tenant = "tenant_id", profile = ["email"] }

[[authenticators]]
kind = "oidc"
name = "oidc_id"
issuer = "https://login.example"
token_kind = "id_token"
client_id = "web"

[[authenticators]]
kind = "introspection"
issuer = "https://as.example"
client_id = "edge"
client_secret_env = "EDGE_TEST_INTROSPECTION_SECRET"
audience = "https://api.example"

[[authenticators]]
kind = "cloudflare_access"
team = "acme"
audience = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"

[[authenticators]]
kind = "google_iap"
audience = "/projects/123/apps/acme-app"

[[authenticators]]
kind = "pomerium"
route = "app.corp.example"

[[enrichers]]
kind = "http"
url = "https://directory.example/users/{subject}"
headers = { Accept = "application/json" }
required = false
timeout = 0.5

[[audiences]]
name = "orders"
"""
SECRET = "intr0spection-s3cret"


def check_every_kind(workdir: Path, text: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = write_config(workdir, text)
    return subprocess.run(
        [sys.executable, "-m", "passport_core", "edge", "--config", str(path), "--check"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(workdir)]), **env),
    )


def test_check_builds_every_built_in_kind(workdir: Path) -> None:
    result = check_every_kind(workdir, EVERY_KIND, EDGE_TEST_INTROSPECTION_SECRET=SECRET)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [a["name"] for a in shown["authenticators"]] == [
        *("oidc", "oidc_id", "introspection"),
        *("cloudflare_access", "google_iap", "pomerium"),
    ]
    assert shown["enrichers"] == [
        {"name": "http:directory.example", "required": False, "timeout": 0.5}
    ]
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "env", "named"),
    [
        # a secret in the file is refused, and the message says where it goes instead
        (("client_secret_env = ", "client_secret = "), {}, "client_secret_env"),
        (("", ""), {}, "'EDGE_TEST_INTROSPECTION_SECRET' is not set"),
        (('token_kind = "id_token"', 'token_kind = "refresh"'), {"S": "1"}, "token_kind"),
        (("tenant = ", "tenat = "), {"S": "1"}, "claims.tenat"),
        (('team = "acme"', 'team = "Not A Team"'), {"S": "1"}, "team"),
        (("required = false", "required = false\nurl_x = 1"), {"S": "1"}, "enrichers[0].url_x"),
        (('kind = "http"', 'kind = "ldap"'), {"S": "1"}, "'ldap'"),
    ],
    ids=["literal-secret", "unset-secret", "token-kind", "mapping-key", "preset", "http", "kind"],
)
def test_a_bad_built_in_kind_is_one_error_line_naming_it(
    workdir: Path, change: tuple[str, str], env: dict[str, str], named: str
) -> None:
    old, new = change
    text = EVERY_KIND.replace(old, new) if old else EVERY_KIND
    if env:
        env = {"EDGE_TEST_INTROSPECTION_SECRET": SECRET}
    result = check_every_kind(workdir, text, **env)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("passport: error: ")
    assert named in result.stderr
    assert SECRET not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_edge_serves_an_oidc_authenticator_from_its_file(
    workdir: Path, provider: JWKSServer, idp_key: Key
) -> None:
    # A real `passport edge` process, its OIDC provider's discovery and JWKS on loopback.
    text = f"""
issuer = "{ISSUER}"
ring = "ring.json"
mode = "mint"

[[authenticators]]
kind = "oidc"
issuer = "{provider.base_url}"
audience = "https://api.test"
timeout = 2
claims = {{ roles = [["realm_access", "roles"]], tenant = "tenant_id" }}

[[audiences]]
name = "orders"
"""
    path = write_config(workdir, text)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "passport_core", "edge", "--config", str(path), "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(workdir)])),
    )
    base = f"http://127.0.0.1:{port}"
    now = int(time.time())
    token = issue(
        idp_key,
        {
            "iss": provider.base_url,
            "sub": "user-42",
            "aud": "https://api.test",
            "client_id": "web-app",
            "jti": "at-1",
            "iat": now,
            "exp": now + 300,
            "realm_access": {"roles": ["admin"]},
            "tenant_id": "acme",
        },
    )
    try:
        deadline = time.monotonic() + 30
        jwks = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                jwks = httpx.get(f"{base}{JWKS_PATH}", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert jwks is not None, "the edge did not start"
        with httpx.Client(timeout=10) as client:
            minted = client.get(f"{base}/auth", headers={"Authorization": f"Bearer {token}"})
            refused = client.get(f"{base}/auth", headers={"Authorization": "Bearer eyJ.x.y"})
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert process.returncode in (0, -signal.SIGTERM), err
    assert minted.status_code == 200, minted.text
    passport = Verifier(keys=jwks, issuer=ISSUER, audience="orders").verify(
        minted.headers["x-passport"]
    )
    assert passport.subject == "user-42"
    assert passport.roles == frozenset({"admin"})
    assert passport.tenant == "acme"
    assert refused.status_code == 401
    assert token not in out + err
