"""Nothing is verified until a view asks; where one asks, every bad passport is still refused;
the settings are built once for every thread; a request never sees the previous one's passport."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from passport_core import Gate, get_passport
from passport_django import PassportMiddleware
from passport_django.conf import conf
from tests.django.conftest import Mint
from tests.django.test_servers import QuietHandler
from tests.servers import in_thread

#: headers that no view asking for a passport may accept
GARBAGE: dict[str, dict[str, str]] = {
    "garbage passport": {"X-Passport": "garbage"},
    "garbage bearer": {"Authorization": "Bearer garbage"},
    "three dots": {"X-Passport": "a.b.c"},
    "folded twice": {"X-Passport": "a.b.c, d.e.f"},
    "bearer and header": {"X-Passport": "a.b.c", "Authorization": "Bearer d.e.f"},
}

GUARDED = ["optional", "required", "role", "scope", "permission", "policy"]


@pytest.fixture
def bearer(passport_settings: dict[str, Any]) -> Iterator[None]:
    """The service reads ``X-Passport`` and ``Authorization: Bearer`` both."""
    with override_settings(PASSPORT={**passport_settings, "BEARER": True}):
        yield


@pytest.mark.usefixtures("bearer")
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", list(GARBAGE))
def test_a_view_that_never_looks_answers_200_and_verifies_nothing(
    case: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="passport_core"):
        response = Client().get(f"/{mode}/silent/", headers=GARBAGE[case])
    assert (response.status_code, response.json()) == (200, {"context": None})
    assert "passport refused" not in caplog.text  # the gate was never asked


@pytest.mark.usefixtures("bearer")
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", list(GARBAGE))
@pytest.mark.parametrize("guard", GUARDED)
def test_every_guard_refuses_them_with_401(case: str, mode: str, guard: str) -> None:
    response = Client().get(f"/{mode}/{guard}/", headers=GARBAGE[case])
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.usefixtures("bearer")
@pytest.mark.parametrize("case", list(GARBAGE))
@pytest.mark.parametrize(
    "path", ["/sync/open/", "/cbv/any/", "/drf/whoami/", "/group/any/", "/boom/"]
)
def test_a_view_reading_the_passport_a_mixin_drf_or_a_group_refuses_them(
    case: str, path: str
) -> None:
    assert Client().get(path, headers=GARBAGE[case]).status_code == 401


def test_threads_starting_together_share_one_gate() -> None:
    conf.reload()
    barrier = threading.Barrier(8)
    gates: list[Gate] = []

    def first_request() -> None:
        barrier.wait(timeout=5)
        gates.append(conf.gate)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(gates) == 8
    assert all(gate is gates[0] for gate in gates)
    assert conf.gate is gates[0]  # and it is the one kept


def test_a_gate_built_before_a_reload_is_not_kept(passport_settings: dict[str, Any]) -> None:
    before = conf.gate
    with override_settings(PASSPORT={**passport_settings, "LEEWAY": 7}):
        assert conf.gate is not before
        assert conf.config.leeway == 7
    assert conf.gate is not before  # rebuilt from the restored setting


def test_one_thread_serving_request_after_request_never_leaks_a_passport(mint: Mint) -> None:
    # Like gunicorn's sync worker: one thread serves every request, one after the other.
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=WSGIServer, handler_class=QuietHandler
    )
    alice, bob = mint("alice"), mint("bob", roles=["admin"])
    with in_thread(server) as url, httpx.Client(base_url=url, timeout=5) as http:
        for _ in range(3):
            assert http.get("/sync/required/", headers={"X-Passport": alice}).json()["context"] == (
                "alice"
            )
            assert http.get("/sync/silent/", headers={"X-Passport": alice}).json() == {
                "context": None
            }
            assert http.get("/sync/optional/").json()["context"] is None
            assert http.get("/sync/required/", headers={"X-Passport": "garbage"}).status_code == 401
            assert http.get("/async/silent/").json() == {"context": None}
            assert http.get("/async/role/", headers={"X-Passport": bob}).json()["context"] == "bob"
            assert http.get("/sync/silent/").json() == {"context": None}
            assert http.get("/async/optional/").json()["context"] is None
    assert get_passport() is None


def test_the_lazy_passport_copies_as_django_s_own_lazy_object(mint: Mint) -> None:
    """Built without Django's ``__init__``, it still copies before and after it is read."""
    seen: list[Any] = []

    def view(request: Any) -> HttpResponse:
        unread = copy.copy(request.passport)  # SimpleLazyObject.__copy__: a new lazy object
        seen.append(unread.subject)
        seen.append(copy.copy(request.passport).subject)  # read: a copy of the passport
        return HttpResponse()

    PassportMiddleware(view)(RequestFactory().get("/", headers={"X-Passport": mint("alice")}))
    assert seen == ["alice", "alice"]
