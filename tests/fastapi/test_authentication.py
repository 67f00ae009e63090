"""Required and optional passports, and every way a passport is refused (401)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi import Depends

from passport_core import KeyRing, Minter
from passport_fastapi import OptionalPassportDep, PassportDep, require_role
from passport_fastapi.application import installed
from tests.fastapi.testapp import AUDIENCE, ISSUER, AppFactory, Mint, TestClient, assert_problem

Headers = list[tuple[str, str | bytes]]
MakeHeaders = Callable[[KeyRing, Mint], Headers]


@pytest.mark.parametrize("path", ["/me", "/me-sync"])
def test_valid_passport_reaches_the_path_function(
    client: TestClient, mint: Mint, path: str
) -> None:
    response = client.get(path, headers={"X-Passport": mint("alice")})
    assert response.status_code == 200
    assert response.json() == {"sub": "alice", "current": "alice", "state": "alice"}


@pytest.mark.parametrize("path", ["/me", "/me-sync"])
def test_missing_passport_is_401_without_error_code(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_problem(response, 401, "missing_token")
    # RFC 6750 §3.1: a request without credentials gets a bare challenge.
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/maybe", "/maybe-sync"])
def test_optional_passport_may_be_absent(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"sub": None, "current": None, "state": None}


@pytest.mark.parametrize("path", ["/maybe", "/maybe-sync"])
def test_optional_passport_is_verified_when_present(
    client: TestClient, mint: Mint, path: str
) -> None:
    response = client.get(path, headers={"X-Passport": mint("bob")})
    assert response.json() == {"sub": "bob", "current": "bob", "state": "bob"}


def _foreign(ring: KeyRing, mint: Mint) -> Headers:
    other = Minter(KeyRing.generate(), issuer=ISSUER)
    return [("X-Passport", other.mint("alice", audience=AUDIENCE))]


def _expired(ring: KeyRing, mint: Mint) -> Headers:
    an_hour_ago = time.time() - 3600
    old = Minter(ring, issuer=ISSUER, clock=lambda: an_hour_ago)
    return [("X-Passport", old.mint("alice", audience=AUDIENCE))]


INVALID: dict[str, tuple[MakeHeaders, str]] = {
    "malformed": (lambda ring, mint: [("X-Passport", "not-a-passport")], "malformed_token"),
    "not text": (lambda ring, mint: [("X-Passport", b"\xff\xfe.\xe9.x")], "malformed_token"),
    "oversized": (lambda ring, mint: [("X-Passport", "a" * 9000)], "token_too_large"),
    "expired": (_expired, "token_expired"),
    "wrong audience": (
        lambda ring, mint: [("X-Passport", mint("alice", audience="billing"))],
        "invalid_audience",
    ),
    "foreign key": (_foreign, "unknown_kid"),
    "tampered": (lambda ring, mint: [("X-Passport", mint()[:-4] + "AAAA")], "bad_signature"),
    "duplicate header": (
        lambda ring, mint: [("X-Passport", mint("alice")), ("X-Passport", mint("bob"))],
        "duplicate_token",
    ),
    "folded duplicate": (
        lambda ring, mint: [("X-Passport", f"{mint('alice')}, {mint('bob')}")],
        "duplicate_token",
    ),
}


@pytest.mark.parametrize("case", INVALID, ids=str)
@pytest.mark.parametrize("path", ["/me", "/me-sync", "/maybe", "/admin", "/orders/list"])
def test_invalid_passport_is_401_invalid_token(
    client: TestClient, ring: KeyRing, mint: Mint, case: str, path: str
) -> None:
    make_headers, code = INVALID[case]
    headers = make_headers(ring, mint)
    response = client.get(path, headers=headers)
    assert_problem(response, 401, code, *(v for _, v in headers if isinstance(v, str)))
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_route_without_passport_dependency_ignores_the_header(client: TestClient) -> None:
    response = client.get("/public", headers={"X-Passport": "not-a-passport"})
    assert response.status_code == 200
    assert response.json() == {"current": None}


def test_realm_is_part_of_the_challenge(make_app: AppFactory) -> None:
    with TestClient(make_app(realm="orders")) as client:
        response = client.get("/me")
    assert response.headers["www-authenticate"] == 'Bearer realm="orders"'


def test_custom_header_is_read(make_app: AppFactory, mint: Mint) -> None:
    with TestClient(make_app(header="X-Internal-Passport")) as client:
        assert client.get("/me", headers={"X-Internal-Passport": mint()}).status_code == 200
        default = client.get("/me", headers={"X-Passport": mint()})
    assert_problem(default, 401, "missing_token")


@pytest.fixture
def bearer_client(make_app: AppFactory) -> TestClient:
    return TestClient(make_app(header=None, bearer=True))


def test_bearer_mode_reads_the_authorization_header(bearer_client: TestClient, mint: Mint) -> None:
    response = bearer_client.get("/me", headers={"Authorization": f"Bearer {mint('carol')}"})
    assert response.json()["sub"] == "carol"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"X-Passport": "__token__"}, "missing_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing_token"),
        ({"Authorization": "Bearer"}, "malformed_token"),
        ({"Authorization": "Bearer a b"}, "malformed_token"),
        ({"Authorization": "Bearer not-a-passport"}, "malformed_token"),
    ],
)
def test_bearer_mode_refusals(
    bearer_client: TestClient, mint: Mint, headers: dict[str, str], code: str
) -> None:
    token = mint()
    sent = {name: value.replace("__token__", token) for name, value in headers.items()}
    assert_problem(bearer_client.get("/me", headers=sent), 401, code, token)


def test_header_and_bearer_together_accept_either_but_not_both(
    make_app: AppFactory, mint: Mint
) -> None:
    token = mint("dave")
    with TestClient(make_app(bearer=True)) as client:
        assert client.get("/me", headers={"X-Passport": token}).json()["sub"] == "dave"
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/me", headers=bearer).json()["sub"] == "dave"
        both = client.get("/me", headers={"X-Passport": token, **bearer})
    assert_problem(both, 401, "duplicate_token", token)


def test_a_route_asking_for_both_dependencies_verifies_once(
    make_app: AppFactory, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()

    @app.get("/both", dependencies=[Depends(require_role("clerk"))])
    async def both(found: PassportDep, maybe: OptionalPassportDep) -> dict[str, object]:
        return {"same": found is maybe, "sub": found.subject}

    gate = installed(app).gate
    calls: list[int] = []
    real = gate.aauthenticate

    async def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gate, "aauthenticate", counting)
    with TestClient(app) as client:
        response = client.get("/both", headers={"X-Passport": mint("alice", roles=["clerk"])})
    assert response.json() == {"same": True, "sub": "alice"}
    assert len(calls) == 1
