"""The ``passport`` command, run end to end as a subprocess (``python -m passport_core``)."""

from __future__ import annotations

import io
import json
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from passport_core import Minter, load_key_file
from passport_core.demo.walkthrough import run_walkthrough
from passport_core.token.encoding import b64url_encode
from tests.servers import in_thread

REPO = Path(__file__).resolve().parents[2]
ISS = "https://edge.cli.test"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def cli(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passport_core", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO,
        timeout=60,
        check=False,
    )


def ok(*args: str | Path, stdin: str | None = None) -> str:
    result = cli(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exit 1 and exactly one ``passport: error:`` line."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("passport: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def indented_rows(output: str, *, after: str) -> dict[str, str]:
    """``label  value`` rows indented under the line starting with ``after``."""
    lines = iter(output.splitlines())
    for line in lines:
        if line.startswith(after):
            break
    rows: dict[str, str] = {}
    for line in lines:
        if not line.startswith("  "):
            break
        label, value = line.split(maxsplit=1)
        rows[label] = value
    return rows


@dataclass(frozen=True)
class Edge:
    key: Path
    jwks: Path
    token: str


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Edge:
    """A key, its public JWKS and a passport, all made with the CLI."""
    tmp = tmp_path_factory.mktemp("edge")
    key, jwks = tmp / "edge-key.json", tmp / "jwks.json"
    ok("keygen", "--alg", "EdDSA", "--kid", "edge-1", "--out", key)
    jwks.write_text(ok("jwks", key))
    token = ok(
        "mint", "--key", key, "--issuer", ISS, "--sub", "alice", "--aud", "orders",
        "--role", "admin", "--scope", "orders:read orders:write", "--tenant", "acme",
        "--profile", '{"name": "Alice"}', "--claim", 'plan="gold"',
    ).strip()  # fmt: skip
    return Edge(key, jwks, token)


@pytest.mark.parametrize(
    ("alg", "kty"), [("EdDSA", "OKP"), ("ES256", "EC"), ("RS256", "RSA"), ("PS256", "RSA")]
)
def test_keygen_jwks_mint_verify_round_trip(tmp_path: Path, alg: str, kty: str) -> None:
    key = tmp_path / "key.json"
    result = cli("keygen", "--alg", alg, "--kid", f"{alg}-1", "--out", key)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # the private key goes to the file only
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    private = json.loads(key.read_text())
    assert (private["kty"], private["kid"], private["alg"]) == (kty, f"{alg}-1", alg)
    assert "d" in private

    jwks = json.loads(ok("jwks", key))
    [public] = jwks["keys"]
    assert not PRIVATE_MEMBERS & public.keys()
    assert (public["kid"], public["alg"], public["use"]) == (f"{alg}-1", alg, "sig")
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))

    token = ok(
        "mint", "--key", key, "--issuer", ISS, "--sub", "bob", "--aud", "orders",
        "--aud", "billing", "--role", "customer", "--scope", "orders:read", "--ttl", "120",
    ).strip()  # fmt: skip
    assert token.count(".") == 2
    summary = ok(
        "verify", token, "--jwks", tmp_path / "jwks.json", "--issuer", ISS, "--aud", "billing"
    )
    assert "valid passport" in summary
    rows = indented_rows(summary, after="✓ valid passport")
    assert rows["subject"] == "bob"
    assert rows["roles"] == "customer"
    assert rows["scopes"] == "orders:read"
    assert rows["audience"] == "orders, billing"  # in the order given
    assert rows["key"] == f"{alg}-1 ({alg})"
    assert re.search(r"\(in (1 min \d+ s|2 min)\)$", rows["expires"])


@pytest.mark.parametrize(("alg", "needs_alg"), [("ES256", False), ("PS256", True)])
def test_pem_keys_round_trip(tmp_path: Path, alg: str, needs_alg: bool) -> None:
    pem = tmp_path / "key.pem"
    result = cli("keygen", "--alg", alg, "--format", "pem", "--out", pem)
    assert result.returncode == 0, result.stderr
    assert pem.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    # PEM does not record the algorithm: the CLI says so when it matters.
    assert (f"--alg {alg}" in result.stderr) is needs_alg
    alg_args = ["--alg", alg] if needs_alg else []

    jwks = json.loads(ok("jwks", pem, *alg_args))
    assert [k["alg"] for k in jwks["keys"]] == [alg]
    assert not PRIVATE_MEMBERS & jwks["keys"][0].keys()
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    token = ok(
        "mint", "--key", pem, *alg_args, "--issuer", ISS, "--sub", "carol", "--aud", "orders"
    ).strip()
    verify = ("verify", token, "--jwks", tmp_path / "jwks.json", "--issuer", ISS, "--aud", "orders")
    assert "subject      carol" in ok(*verify)


