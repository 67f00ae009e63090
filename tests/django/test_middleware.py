"""PassportMiddleware: optional verification, request.passport/user, context, every 401."""

from __future__ import annotations

import asyncio
import gc
import json
import time
import weakref
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils.functional import SimpleLazyObject

from passport_core import InvalidProof, KeyRing, Minter, PassportError, get_passport
from passport_django import PassportMiddleware, arequest_passport, request_passport
from passport_django.conf import conf
from passport_django.middleware import RequestPassport
from tests.django import settings as test_settings
from tests.django import views
from tests.django.conftest import Get, Mint


def assert_problem(
    response: HttpResponse, status: int, code: str, token: str | None = None
) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    if token:
        assert token not in response.content.decode()
        assert token not in response.get("WWW-Authenticate", "")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_request_without_passport_reaches_an_open_view_with_none(get: Get, mode: str) -> None:
    response = get(f"/{mode}/open/")
    assert response.status_code == 200
    assert response.json() == {
        "subject": None,
        "context": None,
        "user": "AnonymousUser",
        "authenticated": False,
        "user_type": "AnonymousUser",
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_valid_passport_is_on_the_request_in_the_context_and_is_the_user(
    get: Get, mint: Mint, mode: str
) -> None:
    response = get(f"/{mode}/open/", mint("alice"))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "alice",
        "context": "alice",
        "user": "alice",
        "authenticated": True,
        "user_type": "PassportUser",
    }


def _expired(minter: Minter) -> str:
    past = Minter(test_settings.ring, issuer=test_settings.issuer, clock=lambda: time.time() - 3600)
    return past.mint("alice", audience=test_settings.audience)


