"""``passport revoke``: the entry it builds, and its way to the admin endpoint (a real uvicorn)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from passport_core import (
    MemoryRevocations,
    Minter,
    PassportConfig,
    PassportRevoked,
    RevocationAdmin,
    RevocationEndpoint,
    Verifier,
    generate_key,
    require_role,
)
from tests.core.test_cli import cli, ok, one_error_line
from tests.servers import asgi_server

ISSUER = "https://edge.test"
RING = generate_key("EdDSA", kid="edge-1")
MINTER = Minter(RING, issuer=ISSUER)


def test_print_builds_each_kind_of_entry() -> None:
    jti = json.loads(ok("revoke", "--print", "--issuer", ISSUER, "--jti", "j-1"))
    assert (jti["kind"], jti["iss"], jti["value"]) == ("jti", ISSUER, "j-1")
    assert jti["expires"] == pytest.approx(time.time() + 3630, abs=30)
    subject = json.loads(
        ok("revoke", "--print", "--issuer", ISSUER, "--subject", "alice", "--before", "-60")
    )
    assert subject["before"] == pytest.approx(time.time() - 60, abs=30)
    assert subject["expires"] == pytest.approx(subject["before"] + 3630)
    session = json.loads(
        ok("revoke", "--print", "--issuer", ISSUER, "--session", "s-1", "--lifetime", "600")
    )
    assert session["expires"] == pytest.approx(session["before"] + 600)


def test_a_token_on_stdin_is_revoked_by_its_own_iss_jti_and_exp() -> None:
    token = MINTER.mint("alice", audience="orders", ttl=300)
    entry = json.loads(ok("revoke", "--print", "--token", "-", stdin=token))
    claims = Verifier(keys=RING, issuer=ISSUER, audience="orders").verify(token)
    assert (entry["kind"], entry["iss"], entry["value"]) == ("jti", ISSUER, claims.jti)
    assert entry["expires"] >= claims.expires_at.timestamp()


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["--print", "--jti", "j"], None, "--issuer is required"),
        (["--print", "--issuer", ISSUER, "--subject", "a", "--before", "1"], None, "so long ago"),
        (["--print", "--token", "-"], "not-a-token", "3 dot-separated"),
        (["--print", "--token", "-", "--issuer", "https://other.test"], "TOKEN", "not --issuer"),
        (["--admin", "http://ops.example/admin", "--issuer", ISSUER, "--jti", "j"], "OP", "https"),
    ],
)
def test_bad_input_is_one_error_line(args: list[str], stdin: str | None, says: str) -> None:
    if stdin == "TOKEN":
        stdin = MINTER.mint("alice", audience="orders")
    result = cli("revoke", *args, stdin=stdin)
    assert result.returncode == 1
    line = one_error_line(result)
    assert says in line
    assert stdin is None or len(stdin) < 20 or stdin not in result.stderr


@pytest.fixture
def admin() -> Iterator[tuple[str, MemoryRevocations]]:
    store = MemoryRevocations()
    gate = PassportConfig.from_mapping(
        {"issuer": ISSUER, "audience": "ops", "keys": RING, "bearer": True}
    ).build_gate()
    endpoint = RevocationEndpoint(
        RevocationAdmin(store, gate=gate, policy=require_role("passport-admin"), issuers=ISSUER)
    )
    with asgi_server(endpoint) as url:
        yield url, store


def test_through_the_admin_endpoint_with_the_operators_passport(
    admin: tuple[str, MemoryRevocations],
) -> None:
    url, store = admin
    operator = MINTER.mint("olga", audience="ops", roles=["passport-admin"])
    out = ok("revoke", "--admin", url, "--issuer", ISSUER, "--subject", "alice", stdin=operator)
    assert json.loads(out)["value"] == "alice"
    earlier = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 5)
    verifier = Verifier(keys=RING, issuer=ISSUER, audience="orders", revocations=store)
    with pytest.raises(PassportRevoked):
        verifier.verify(earlier.mint("alice", audience="orders"))
    support = MINTER.mint("sam", audience="ops", roles=["support"])
    refused = cli("revoke", "--admin", url, "--issuer", ISSUER, "--jti", "j", stdin=support)
    assert refused.returncode == 1
    assert "403 permission_denied" in one_error_line(refused)
    assert support not in refused.stderr


def test_into_the_shared_redis_store_where_every_service_sees_it(redis_url: str) -> None:
    from passport_core import RedisRevocations  # noqa: PLC0415

    reader = RedisRevocations.from_url(redis_url)
    reader.start()
    try:
        deadline = time.monotonic() + 5
        while not reader.healthy and time.monotonic() < deadline:
            time.sleep(0.01)
        earlier = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 5)
        token = earlier.mint("carol", audience="orders")
        verifier = Verifier(keys=RING, issuer=ISSUER, audience="orders", revocations=reader)
        verifier.verify(token)
        entry = json.loads(
            ok("revoke", "--redis", redis_url, "--issuer", ISSUER, "--subject", "carol")
        )
        assert entry["kind"] == "subject"
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            try:
                verifier.verify(token)
            except PassportRevoked:
                break
            time.sleep(0.01)
        with pytest.raises(PassportRevoked):
            verifier.verify(token)
    finally:
        reader.close()


def test_an_unreachable_redis_is_one_error_line() -> None:
    result = cli("revoke", "--redis", "redis://127.0.0.1:1/0", "--issuer", ISSUER, "--jti", "j")
    assert result.returncode == 1
    assert "revocation" in one_error_line(result).lower()
