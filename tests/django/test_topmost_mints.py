"""Django as the topmost service: ``PASSPORT["EDGE"] = "module:attribute"``.

Sync views go through the WSGI stack (``Edge.mint``), async views through the
ASGI stack, where ``request.apassport()`` mints with ``Edge.amint``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from django.core.checks import run_checks
from django.test import AsyncClient, Client, override_settings

from passport_core import ConfigurationError
from passport_django.conf import conf
from tests.conformance.test_conformance import _valid
from tests.topmost import RecordingAuthenticator, recording_edge

EDGE, RECORDER = recording_edge()


@pytest.fixture
def recorder() -> Iterator[RecordingAuthenticator]:
    with override_settings(
        PASSPORT={"EDGE": "tests.django.test_topmost_mints:EDGE"},
        ROOT_URLCONF="tests.conformance.django_urls",
    ):
        EDGE.drop(subject="alice")
        RECORDER.calls.clear()
        yield RECORDER


def test_sync_views_see_the_minted_passport_and_never_the_sent_one(
    recorder: RecordingAuthenticator,
) -> None:
    smuggled = _valid("mallory", roles=["admin"])
    client = Client()
    answer = client.get("/required", headers={"X-API-Key": "key-alice", "X-Passport": smuggled})
    assert (answer.status_code, answer.json()) == (200, {"subject": "alice"})
    assert client.get("/optional", headers={"X-Passport": smuggled}).json() == {"subject": None}
    refused = client.get("/admin", headers={"X-API-Key": "key-alice", "X-Passport": smuggled})
    assert refused.status_code == 403
    assert recorder.calls == ["sync"]  # the second request came from the mint cache


def test_async_views_mint_without_blocking_the_event_loop(
    recorder: RecordingAuthenticator,
) -> None:
    answer = asyncio.run(AsyncClient().get("/async/required", headers={"X-API-Key": "key-alice"}))
    assert (answer.status_code, answer.json()) == (200, {"subject": "alice"})
    assert recorder.calls == ["async"]
    missing = asyncio.run(AsyncClient().get("/async/required"))
    assert (missing.status_code, missing.json()["code"]) == (401, "missing_credential")


def test_drf_answers_missing_credential_too(recorder: RecordingAuthenticator) -> None:
    answer = Client().get("/drf/required")
    assert (answer.status_code, answer.json()["code"]) == (401, "missing_credential")
    assert Client().get("/drf/required", headers={"X-API-Key": "key-alice"}).status_code == 200


@pytest.mark.parametrize(
    "path", ["tests.django.test_topmost_mints", "tests.django.nowhere:EDGE", "json:dumps"]
)
def test_an_edge_path_that_names_no_edge_is_refused_naming_the_setting(path: str) -> None:
    with override_settings(PASSPORT={"EDGE": path}):
        with pytest.raises(ConfigurationError, match=r'PASSPORT\["EDGE"\]'):
            _ = conf.gate
        assert any(message.id.startswith("passport_django") for message in run_checks())