BAD_PASSPORTS: dict[str, tuple[Any, str]] = {
    "malformed": (lambda m: "not-a-passport", "malformed_token"),
    "expired": (_expired, "token_expired"),
    "wrong audience": (lambda m: m.mint("alice", audience="billing"), "invalid_audience"),
    "unknown key": (
        lambda m: Minter(KeyRing.generate(), issuer=test_settings.issuer).mint(
            "alice", audience=test_settings.audience
        ),
        "unknown_kid",
    ),
    "wrong issuer": (
        lambda m: Minter(test_settings.ring, issuer="https://evil.test").mint(
            "alice", audience=test_settings.audience
        ),
        "invalid_issuer",
    ),
    "tampered": (
        lambda m: m.mint("alice", audience=test_settings.audience)[:-4] + "AAAA",
        "bad_signature",
    ),
    "sent twice": (
        lambda m: (
            m.mint("alice", audience=test_settings.audience)
            + ", "
            + m.mint("bob", audience=test_settings.audience)
        ),
        "duplicate_token",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PASSPORTS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_present_but_invalid_passport_is_refused_where_a_view_reads_it(
    get: Get, minter: Minter, case: str, mode: str
) -> None:
    make, code = BAD_PASSPORTS[case]
    token = make(minter)
    response = get(f"/{mode}/open/", token)
    assert_problem(response, 401, code, token)
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_bearer_mode_reads_authorization_and_refuses_two_passports(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    token = mint("alice")
    with override_settings(PASSPORT={**passport_settings, "BEARER": True}):
        ok = get("/sync/open/", headers={"Authorization": f"Bearer {token}"})
        assert ok.json()["subject"] == "alice"
        other_scheme = get("/sync/open/", headers={"Authorization": "Basic dXNlcjpwdw=="})
        assert other_scheme.json()["subject"] is None
        both = get("/sync/open/", token, headers={"Authorization": f"Bearer {mint('bob')}"})
        assert_problem(both, 401, "duplicate_token", token)
        empty = get("/sync/open/", headers={"Authorization": "Bearer "})
        assert_problem(empty, 401, "malformed_token")


def test_without_bearer_mode_authorization_is_not_read(get: Get, mint: Mint) -> None:
    response = get("/sync/open/", headers={"Authorization": f"Bearer {mint('alice')}"})
    assert response.json()["subject"] is None


def test_bearer_only_mode_ignores_the_passport_header(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    with override_settings(PASSPORT={**passport_settings, "HEADER": None, "BEARER": True}):
        assert get("/sync/open/", mint("alice")).json()["subject"] is None


def test_a_custom_header_name_is_read(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    with override_settings(PASSPORT={**passport_settings, "HEADER": "X-Service-Passport"}):
        response = get("/sync/open/", headers={"X-Service-Passport": mint("alice")})
    assert response.json()["subject"] == "alice"


def test_broken_settings_answer_500_without_saying_why(
    get: Get, mint: Mint, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(PASSPORT={"AUDIENCE": "orders"}):
        response = get("/sync/open/", mint())
    assert_problem(response, 500, "configuration_error")
    assert response.json()["detail"] == "Internal Server Error"
    assert 'no PASSPORT["ISSUER"]' in caplog.text  # in the terms of Django settings


def test_unreachable_keys_answer_503_with_retry_after(
    get: Get, mint: Mint, passport_settings: dict[str, Any]
) -> None:
    del passport_settings["JWKS"]
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    with override_settings(PASSPORT={**passport_settings, "JWKS_URL": "http://127.0.0.1:9/jwks"}):
        response = get("/sync/open/", mint())
    assert_problem(response, 503, "keys_unavailable")
    assert response["Retry-After"] == "5"


def test_the_context_is_reset_after_the_request(client: Client, mint: Mint) -> None:
    assert client.get("/sync/open/", headers={"X-Passport": mint()}).json()["context"] == "alice"
    assert get_passport() is None


def test_the_context_is_reset_when_the_view_raises(mint: Mint) -> None:
    views.seen.clear()
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", headers={"X-Passport": mint("carol")})
    assert response.status_code == 500
    assert views.seen == ["carol"]
    assert get_passport() is None


def _get_request(token: str) -> HttpRequest:
    return RequestFactory().get("/", headers={"X-Passport": token})


def test_the_middleware_resets_the_context_when_the_next_handler_raises(mint: Mint) -> None:
    seen = []

    def failing(request: HttpRequest) -> HttpResponse:
        request_passport(request)  # the view looks: verified and made current
        seen.append(get_passport())
        raise RuntimeError("downstream failed")

    middleware = PassportMiddleware(failing)
    with pytest.raises(RuntimeError, match="downstream failed"):
        middleware(_get_request(mint("dave")))
    assert [p.subject for p in seen if p] == ["dave"]
    assert get_passport() is None


def test_the_async_middleware_resets_the_context_when_the_next_handler_raises(mint: Mint) -> None:
    seen = []

    async def failing(request: HttpRequest) -> HttpResponse:
        await arequest_passport(request)
        seen.append(get_passport())
        raise RuntimeError("downstream failed")

    middleware = PassportMiddleware(failing)
    assert iscoroutinefunction(middleware)

    async def scenario() -> None:
        with pytest.raises(RuntimeError, match="downstream failed"):
            await middleware(_get_request(mint("erin")))
        assert get_passport() is None

    asyncio.run(scenario())
    assert [p.subject for p in seen if p] == ["erin"]


def test_the_middleware_follows_the_mode_of_the_next_handler() -> None:
    async def async_next(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert PassportMiddleware.sync_capable
    assert PassportMiddleware.async_capable
    assert iscoroutinefunction(PassportMiddleware(async_next))
    assert not iscoroutinefunction(PassportMiddleware(lambda request: HttpResponse()))


# -- the lazy rule: verified where a view looks, nowhere else -----------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_view_that_never_looks_ignores_a_forged_passport(get: Get, mode: str) -> None:
    response = get(f"/{mode}/silent/", "forged.passport.token")
    assert response.status_code == 200
    assert response.json() == {"context": None}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_open_views_pay_no_verification(
    get: Get, mint: Mint, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    gate = conf.gate
    monkeypatch.setattr(gate, "authenticate", lambda *a, **k: calls.append("sync"))
    monkeypatch.setattr(gate, "aauthenticate", lambda *a, **k: calls.append("async"))
    assert get(f"/{mode}/silent/", mint()).status_code == 200
    assert calls == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_request_user_is_the_passports_user_and_never_a_refusal(
    get: Get, mint: Mint, mode: str
) -> None:
    assert get(f"/{mode}/user-only/", mint("alice")).json() == {
        "user": "alice",
        "type": "PassportUser",
    }
    for sent in (None, "forged.passport.token"):
        answer = get(f"/{mode}/user-only/", sent)
        assert answer.status_code == 200
        assert answer.json()["type"] == "AnonymousUser"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_optional_view_lets_none_in_and_refuses_a_forged_one(
    get: Get, mint: Mint, mode: str
) -> None:
    assert get(f"/{mode}/optional/").json()["subject"] is None
    assert get(f"/{mode}/optional/", mint("alice")).json()["context"] == "alice"
    assert_problem(get(f"/{mode}/optional/", "forged"), 401, "malformed_token", "forged")


def test_the_passport_is_verified_once_per_request(
    mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = conf.gate
    real = gate.authenticate
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gate, "authenticate", counting)
    request = _get_request(mint("frank"))

    def view(request: HttpRequest) -> HttpResponse:
        assert request_passport(request) is request_passport(request)
        assert request.passport.subject == "frank"  # type: ignore[attr-defined]
        return HttpResponse()

    PassportMiddleware(view)(request)
    assert calls == [1]
    assert get_passport() is None


def test_async_views_verify_without_the_sync_path(
    mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conf.gate, "authenticate", lambda *a, **k: pytest.fail("blocking path"))

    async def view(request: HttpRequest) -> HttpResponse:
        passport = await request.apassport()  # type: ignore[attr-defined]
        assert passport is not None
        assert get_passport() is passport
        return HttpResponse(passport.subject)

    response = asyncio.run(PassportMiddleware(view)(_get_request(mint("gina"))))  # type: ignore[arg-type]
    assert response.content == b"gina"
    assert get_passport() is None


@pytest.mark.parametrize(
    ("headers", "absent"),
    [({}, True), ({"X-Passport": ""}, True), ({"X-Passport": "forged.not.valid"}, False)],
)
def test_request_passport_is_none_exactly_when_none_was_sent(
    headers: dict[str, str], absent: bool
) -> None:
    seen: list[Any] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.passport)  # type: ignore[attr-defined]
        return HttpResponse("ok")

    response = PassportMiddleware(view)(RequestFactory().get("/", headers=headers))
    assert response.status_code == 200  # an open view that never reads it pays nothing
    assert (seen[0] is None) is absent


def test_reading_a_forged_passport_is_a_401_not_a_silent_none() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(bool(request.passport)))  # type: ignore[attr-defined]

    middleware = PassportMiddleware(view)
    request = RequestFactory().get("/", headers={"X-Passport": "forged.not.valid"})
    with pytest.raises(PassportError) as refused:
        middleware(request)
    assert_problem(middleware.process_exception(request, refused.value), 401, "malformed_token")


def test_auser_without_djangos_auser_resolves_the_lazy_user_off_the_event_loop() -> None:
    # Django 4.2 (the floor) has no request.auser(): the middleware's auser() falls back to
    # request.user, a lazy object whose first use reads the session and the database.
    loop_threads: list[bool] = []

    def load_user() -> str:
        try:
            asyncio.get_running_loop()
            loop_threads.append(True)
        except RuntimeError:
            loop_threads.append(False)
        return "django-user"

    state = RequestPassport(RequestFactory().get("/"))
    user = asyncio.run(state.auser(None, SimpleLazyObject(load_user)))
    assert user == "django-user"
    assert type(user) is str  # resolved, as Django's own auser() returns it
    assert loop_threads == [False]


def test_a_passport_verified_after_the_middleware_returned_does_not_leak_into_the_next_request(
    client: Client, mint: Mint
) -> None:
    # An outer middleware touching request.user after the response verifies the passport
    # once PassportMiddleware has reset the context: nothing may stay current for the
    # next request that thread serves (a worker thread serves many requests).
    middleware = [
        "tests.django.views.TouchesUserAfterResponse",
        *test_settings.MIDDLEWARE,
    ]
    with override_settings(MIDDLEWARE=middleware):
        assert client.get("/sync/silent/", headers={"X-Passport": mint("alice")}).json() == {
            "context": None
        }
        assert get_passport() is None
        assert client.get("/sync/silent/").json() == {"context": None}


def test_a_request_is_freed_by_reference_counting_and_its_target_then_refuses() -> None:
    request = RequestFactory().get("/items")
    state = RequestPassport(request)
    request._passport_django_state = state  # as the middleware keeps it
    alive = weakref.ref(request)
    gc.disable()
    try:
        del request
        assert alive() is None  # no cycle through its passport state
    finally:
        gc.enable()
    with pytest.raises(InvalidProof):
        state.target()  # no request left for a DPoP proof to match


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_passport_first_read_after_its_request_was_freed_still_verifies(
    mint: Mint, mode: str
) -> None:
    """A task that kept ``request.apassport`` past the request: the headers it came with are
    kept, so an unbound passport still verifies (only a DPoP proof needs the request)."""
    request = RequestFactory().get("/", headers={"X-Passport": mint("alice")})
    state = RequestPassport(request)
    del request
    found = state.get() if mode == "sync" else asyncio.run(state.aget())
    assert found is not None
    assert found.subject == "alice"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_broken_settings_are_one_outcome_for_the_whole_request(
    mint: Mint, passport_settings: dict[str, Any], mode: str
) -> None:
    """Every access of one request agrees with the first, broken settings included: a
    request that found them broken does not verify after they were mended."""
    request = RequestFactory().get("/", headers={"X-Passport": mint("alice")})
    state = RequestPassport(request)
    read = state.get if mode == "sync" else lambda: asyncio.run(state.aget())
    broken = {key: value for key, value in passport_settings.items() if key != "ISSUER"}
    with override_settings(PASSPORT=broken), pytest.raises(PassportError) as first:
        read()
    assert first.value.status == 500
    with pytest.raises(PassportError) as again:
        read()  # the test settings again: valid, and this passport verifies under them
    assert again.value is first.value
    assert RequestPassport(request).get() is not None  # a new request does verify
