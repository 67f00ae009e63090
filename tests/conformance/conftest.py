"""One client fixture over every adapter; each test runs once per adapter.

``adapter`` is ``fastapi``, ``flask``, ``django`` (sync views through the WSGI
stack), ``django-async`` (async views through the ASGI stack) or ``drf``. A
new feature adds its cases to ``test_conformance.py`` once; they then hold for
every adapter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import AsyncClient, Client, override_settings

from tests.conformance import apps
from tests.django import settings as django_settings
from tests.fastapi.testapp import TestClient  # imported once, quietly, for every Starlette
from tests.servers import RunningServer, serve

ADAPTERS = ["fastapi", "flask", "django", "django-async", "drf"]

#: headers as sent on the wire: a name may repeat
Headers = Sequence[tuple[str, str]]


def pytest_configure(config: pytest.Config) -> None:
    # The process has one Django configuration; the conformance app overrides what it needs.
    django_settings.configure()


@dataclass(frozen=True)
class Answer:
    """What any adapter answered, in one shape."""

    status: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


Send = Callable[[str, Headers], Answer]


def _folded(headers: Headers) -> dict[str, str]:
    # What a WSGI/ASGI server hands Django for a repeated header: one comma-joined value.
    folded: dict[str, str] = {}
    for name, value in headers:
        folded[name] = f"{folded[name]}, {value}" if name in folded else value
    return folded


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


def _django(path: str, headers: Headers, *, asgi: bool) -> Answer:
    if asgi:
        response = asyncio.run(AsyncClient().get(path, headers=_folded(headers)))
    else:
        response = Client().get(path, headers=_folded(headers))
    return Answer(response.status_code, _lower(response.items()), response.content)


@pytest.fixture(scope="session")
def echo() -> Iterator[RunningServer]:
    """An echo server on 127.0.0.1 (on every service's allow-list, unlike ``localhost``)."""
    with serve() as server:
        yield server


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@contextmanager
def serving(adapter: str, settings: Mapping[str, Any]) -> Iterator[Send]:
    """``send(path, headers)``: a GET to ``adapter``'s conformance service, set up with
    ``settings`` (core's names; each adapter gets them spelled its own way)."""
    if adapter == "fastapi":
        with TestClient(apps.fastapi_app(settings)) as client:

            def to_fastapi(path: str, headers: Headers) -> Answer:
                response = client.get(path, headers=list(headers))
                return Answer(
                    response.status_code, _lower(response.headers.items()), response.content
                )

            yield to_fastapi
        return
    if adapter == "flask":
        flask_client = apps.flask_app(settings).test_client()

        def to_flask(path: str, headers: Headers) -> Answer:
            response = flask_client.get(path, headers=list(headers))
            return Answer(response.status_code, _lower(response.headers.items()), response.data)

        yield to_flask
        return
    prefix = {"django": "", "django-async": "/async", "drf": "/drf"}[adapter]
    passport = {name.upper(): value for name, value in settings.items()}
    with override_settings(PASSPORT=passport, ROOT_URLCONF="tests.conformance.django_urls"):

        def to_django(path: str, headers: Headers) -> Answer:
            return _django(prefix + path, headers, asgi=adapter == "django-async")

        yield to_django


@pytest.fixture
def send(adapter: str) -> Iterator[Send]:
    """``send(path, headers)``: a GET to the adapter's conformance service."""
    with serving(adapter, apps.SETTINGS) as sender:
        yield sender


@pytest.fixture(autouse=True)
def _no_passport_leaks(no_passport_leaks: None) -> None:
    """No adapter leaves a passport current after a request."""