@pytest.mark.parametrize("alg", ["HS256", "HS512"])
def test_hmac_keys_are_jwk_only_and_never_published(tmp_path: Path, alg: str) -> None:
    secret = json.loads(ok("keygen", "--alg", alg))
    assert (secret["kty"], secret["alg"]) == ("oct", alg)
    assert len(secret["k"]) * 6 >= int(alg[2:])  # base64url: 6 bits per character

    key = tmp_path / "secret.json"
    key.write_text(json.dumps(secret))
    line = one_error_line(cli("jwks", key))
    assert "shared secret" in line
    assert secret["k"] not in line
    assert "no PEM form" in one_error_line(cli("keygen", "--alg", alg, "--format", "pem"))


def test_keygen_out_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text("keep me")
    key.chmod(0o644)
    line = one_error_line(cli("keygen", "--out", key))
    assert "already exists" in line
    assert "--force" in line
    assert key.read_text() == "keep me"

    result = cli("keygen", "--alg", "ES256", "--out", key, "--force")
    assert result.returncode == 0, result.stderr
    assert json.loads(key.read_text())["alg"] == "ES256"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [key]  # no temporary file left behind


def test_jwks_merges_keys_of_a_rotation(tmp_path: Path, edge: Edge) -> None:
    second = tmp_path / "next.json"
    ok("keygen", "--alg", "ES256", "--kid", "edge-2", "--out", second)
    jwks = json.loads(ok("jwks", edge.key, second))
    assert [k["kid"] for k in jwks["keys"]] == ["edge-1", "edge-2"]
    assert all(not PRIVATE_MEMBERS & k.keys() for k in jwks["keys"])
    assert "appears in both" in one_error_line(cli("jwks", edge.key, edge.key))


def test_verify_reads_the_token_from_stdin_and_prints_claims_as_json(edge: Edge) -> None:
    out = ok(
        "verify", "-", "--jwks", edge.jwks, "--issuer", ISS, "--aud", "orders", "--json",
        stdin=edge.token + "\n",
    )  # fmt: skip
    claims = json.loads(out)["claims"]
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["admin"]
    assert claims["scope"] == "orders:read orders:write"
    assert claims["tenant"] == "acme"
    assert claims["profile_data"] == {"name": "Alice"}
    assert claims["plan"] == "gold"


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = {"iss": ISS, "sub": "mallory", "aud": "orders", "iat": 0, "exp": 2**31}
    return f"{header}.{b64url_encode(json.dumps(payload).encode())}.{signature}"


def _expired(key: Path) -> str:
    an_hour_ago = time.time() - 3600
    minter = Minter(load_key_file(key), issuer=ISS, clock=lambda: an_hour_ago)
    return minter.mint("alice", audience="orders", ttl=60)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong audience", "invalid_audience"),
        ("wrong issuer", "invalid_issuer"),
        ("wrong typ", "invalid_typ"),
        ("tampered", "bad_signature"),
        ("expired", "token_expired"),
    ],
)
def test_verify_failures_exit_1_with_the_error_code(edge: Edge, case: str, code: str) -> None:
    token, issuer, aud, extra = edge.token, ISS, "orders", []
    if case == "wrong audience":
        aud = "billing"
    elif case == "wrong issuer":
        issuer = "https://other.test"
    elif case == "wrong typ":
        extra = ["--typ", "at+jwt"]
    elif case == "tampered":
        token = _tampered(token)
    else:
        token = _expired(edge.key)
    result = cli("verify", token, "--jwks", edge.jwks, "--issuer", issuer, "--aud", aud, *extra)
    line = one_error_line(result)
    assert line.startswith(f"passport: error: {code}: ")
    assert result.stdout == ""
    for segment in token.split("."):  # no part of the token is echoed
        assert segment not in result.stderr


