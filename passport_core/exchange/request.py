"""Reading a token exchange request (RFC 8693 §2.1) from its form fields.

Decisions, each documented for callers:

* ``subject_token_type`` may be ``...:token-type:jwt`` or ``...:token-type:access_token``:
  a passport is both a JWT and the access token services accept.
* ``requested_token_type``, when given, must be ``...:token-type:jwt`` (the only kind issued).
* ``actor_token`` is refused: the actor is the authenticated client itself, so a second
  actor credential could only disagree with it.
* Every parameter appears at most once (RFC 6749 §3.2), except ``audience`` and
  ``resource``, which RFC 8693 §2.1 lets repeat; this service issues for exactly one target,
  which they may all name (the rules resolve resource URIs to audiences).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from passport_core.errors import InvalidRequest, InvalidTarget, UnsupportedGrantType

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "JWT_BEARER_ASSERTION",
    "JWT_TOKEN_TYPE",
    "MAX_FORM_BYTES",
    "TOKEN_EXCHANGE_GRANT",
    "ExchangeRequest",
    "client_credentials",
    "parse_form",
    "read_request",
    "single_value",
]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105 - a URN, not a secret
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
#: RFC 7523 §2.2
JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: the largest form accepted: two passports at the size budget and room for the rest
MAX_FORM_BYTES = 32 * 1024
_MAX_PARAMETERS = 64
_MAX_TARGETS = 8
_SUBJECT_TYPES = frozenset({JWT_TOKEN_TYPE, ACCESS_TOKEN_TYPE})
_REPEATABLE = frozenset({"audience", "resource"})


@dataclass(frozen=True)
class ExchangeRequest:
    """A well-formed token exchange request; nothing in it is verified yet."""

    subject_token: str
    targets: tuple[str, ...]
    scopes: frozenset[str] | None
    client_id: str | None
    client_assertion: str | None

    def __repr__(self) -> str:  # the tokens never appear in a repr
        return f"ExchangeRequest(targets={self.targets!r}, client_id={self.client_id!r})"


def parse_form(body: bytes | str) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body as name → values, within the caps."""
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequest(f"the request body is over {MAX_FORM_BYTES} bytes")
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        form = parse_qs(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_PARAMETERS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("the request body is not a valid form") from exc
    return form


def single_value(
    form: Mapping[str, Sequence[str]], name: str, *, required: bool = False
) -> str | None:
    """The one value of form field ``name`` (RFC 6749 §3.2: never repeated, never empty)."""
    values = form.get(name)
    if not values:
        if required:
            raise InvalidRequest(f"the {name} parameter is required")
        return None
    if len(values) > 1:
        raise InvalidRequest(f"the {name} parameter is repeated")  # RFC 6749 §3.2
    if not values[0]:
        raise InvalidRequest(f"the {name} parameter is empty")
    return values[0]


def read_request(form: Mapping[str, Sequence[str]]) -> ExchangeRequest:
    """Check the form's shape (RFC 8693 §2.1) and return what it asks for."""
    for name, values in form.items():
        if len(values) > 1 and name not in _REPEATABLE:
            raise InvalidRequest(f"the {name} parameter is repeated")  # RFC 6749 §3.2
    grant_type = single_value(form, "grant_type", required=True)
    if grant_type != TOKEN_EXCHANGE_GRANT:
        raise UnsupportedGrantType(f"grant_type must be {TOKEN_EXCHANGE_GRANT}")
    subject_token = single_value(form, "subject_token", required=True)
    if single_value(form, "subject_token_type", required=True) not in _SUBJECT_TYPES:
        raise InvalidRequest("subject_token_type must be the jwt or access_token type")
    requested = single_value(form, "requested_token_type")
    if requested is not None and requested != JWT_TOKEN_TYPE:
        raise InvalidRequest(f"only {JWT_TOKEN_TYPE} can be requested")
    if "actor_token" in form or "actor_token_type" in form:
        raise InvalidRequest("actor_token is not accepted: the actor is the authenticated client")
    targets = [*form.get("audience", ()), *form.get("resource", ())]
    if not all(targets):
        raise InvalidRequest("audience and resource must not be empty")
    if not targets:
        raise InvalidTarget("name the next hop in audience or resource")
    if len(targets) > _MAX_TARGETS:
        raise InvalidRequest("too many audience and resource parameters")
    scope = single_value(form, "scope")
    scopes = None if scope is None else frozenset(scope.split(" ")) - {""}
    client_id, assertion = client_credentials(form)
    return ExchangeRequest(
        subject_token=subject_token or "",
        targets=tuple(dict.fromkeys(targets)),
        scopes=scopes,
        client_id=client_id,
        client_assertion=assertion,
    )


def client_credentials(form: Mapping[str, Sequence[str]]) -> tuple[str | None, str | None]:
    """``client_id`` and the ``private_key_jwt`` assertion (RFC 7523 §2.2), shape checked."""
    assertion_type = single_value(form, "client_assertion_type")
    assertion = single_value(form, "client_assertion")
    if (assertion is None) != (assertion_type is None):
        raise InvalidRequest("client_assertion and client_assertion_type go together")
    if assertion_type is not None and assertion_type != JWT_BEARER_ASSERTION:
        raise InvalidRequest(f"client_assertion_type must be {JWT_BEARER_ASSERTION}")
    return single_value(form, "client_id"), assertion
