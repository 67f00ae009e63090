"""The revocation admin endpoint answers alike in FastAPI (mounted), Flask and Django.

Each adapter serves core's :class:`~passport_core.RevocationAdmin`; the same request
gets the same status and problem code, and only an operator the policy allows writes
to the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from passport_core import MemoryRevocations, PassportRevoked, Verifier
from tests.conformance import admin
from tests.conformance.apps import AUDIENCE, RING
from tests.conformance.test_conformance import MINTER
from tests.fastapi.testapp import TestClient

# Minted at import: an hour, so a long run (collected long before this runs) keeps them valid.
OPERATOR = MINTER.mint("olga", audience=AUDIENCE, roles=["passport-admin"], ttl=3600)
SUPPORT = MINTER.mint("sam", audience=AUDIENCE, roles=["support"], ttl=3600)

#: (method, body, headers) -> (status, body bytes)
Post = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]


@pytest.fixture(params=["fastapi", "flask", "django"])
def call(request: pytest.FixtureRequest) -> Iterator[Post]:
    url = admin.PREFIX + "/"
    if request.param == "fastapi":
        with TestClient(admin.fastapi_app()) as client:
            yield lambda m, b, h: _pair(client.request(m, url, content=b, headers=h))
        return
    if request.param == "flask":
        flask_client = admin.flask_app().test_client()

        def to_flask(method: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            response = flask_client.open(url, method=method, data=body, headers=headers)
            return response.status_code, response.data

        yield to_flask
        return
    with override_settings(ROOT_URLCONF="tests.conformance.admin"):
        django_client = Client()

        def to_django(method: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            content_type = headers.pop("content-type", "application/octet-stream")
            response = django_client.generic(
                method, url, body, content_type=content_type, headers=headers
            )
            return response.status_code, response.content

        yield to_django


def _pair(response: Any) -> tuple[int, bytes]:
    return response.status_code, response.content


@pytest.fixture(autouse=True)
def store() -> MemoryRevocations:
    fresh = MemoryRevocations()
    admin.ADMIN.store = fresh
    return fresh


def _post(call: Post, document: Any, token: str | None = OPERATOR) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["X-Passport"] = token
    status, body = call("POST", json.dumps(document).encode(), headers)
    return status, json.loads(body) if body else None


def test_an_operator_revokes_and_the_service_refuses(call: Post, store: MemoryRevocations) -> None:
    token = MINTER.mint("alice", audience=AUDIENCE)
    verifier = Verifier(keys=RING, issuer=MINTER.issuer, audience=AUDIENCE, revocations=store)
    jti = verifier.verify(token).jti
    status, body = _post(call, {"jti": jti, "expires": time.time() + 600})
    assert (status, body["kind"], body["value"]) == (201, "jti", jti)
    with pytest.raises(PassportRevoked):
        verifier.verify(token)


@pytest.mark.parametrize(
    ("document", "token", "status", "code"),
    [
        ({"subject": "alice"}, None, 401, "missing_token"),
        ({"subject": "alice"}, SUPPORT, 403, "permission_denied"),
        ({"subject": "alice", "jti": "j"}, OPERATOR, 400, "invalid_request"),
        ({"session": 42}, OPERATOR, 400, "invalid_request"),
    ],
)
def test_refusals_are_alike_and_write_nothing(
    call: Post, store: MemoryRevocations, document: Any, token: str | None, status: int, code: str
) -> None:
    assert _post(call, document, token)[0:1] == (status,)
    assert _post(call, document, token)[1]["code"] == code
    assert store.list.entries() == []


def test_only_json_posts_under_the_cap(call: Post, store: MemoryRevocations) -> None:
    assert call("GET", b"", {})[0] == 405
    text = {"content-type": "text/plain", "X-Passport": OPERATOR}
    assert call("POST", b"{}", text)[0] == 415
    big = json.dumps({"subject": "alice", "pad": "x" * 5000}).encode()
    assert call("POST", big, {"content-type": "application/json", "X-Passport": OPERATOR})[0] == 413
    assert store.list.entries() == []
