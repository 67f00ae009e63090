"""Turning a :class:`PassportError` into an HTTP answer, once for every adapter.

The body is RFC 9457 problem details; 401 and 403 carry the RFC 6750
``WWW-Authenticate: Bearer`` challenge, or RFC 9449's ``DPoP`` challenge when a
sender-constrained passport's proof is at fault. Neither ever includes a token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus

from passport_core.errors import (
    InsufficientAuthentication,
    InvalidProof,
    MissingCredential,
    MissingToken,
    PassportError,
    PassportNotBound,
    PermissionDenied,
    Unavailable,
)

__all__ = ["PROBLEM_CONTENT_TYPE", "ProblemResponse", "problem_response"]

PROBLEM_CONTENT_TYPE = "application/problem+json"
#: seconds a 503 asks the client to wait when the error does not say (RFC 9110 §10.2.3)
DEFAULT_RETRY_AFTER = 5


@dataclass(frozen=True)
class ProblemResponse:
    """Status, headers and body, ready for any framework's response object."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    @property
    def content_type(self) -> str:
        return PROBLEM_CONTENT_TYPE


def _quoted(value: str) -> str:
    # RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
    return "".join(ch for ch in value if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')


def _challenge(error: PassportError, realm: str | None) -> str:
    params = [f'realm="{_quoted(realm)}"'] if realm else []
    if isinstance(error, (InvalidProof, PassportNotBound)):
        # RFC 9449 §7.1: a sender-constrained passport is challenged with the DPoP scheme;
        # a missing, bad or replayed proof is invalid_dpop_proof, an unbound passport
        # where binding is required is an invalid token for this scheme.
        code = "invalid_dpop_proof" if isinstance(error, InvalidProof) else "invalid_token"
        params += [f'error="{code}"', f'error_description="{_quoted(error.message)}"']
        return "DPoP " + ", ".join(params)
    if isinstance(error, PermissionDenied):
        params += ['error="insufficient_scope"', f'error_description="{_quoted(error.message)}"']
    elif isinstance(error, InsufficientAuthentication):
        # RFC 9470 §3: the step-up challenge says which acr and how recent.
        params += [
            'error="insufficient_user_authentication"',
            f'error_description="{_quoted(error.message)}"',
        ]
        if error.acr_values:
            params.append(f'acr_values="{_quoted(" ".join(error.acr_values))}"')
        if error.max_age is not None:
            params.append(f'max_age="{error.max_age}"')
    elif not isinstance(error, (MissingToken, MissingCredential)):
        # RFC 6750 §3.1: a request without credentials gets no error code.
        params += ['error="invalid_token"', f'error_description="{_quoted(error.message)}"']
    return "Bearer " + ", ".join(params) if params else "Bearer"


def problem_response(error: PassportError, *, realm: str | None = None) -> ProblemResponse:
    """The HTTP answer for ``error``: status, headers and a problem-details body."""
    status = error.status
    phrase = HTTPStatus(status).phrase
    if status >= 500:
        # Server-side trouble: say what kind, never how it is configured.
        # Each 503 says which dependency is down (keys, identity provider, common data).
        detail = error.default_message if status == 503 else phrase
    else:
        detail = error.message
    headers = {"Cache-Control": "no-store"}
    if status in (401, 403):
        headers["WWW-Authenticate"] = _challenge(error, realm)
    if status == 503:
        retry_after = error.retry_after if isinstance(error, Unavailable) else None
        headers["Retry-After"] = str(retry_after or DEFAULT_RETRY_AFTER)
    body: dict[str, object] = {
        "type": "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail,
        "code": error.code,
    }
    return ProblemResponse(status, headers, body)
