"""Reading a Txn-Token Request: the Transaction Tokens draft's profile of RFC 8693 §2.1.

draft-ietf-oauth-transaction-tokens-10, "Txn-Token Request": ``grant_type`` (token
exchange), ``requested_token_type`` (:data:`TXN_TOKEN_URN`), ``audience`` (the trust
domain), ``scope`` (the transaction's purpose), ``subject_token`` and
``subject_token_type`` are REQUIRED; ``request_context`` and ``request_details`` are
RECOMMENDED JSON objects, form-encoded as they are (since -06; -05 and earlier
base64url-encoded them, which is refused here as not JSON).

Decisions, each documented for callers:

* Every parameter appears at most once (RFC 6749 §3.2), ``audience`` included: a
  Txn-Token is valid in exactly one trust domain.
* ``resource`` and ``actor_token`` are refused: the draft names the trust domain in
  ``audience``, and the requesting workload is the authenticated client itself.
* A ``refresh_token`` subject is refused (-10, "Subject Token Types": every RFC 8693
  token type except the refresh token).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core.errors import InvalidRequest, PassportError, UnsupportedGrantType
from passport_core.exchange.request import (
    ACCESS_TOKEN_TYPE,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    client_credentials,
    single_value,
)
from passport_core.token.encoding import json_loads_object

__all__ = [
    "MAX_CONTEXT_BYTES",
    "REFRESH_TOKEN_TYPE",
    "SELF_SIGNED_TOKEN_TYPE",
    "SUBJECT_TOKEN_TYPES",
    "TXN_TOKEN_URN",
    "UNSIGNED_JSON_TOKEN_TYPE",
    "TxnTokenRequest",
    "asks_for_txn_token",
    "read_txn_request",
]

#: draft -10, "Txn-Token Request": the token type of a Txn-Token (requested and issued)
TXN_TOKEN_URN = "urn:ietf:params:oauth:token-type:txn_token"  # noqa: S105 - a URN
#: draft -10, "Self-Signed Subject Token Type"
SELF_SIGNED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:self_signed"  # noqa: S105 - a URN
#: draft -10, "Unsigned JSON Object Subject Token Type"
UNSIGNED_JSON_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:unsigned_json"  # noqa: S105
#: RFC 8693 §3; never a Txn-Token's subject (draft -10, "Refresh Tokens")
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105 - a URN
#: the subject token types this service understands, by the short names sts.toml uses
SUBJECT_TOKEN_TYPES = {
    "access_token": ACCESS_TOKEN_TYPE,
    "jwt": JWT_TOKEN_TYPE,
    "txn_token": TXN_TOKEN_URN,
    "self_signed": SELF_SIGNED_TOKEN_TYPE,
    "unsigned_json": UNSIGNED_JSON_TOKEN_TYPE,
}
#: the largest request_context / request_details accepted (the Txn-Token carries them)
MAX_CONTEXT_BYTES = 4096


@dataclass(frozen=True)
class TxnTokenRequest:
    """A well-formed Txn-Token Request; nothing in it is verified yet."""

    subject_token: str
    subject_token_type: str
    audience: str
    scopes: frozenset[str]
    request_context: dict[str, Any] | None
    request_details: dict[str, Any] | None
    client_id: str | None
    client_assertion: str | None

    def __repr__(self) -> str:  # the tokens never appear in a repr
        return (
            f"TxnTokenRequest(audience={self.audience!r}, client_id={self.client_id!r}, "
            f"subject_token_type={self.subject_token_type!r})"
        )


def asks_for_txn_token(form: Mapping[str, Sequence[str]]) -> bool:
    """Whether the request's ``requested_token_type`` names a Txn-Token (any value given)."""
    return TXN_TOKEN_URN in form.get("requested_token_type", ())


def _json_object(form: Mapping[str, Sequence[str]], name: str) -> dict[str, Any] | None:
    value = single_value(form, name)
    if value is None:
        return None
    raw = value.encode("utf-8")
    if len(raw) > MAX_CONTEXT_BYTES:
        raise InvalidRequest(f"the {name} parameter is over {MAX_CONTEXT_BYTES} bytes")
    try:
        return json_loads_object(raw, name)
    except PassportError as exc:
        # draft -10: a JSON object, form-encoded (no base64url since -06)
        raise InvalidRequest(f"the {name} parameter must be a JSON object") from exc


def read_txn_request(form: Mapping[str, Sequence[str]]) -> TxnTokenRequest:
    """Check the form's shape (draft -10, "Txn-Token Request") and return what it asks for."""
    for name, values in form.items():
        if len(values) > 1:
            raise InvalidRequest(f"the {name} parameter is repeated")  # RFC 6749 §3.2
    grant_type = single_value(form, "grant_type", required=True)
    if grant_type != TOKEN_EXCHANGE_GRANT:
        raise UnsupportedGrantType(f"grant_type must be {TOKEN_EXCHANGE_GRANT}")
    if single_value(form, "requested_token_type", required=True) != TXN_TOKEN_URN:
        raise InvalidRequest(f"requested_token_type must be {TXN_TOKEN_URN}")
    if "resource" in form:
        raise InvalidRequest("name the trust domain in audience; resource is not accepted")
    if "actor_token" in form or "actor_token_type" in form:
        raise InvalidRequest(
            "actor_token is not accepted: the workload is the authenticated client"
        )
    audience = single_value(form, "audience", required=True) or ""
    scope = single_value(form, "scope", required=True) or ""
    scopes = frozenset(scope.split(" ")) - {""}
    if not scopes:
        raise InvalidRequest("the scope parameter names no purpose")
    subject_token = single_value(form, "subject_token", required=True) or ""
    subject_type = single_value(form, "subject_token_type", required=True) or ""
    if subject_type == REFRESH_TOKEN_TYPE:
        raise InvalidRequest("a refresh token cannot be exchanged for a Txn-Token")
    if subject_type not in SUBJECT_TOKEN_TYPES.values():
        raise InvalidRequest("this subject_token_type is not supported")
    client_id, assertion = client_credentials(form)
    return TxnTokenRequest(
        subject_token=subject_token,
        subject_token_type=subject_type,
        audience=audience,
        scopes=scopes,
        request_context=_json_object(form, "request_context"),
        request_details=_json_object(form, "request_details"),
        client_id=client_id,
        client_assertion=assertion,
    )
