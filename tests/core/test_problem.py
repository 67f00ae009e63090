"""Errors as HTTP answers: RFC 9457 bodies and RFC 6750 challenges."""

from __future__ import annotations

import json

import pytest

from passport_core import (
    BadSignature,
    ConfigurationError,
    KeysUnavailable,
    MissingToken,
    PassportError,
    PermissionDenied,
    TokenExpired,
    problem_response,
)


def test_missing_token_gets_a_bare_challenge() -> None:
    answer = problem_response(MissingToken(), realm="orders")
    assert answer.status == 401
    # RFC 6750 §3.1: no error code when the request carried no credentials.
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="orders"'
    assert answer.body["code"] == "missing_token"


@pytest.mark.parametrize("error", [BadSignature(), TokenExpired()])
def test_invalid_token_challenge(error: PassportError) -> None:
    answer = problem_response(error)
    assert answer.status == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{error.message}"' in challenge


def test_denial_is_403_insufficient_scope() -> None:
    answer = problem_response(PermissionDenied("requires role 'admin'"))
    assert answer.status == 403
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    assert answer.body["detail"] == "requires role 'admin'"


def test_body_is_problem_details() -> None:
    answer = problem_response(TokenExpired())
    body = json.loads(answer.content)
    assert body == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "the passport has expired",
        "code": "token_expired",
    }
    assert answer.content_type == "application/problem+json"
    assert answer.headers["Cache-Control"] == "no-store"


def test_challenge_strips_characters_that_would_break_the_header() -> None:
    answer = problem_response(BadSignature('evil"\\\r\nSet-Cookie: x=1'))
    challenge = answer.headers["WWW-Authenticate"]
    assert "\r" not in challenge
    assert "\n" not in challenge
    assert challenge == 'Bearer error="invalid_token", error_description="evilSet-Cookie: x=1"'


def test_server_errors_hide_configuration_details() -> None:
    answer = problem_response(ConfigurationError("secret path /etc/keys missing"))
    assert answer.status == 500
    assert "/etc/keys" not in answer.content.decode()
    assert "WWW-Authenticate" not in answer.headers


def test_keys_unavailable_is_503_with_retry_after() -> None:
    answer = problem_response(KeysUnavailable("connect to 10.0.0.1 failed"))
    assert answer.status == 503
    assert answer.headers["Retry-After"].isdigit()
    assert "10.0.0.1" not in answer.content.decode()
