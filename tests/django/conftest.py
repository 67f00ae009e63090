"""pytest-django for this folder only: settings come from ``tests/django/settings.py``.

Nothing is set globally (no DJANGO_SETTINGS_MODULE): ``pytest_configure`` here
runs when pytest loads this folder and calls ``settings.configure()``, which
pytest-django documents as the alternative to a settings module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import pytest
from django.http import HttpResponse
from django.test import AsyncClient, Client

from passport_core import Minter
from tests.django import settings as test_settings

Mint = Callable[..., str]


def pytest_configure(config: pytest.Config) -> None:
    test_settings.configure()


@pytest.fixture
def minter() -> Minter:
    return Minter(test_settings.ring, issuer=test_settings.issuer)


@pytest.fixture
def mint(minter: Minter) -> Mint:
    """A passport for this service: ``mint("alice", roles=["admin"])``."""

    def make(subject: str = "alice", **options: Any) -> str:
        options.setdefault("audience", test_settings.audience)
        return minter.mint(subject, **options)

    return make


@pytest.fixture
def passport_settings() -> dict[str, Any]:
    """A copy of the test PASSPORT setting, to change and apply with ``override_settings``."""
    return dict(test_settings.PASSPORT)


class Get(Protocol):
    def __call__(
        self, path: str, token: str | None = None, headers: dict[str, str] | None = None
    ) -> HttpResponse: ...


@pytest.fixture(params=["wsgi", "asgi"])
def get(request: pytest.FixtureRequest, client: Client, async_client: AsyncClient) -> Get:
    """GET through Django's sync stack (Client) or its async one (AsyncClient)."""

    def send(
        path: str, token: str | None = None, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["X-Passport"] = token
        if request.param == "wsgi":
            response: HttpResponse = client.get(path, headers=all_headers)
            return response
        answer: HttpResponse = asyncio.run(async_client.get(path, headers=all_headers))
        return answer

    return send


@pytest.fixture(autouse=True)
def _no_passport_leaks(no_passport_leaks: None) -> None:
    """Every test starts and must end without a current passport."""
