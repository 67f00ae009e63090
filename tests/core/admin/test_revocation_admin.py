"""The revocation admin endpoint, served for real (uvicorn for ASGI, wsgiref for WSGI).

An operator holding a passport the policy allows revokes a passport, a subject or a
session; the shared store then refuses what was named. Everyone else, and every
malformed request, gets a typed problem, never a 500.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from passport_core import (
    MemoryRevocations,
    Minter,
    PassportConfig,
    PassportRevoked,
    RevocationAdmin,
    RevocationEndpoint,
    RevocationWSGI,
    Verifier,
    generate_key,
    require_role,
)
from tests.servers import asgi_server, in_thread

ISSUER = "https://edge.test"
OPS = "ops-console"
SERVICE = "orders"
RING = generate_key("EdDSA", kid="edge-1")
MINTER = Minter(RING, issuer=ISSUER)
OPERATOR = MINTER.mint("olga", audience=OPS, roles=["passport-admin"])
INTRUDER = MINTER.mint("mallory", audience=OPS, roles=["support"])


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def store() -> MemoryRevocations:
    return MemoryRevocations()


@pytest.fixture(params=["asgi", "wsgi"])
def admin_url(request: pytest.FixtureRequest, store: MemoryRevocations) -> Iterator[str]:
    gate = PassportConfig.from_mapping(
        {"issuer": ISSUER, "audience": OPS, "keys": RING, "bearer": True}
    ).build_gate()
    admin = RevocationAdmin(store, gate=gate, policy=require_role("passport-admin"), issuers=ISSUER)
    if request.param == "asgi":
        with asgi_server(RevocationEndpoint(admin)) as url:
            yield url
        return
    server = make_server("127.0.0.1", 0, RevocationWSGI(admin), WSGIServer, _Quiet)
    with in_thread(server) as url:
        yield url


def _post(
    url: str, document: object, token: str | None = OPERATOR, **options: object
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return httpx.post(url, content=content, headers=headers, timeout=5, **options)  # type: ignore[arg-type]


def _service() -> Verifier:
    return Verifier(keys=RING, issuer=ISSUER, audience=SERVICE)


def test_an_operator_revokes_one_passport(admin_url: str, store: MemoryRevocations) -> None:
    token = MINTER.mint("alice", audience=SERVICE)
    verifier = Verifier(keys=RING, issuer=ISSUER, audience=SERVICE, revocations=store)
    passport = verifier.verify(token)
    answer = _post(admin_url, {"jti": passport.jti, "expires": time.time() + 600})
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["kind"] == "jti"
    with pytest.raises(PassportRevoked):
        verifier.verify(token)
    verifier.verify(MINTER.mint("alice", audience=SERVICE))  # only that one


@pytest.mark.parametrize("kind", ["subject", "session"])
def test_an_operator_logs_a_subject_or_session_out(
    admin_url: str, store: MemoryRevocations, kind: str
) -> None:
    earlier = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 5)
    token = earlier.mint("alice", audience=SERVICE, claims={"sid": "s-7"})
    verifier = Verifier(keys=RING, issuer=ISSUER, audience=SERVICE, revocations=store)
    verifier.verify(token)
    value = "alice" if kind == "subject" else "s-7"
    answer = _post(admin_url, {kind: value})
    assert answer.status_code == 201, answer.text
    assert answer.json()["before"] == pytest.approx(time.time(), abs=5)
    with pytest.raises(PassportRevoked):
        verifier.verify(token)


#: case -> (body, token, status, problem code)
REFUSED: dict[str, tuple[object, str | None, int, str]] = {
    "no passport": ({"jti": "j"}, None, 401, "missing_token"),
    "a forged passport": ({"jti": "j"}, OPERATOR[:-4] + "AAAA", 401, "bad_signature"),
    "a passport for another audience": (
        {"jti": "j"},
        MINTER.mint("olga", audience=SERVICE, roles=["passport-admin"]),
        401,
        "invalid_audience",
    ),
    "a passport without the role": ({"jti": "j"}, INTRUDER, 403, "permission_denied"),
    "not JSON": (b"jti=j", OPERATOR, 400, "invalid_request"),
    "not an object": (["jti"], OPERATOR, 400, "invalid_request"),
    "nothing named": ({"iss": ISSUER}, OPERATOR, 400, "invalid_request"),
    "two things named": ({"jti": "j", "subject": "alice"}, OPERATOR, 400, "invalid_request"),
    "an unknown member": ({"jti": "j", "scope": "all"}, OPERATOR, 400, "invalid_request"),
    "an empty value": ({"subject": ""}, OPERATOR, 400, "invalid_request"),
    "a value too long": ({"subject": "a" * 257}, OPERATOR, 400, "invalid_request"),
    "a value not a string": ({"jti": 7}, OPERATOR, 400, "invalid_request"),
    "another issuer": (
        {"jti": "j", "iss": "https://evil.test"},
        OPERATOR,
        400,
        "invalid_request",
    ),
    "expires in the past": ({"jti": "j", "expires": 1}, OPERATOR, 400, "invalid_request"),
    "before not a number": (
        {"subject": "alice", "before": "now"},
        OPERATOR,
        400,
        "invalid_request",
    ),
    "before a boolean": ({"subject": "alice", "before": True}, OPERATOR, 400, "invalid_request"),
    "before too long ago": ({"subject": "alice", "before": 1}, OPERATOR, 400, "invalid_request"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_request_is_a_typed_problem_and_revokes_nothing(
    admin_url: str, store: MemoryRevocations, case: str
) -> None:
    body, token, status, code = REFUSED[case]
    answer = _post(admin_url, body, token)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert store.list.entries() == []


def test_only_post_with_json_up_to_the_cap(admin_url: str, store: MemoryRevocations) -> None:
    assert httpx.get(admin_url, timeout=5).status_code == 405
    plain = httpx.post(admin_url, content=b"{}", headers={"content-type": "text/plain"}, timeout=5)
    assert plain.status_code == 415
    huge = _post(admin_url, {"jti": "j", "pad": "x" * 5000})
    assert huge.status_code == 413
    assert _post(admin_url, {"jti": "j"}, INTRUDER).status_code == 403  # no hint past the cap
    assert store.list.entries() == []


def test_the_log_names_the_operator_never_a_token(
    admin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _post(admin_url, {"subject": "alice"})
    _post(admin_url, {"jti": "j"}, INTRUDER)
    text = caplog.text
    assert "revoked kind=subject" in text
    assert "by=olga" in text
    assert OPERATOR not in text
    assert INTRUDER not in text
    assert "alice" not in text  # a subject's name is personal data: its fingerprint only
