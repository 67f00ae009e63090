"""Errors as HTTP answers: RFC 9457 bodies and RFC 6750 challenges."""

from __future__ import annotations

import json

import pytest

from passport_core import (
    BadSignature,
    ConfigurationError,
    EnrichmentFailed,
    IdentityProviderUnavailable,
    InsufficientAuthentication,
    InvalidCredential,
    KeysUnavailable,
    MissingCredential,
    MissingToken,
    PassportError,
    PassportTooLarge,
    PermissionDenied,
    TokenExpired,
    Unavailable,
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


def test_step_up_challenge_carries_acr_values_and_max_age_rfc9470() -> None:
    error = InsufficientAuthentication(
        "authentication must include mfa",
        acr_values=("urn:acr:gold", "urn:acr:silver"),
        max_age=300,
    )
    answer = problem_response(error, realm="orders")
    assert answer.status == 401
    assert answer.body["code"] == "insufficient_user_authentication"
    # RFC 9470 §3: error, then acr_values (space-separated) and max_age as auth-params.
    assert answer.headers["WWW-Authenticate"] == (
        'Bearer realm="orders", error="insufficient_user_authentication", '
        'error_description="authentication must include mfa", '
        'acr_values="urn:acr:gold urn:acr:silver", max_age="300"'
    )


def test_step_up_challenge_without_acr_or_max_age_names_only_the_error() -> None:
    challenge = problem_response(InsufficientAuthentication()).headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_user_authentication"')
    assert "acr_values" not in challenge
    assert "max_age" not in challenge


def test_step_up_values_cannot_break_the_header() -> None:
    error = InsufficientAuthentication("x", acr_values=('a"\r\nSet-Cookie: y=1',))
    challenge = problem_response(error).headers["WWW-Authenticate"]
    assert "\r" not in challenge
    assert "\n" not in challenge
    assert 'acr_values="aSet-Cookie: y=1"' in challenge


def test_a_missing_credential_gets_a_bare_challenge() -> None:
    answer = problem_response(MissingCredential(), realm="edge")
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="edge"'


def test_an_invalid_credential_is_an_invalid_token_challenge() -> None:
    answer = problem_response(InvalidCredential("the API key is not valid"))
    assert answer.status == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (IdentityProviderUnavailable("idp.internal:8443 refused"), "identity_provider_unavailable"),
        (EnrichmentFailed("the 'crm' enricher failed (ConnectionError)"), "enrichment_failed"),
        (KeysUnavailable("10.0.0.1 down"), "keys_unavailable"),
    ],
)
def test_each_503_names_its_dependency_and_hides_the_details(
    error: PassportError, code: str
) -> None:
    answer = problem_response(error)
    assert answer.status == 503
    assert answer.body["code"] == code
    assert answer.body["detail"] == type(error).default_message
    assert error.message not in answer.content.decode()
    assert answer.headers["Retry-After"].isdigit()
    assert isinstance(error, Unavailable)


def test_a_passport_too_large_is_a_500_without_its_message() -> None:
    answer = problem_response(PassportTooLarge("the passport for 'orders' is 9000 bytes"))
    assert answer.status == 500
    assert "9000" not in answer.content.decode()


def test_a_503_that_knows_when_to_retry_says_so() -> None:
    assert problem_response(KeysUnavailable(retry_after=2)).headers["Retry-After"] == "2"
    assert problem_response(KeysUnavailable()).headers["Retry-After"] == "5"
