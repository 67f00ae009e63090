"""System checks: every misconfiguration has a stable id and a hint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.test import override_settings
from pytest_django import Settings

from passport_django import PassportMiddleware

PASSPORT_MW = "passport_django.middleware.PassportMiddleware"
AUTH_MW = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION_MW = "django.contrib.sessions.middleware.SessionMiddleware"


class CustomPassportMiddleware(PassportMiddleware):
    """A project's own subclass still counts as the middleware."""


def passport_messages() -> list[CheckMessage]:
    return [m for m in run_checks() if str(m.id).startswith("passport_django.")]


def ids() -> list[str]:
    return [str(m.id) for m in passport_messages()]


def test_a_correct_configuration_passes_every_check() -> None:
    assert passport_messages() == []


def test_a_missing_setting_is_e001(settings: Settings) -> None:
    del settings.PASSPORT
    [message] = passport_messages()
    assert message.id == "passport_django.E001"
    assert message.hint is not None
    assert "PASSPORT = {" in message.hint


def without(settings: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in names}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: without(s, "AUDIENCE"), ["passport_django.E002"]),
        (lambda s: {**s, "AUDIENCE": ""}, ["passport_django.E002"]),
        (lambda s: without(s, "JWKS"), ["passport_django.E003"]),
        (lambda s: {**s, "JWKS_URL": "https://edge.test/jwks"}, ["passport_django.E003"]),
        (
            lambda s: {**without(s, "JWKS"), "JWKS_FILE": "/nonexistent/jwks.json"},
            ["passport_django.E003"],
        ),
        (lambda s: without(s, "ISSUER"), ["passport_django.E005"]),
        (
            lambda s: without(s, "ISSUER", "AUDIENCE"),
            ["passport_django.E005", "passport_django.E002"],
        ),
        (lambda s: {**s, "issuer": "x"}, ["passport_django.E006"]),
        (lambda s: {**s, "AUDIENCES": "x"}, ["passport_django.E006"]),
        (lambda s: ["not", "a", "dict"], ["passport_django.E006"]),
        (
            lambda s: {**without(s, "JWKS"), "JWKS_URL": "http://edge.example/jwks"},
            ["passport_django.E007"],
        ),
        (
            lambda s: {**s, "JWKS": {"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}]}},
            ["passport_django.E007"],
        ),
    ],
    ids=[
        "no audience",
        "empty audience",
        "no keys",
        "two key settings",
        "missing jwks file",
        "no issuer",
        "no issuer nor audience",
        "lower-case key",
        "unknown key",
        "not a dict",
        "plain http key url",
        "secret in public jwks",
    ],
)
def test_each_misconfiguration_has_its_id(
    passport_settings: dict[str, Any], change: Any, expected: list[str]
) -> None:
    with override_settings(PASSPORT=change(passport_settings)):
        messages = passport_messages()
    assert [m.id for m in messages] == expected
    assert all(m.is_serious() for m in messages)
    assert all("PASSPORT" in m.msg for m in messages)


def test_key_problems_hint_at_the_key_settings(passport_settings: dict[str, Any]) -> None:
    with override_settings(PASSPORT=without(passport_settings, "JWKS")):
        [message] = passport_messages()
    assert message.hint is not None
    assert '"JWKS_URL"' in message.hint


def test_a_missing_middleware_is_e004(settings: Settings) -> None:
    settings.MIDDLEWARE = [SESSION_MW, AUTH_MW]
    [message] = passport_messages()
    assert message.id == "passport_django.E004"
    assert message.hint is not None
    assert PASSPORT_MW in message.hint


def test_a_subclass_of_the_middleware_counts(settings: Settings) -> None:
    settings.MIDDLEWARE = [SESSION_MW, AUTH_MW, f"{__name__}.CustomPassportMiddleware"]
    assert ids() == []


def test_the_middleware_before_authentication_middleware_is_w001(
    settings: Settings,
) -> None:
    settings.MIDDLEWARE = [SESSION_MW, PASSPORT_MW, AUTH_MW]
    [message] = passport_messages()
    assert message.id == "passport_django.W001"
    assert not message.is_serious()


def test_an_unknown_key_is_named_the_django_way(settings: Settings) -> None:
    settings.PASSPORT = {**settings.PASSPORT, "AUDIENS": "orders"}
    [message] = passport_messages()
    assert message.id == "passport_django.E006"
    assert message.msg.startswith('unknown passport setting PASSPORT["AUDIENS"]; known: ')
    assert 'PASSPORT["AUDIENCE"]' in message.msg
    assert "PASSPORT setting" not in message.msg


def test_drf_without_the_problem_exception_handler_is_w002(settings: Settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
    }
    [message] = passport_messages()
    assert message.id == "passport_django.W002"
    assert not message.is_serious()
    assert message.hint is not None
    assert "passport_django.drf.exception_handler" in message.hint
