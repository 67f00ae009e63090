"""Every adapter answers the same input the same way: status, challenge, body, forwarding.

Each test runs once per adapter (the ``send`` fixture). Expected refusals are
not written out by hand: they are what core itself says for the same headers
(:class:`passport_core.PassportGate` and :func:`passport_core.problem_response`),
so an adapter that maps an error its own way fails here. New features add
their cases to these tables once.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from passport_core import (
    JWKS_CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    PROBLEM_CONTENT_TYPE,
    KeysUnavailable,
    Minter,
    PassportConfig,
    PassportError,
    generate_key,
    problem_response,
    require_role,
)
from tests.conformance.apps import AUDIENCE, ISSUER, RING, SETTINGS
from tests.conformance.conftest import Answer, Headers, Send, serving
from tests.servers import RunningServer

MINTER = Minter(RING, issuer=ISSUER)
GATE = PassportConfig.from_mapping(SETTINGS).build_gate()


def _valid(subject: str = "alice", **claims: Any) -> str:
    return MINTER.mint(subject, audience=AUDIENCE, **claims)


def _expired() -> str:
    past = Minter(RING, issuer=ISSUER, clock=lambda: time.time() - 3600)
    return past.mint("alice", audience=AUDIENCE)


def _forged() -> str:
    """Signed by an attacker's key that claims the real key's ``kid``."""
    impostor = generate_key("EdDSA", kid=RING.active.kid)
    return Minter(impostor, issuer=ISSUER).mint("mallory", audience=AUDIENCE, roles=["admin"])


def _wrong_issuer() -> str:
    return Minter(RING, issuer="https://evil.test").mint("alice", audience=AUDIENCE)


def _one(token: str) -> Headers:
    return [("X-Passport", token)]


#: case -> (the headers of a request refused on a required route, the code core gives)
REFUSED: dict[str, tuple[Callable[[], Headers], str]] = {
    "no passport": (lambda: [], "missing_token"),
    "malformed": (lambda: _one("not-a-passport"), "malformed_token"),
    "bad signature": (lambda: _one(_forged()), "bad_signature"),
    "expired": (lambda: _one(_expired()), "token_expired"),
    "wrong audience": (lambda: _one(MINTER.mint("alice", audience="billing")), "invalid_audience"),
    "wrong issuer": (lambda: _one(_wrong_issuer()), "invalid_issuer"),
    "duplicate header": (
        lambda: [("X-Passport", _valid()), ("X-Passport", _valid("bob"))],
        "duplicate_token",
    ),
    "oversize": (lambda: _one("e" * 9000), "token_too_large"),
}


def _getter(headers: Headers) -> Callable[[str], list[str]]:
    def get(name: str) -> list[str]:
        return [value for key, value in headers if key.lower() == name.lower()]

    return get


def core_refusal(headers: Headers, *, required: bool = True) -> PassportError:
    """The error core itself raises for these headers."""
    try:
        GATE.authenticate(_getter(headers), required=required)
    except PassportError as error:
        return error
    raise AssertionError("core accepts these headers")


def assert_core_answer(answer: Answer, error: PassportError) -> None:
    """The answer is core's problem response for ``error``, to the byte of its body."""
    expected = problem_response(error)
    assert answer.status == expected.status
    assert answer.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers.get("www-authenticate") == expected.headers.get("WWW-Authenticate")
    assert answer.json() == expected.body


#: a route that requires a passport, and one that also requires the role "admin": each
#: protected per route, and by route group (FastAPI PassportRoute, Flask protect, Django
#: protect_urls)
REQUIRED_ROUTES = ["/required", "/group/required"]
ADMIN_ROUTES = ["/admin", "/group/admin"]


@pytest.mark.parametrize("route", REQUIRED_ROUTES)
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_required_route_refuses_like_core(send: Send, case: str, route: str) -> None:
    make, code = REFUSED[case]
    headers = make()
    error = core_refusal(headers)
    assert error.code == code
    answer = send(route, headers)
    assert answer.status == 401
    assert answer.json()["code"] == code
    assert_core_answer(answer, error)
    for _, token in headers:
        assert token not in answer.content.decode()
        assert token not in answer.headers.get("www-authenticate", "")