@pytest.fixture
def jwks_url(edge: Edge) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 publishing the edge's JWKS at /jwks.json."""
    body = edge.jwks.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with in_thread(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        yield url


@pytest.mark.network
def test_verify_fetches_the_jwks_from_a_url(edge: Edge, jwks_url: str) -> None:
    trust = ("--issuer", ISS, "--aud", "orders")
    out = ok("verify", edge.token, "--jwks", f"{jwks_url}/jwks.json", *trust)
    assert "subject      alice" in out

    missing = cli("verify", edge.token, "--jwks", f"{jwks_url}/nope.json", *trust)
    assert one_error_line(missing) == (
        "passport: error: keys_unavailable: the key server answered HTTP 404"
    )


def test_verify_refuses_a_private_key_as_the_jwks(edge: Edge) -> None:
    result = cli("verify", edge.token, "--jwks", edge.key, "--issuer", ISS, "--aud", "orders")
    line = one_error_line(result)
    assert "private key material" in line


def test_inspect_shows_header_and_claims_under_an_unverified_banner(edge: Edge) -> None:
    out = ok("inspect", "-", stdin=edge.token)
    assert out.splitlines()[0].startswith("UNVERIFIED — signature not checked")
    assert '"alg": "EdDSA"' in out
    assert '"typ": "passport+jwt"' in out
    assert '"sub": "alice"' in out
    assert '"plan": "gold"' in out
    times = indented_rows(out, after="Times")
    assert set(times) == {"iat", "nbf", "exp"}
    assert "UTC" in times["exp"]
    assert re.search(r"\(in [3-5] min( \d+ s)?\)$", times["exp"])
    assert "not expired" in out


def test_inspect_says_when_a_token_has_expired(edge: Edge) -> None:
    out = ok("inspect", _expired(edge.key))
    assert out.startswith("UNVERIFIED")
    assert re.search(r"EXPIRED 59 min( \d+ s)? ago", out)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("garbage", "malformed_token"),
        ("a.b", "malformed_token"),
        ("!!!.e30.", "malformed_token"),
        (b64url_encode(b"[1]") + ".e30.", "malformed_token"),
        (b64url_encode(b'{"alg":"EdDSA","alg":"none"}') + ".e30.", "malformed_token"),
        (" ", "missing_token"),
    ],
)
def test_inspect_of_garbage_is_one_error_line(token: str, code: str) -> None:
    result = cli("inspect", token)
    assert one_error_line(result).startswith(f"passport: error: {code}: ")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "plan=gold"], "--claim plan: the value is not valid JSON"),
        (["--claim", "roles=[]"], "use --role"),
        (["--profile", "[1]"], "--profile value is not a JSON object"),
        (["--ttl", "86400"], "minting_error: lifetime 86400 s exceeds"),
    ],
)
def test_mint_errors_are_one_line(edge: Edge, args: list[str], message: str) -> None:
    result = cli("mint", "--key", edge.key, "--issuer", ISS, "--sub", "a", "--aud", "o", *args)
    assert message in one_error_line(result)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("key", "message"),
    [("missing.json", "cannot read key file"), ("jwks", "holds a public key")],
)
def test_mint_needs_a_readable_private_key(edge: Edge, key: str, message: str) -> None:
    path = edge.jwks if key == "jwks" else edge.jwks.parent / key
    result = cli("mint", "--key", path, "--issuer", ISS, "--sub", "a", "--aud", "o")
    assert message in one_error_line(result)


def test_usage_errors_exit_2() -> None:
    result = cli("mint", "--issuer", ISS)
    assert result.returncode == 2
    assert "required" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_shows_examples() -> None:
    out = ok("--help")
    assert "examples:" in out
    for command in ("keygen", "jwks", "mint", "inspect", "verify", "demo", "walkthrough"):
        assert f"passport {command}" in out


def test_walkthrough_walks_through_every_step() -> None:
    out = ok("walkthrough")
    assert "✗" not in out
    assert out.count("✓") >= 12
    for expected in ("bad_signature", "algorithm_not_allowed", "token_expired", "403"):
        assert expected in out
    assert out.rstrip().endswith("steps behaved as expected")


def test_run_walkthrough_reports_success_for_another_algorithm() -> None:
    out = io.StringIO()
    assert run_walkthrough(out, alg="ES256") is True
    assert "✗" not in out.getvalue()
    assert "edge-key-2" in out.getvalue()