@pytest.mark.parametrize("route", REQUIRED_ROUTES)
def test_a_valid_passport_reaches_the_route(send: Send, route: str) -> None:
    answer = send(route, _one(_valid("alice")))
    assert (answer.status, answer.json()) == (200, {"subject": "alice"})


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_a_passport_without_the_role_is_403_insufficient_scope(send: Send, route: str) -> None:
    token = _valid("bob", roles=["viewer"])
    answer = send(route, _one(token))
    denied = GATE.authenticate(_getter(_one(token)))
    assert denied is not None
    with pytest.raises(PassportError) as caught:
        require_role("admin").check(denied)
    assert_core_answer(answer, caught.value)
    assert answer.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
    assert send(route, _one(_valid("carol", roles=["admin"]))).json() == {"subject": "carol"}


def test_an_optional_route_without_a_passport_is_anonymous(send: Send) -> None:
    answer = send("/optional", [])
    assert (answer.status, answer.json()) == (200, {"subject": None})
    assert send("/optional", _one(_valid("dave"))).json() == {"subject": "dave"}


@pytest.mark.parametrize("case", [case for case in REFUSED if case != "no passport"])
def test_an_optional_route_refuses_a_bad_passport(send: Send, case: str) -> None:
    # optional means "may be absent", never "may be forged"
    headers = REFUSED[case][0]()
    answer = send("/optional", headers)
    assert answer.status == 401
    assert_core_answer(answer, core_refusal(headers, required=False))


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_open_route_never_looks(send: Send, case: str) -> None:
    answer = send("/open", REFUSED[case][0]())
    assert (answer.status, answer.json()) == (200, {"open": True})


@pytest.fixture
def send_keys_down(adapter: str) -> Iterator[Send]:
    """The same service, its keys at a URL where nothing listens (a key server down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {name: value for name, value in SETTINGS.items() if name != "jwks"}
    settings |= {"jwks_url": f"http://127.0.0.1:{port}/jwks.json", "jwks_options": {"timeout": 1}}
    with serving(adapter, settings) as sender:
        yield sender


@pytest.mark.parametrize("route", [*REQUIRED_ROUTES, "/optional", *ADMIN_ROUTES])
def test_keys_that_cannot_be_fetched_are_a_503_like_core(send_keys_down: Send, route: str) -> None:
    # the service could not check: 503 keys_unavailable with Retry-After, never a 401
    answer = send_keys_down(route, _one(_valid("alice", roles=["admin"])))
    expected = problem_response(KeysUnavailable())
    assert answer.status == 503
    assert answer.json()["code"] == "keys_unavailable"
    assert_core_answer(answer, KeysUnavailable())
    assert answer.headers["retry-after"] == expected.headers["Retry-After"]
    # an open route still never looks, and a missing passport is still a plain 401
    assert send_keys_down("/open", _one(_valid())).status == 200
    assert send_keys_down(route, []).status == (401 if route != "/optional" else 200)


def test_the_published_jwks(send: Send) -> None:
    answer = send(JWKS_PATH, [])
    assert answer.status == 200
    assert answer.headers["content-type"] == JWKS_CONTENT_TYPE
    assert answer.headers["cache-control"] == JWKS_CACHE_CONTROL
    assert answer.json() == RING.public_jwks()


def test_the_passport_is_forwarded_to_an_allowed_host_only(send: Send, echo: RunningServer) -> None:
    token = _valid("erin")
    allowed = send(f"/forward?url={echo.url}/x", _one(token))
    assert allowed.status == 200
    assert allowed.json()["x-passport"] == token
    # the same server, by a name that is not on the allow-list
    stranger = send(f"/forward?url=http://localhost:{echo.port}/x", _one(token))
    assert stranger.status == 200
    assert "x-passport" not in stranger.json()
    assert "x-passport" not in send(f"/forward?url={echo.url}/x", []).json()
