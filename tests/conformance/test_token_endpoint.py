"""The token service answers alike however it is served: ASGI (alone or mounted in FastAPI),
WSGI, a Flask blueprint, a Django URLconf. Each is mounted at ``/sts``."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from django.test import Client, override_settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response as WerkzeugResponse

from passport_core import (
    JWKS_CONTENT_TYPE,
    ClientCertHeader,
    ConfigurationError,
    TokenExchangeEndpoint,
    TokenExchangeWSGI,
    TransactionTokens,
    Verifier,
    jwk_thumbprint,
    make_proof,
)
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import (
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    TXN_TOKEN_URN,
    UNSIGNED_JSON_TOKEN_TYPE,
)
from passport_flask import token_exchange_blueprint
from tests.conformance.token_service import (
    AUDIT_CERT,
    CLIENT_CERT,
    EDGE_MINTER,
    ORDERS_KEY,
    PREFIX,
    STS,
    STS_MINTER,
    TOKEN_SERVICE,
    TRUST_DOMAIN,
    TXN_TOKENS,
    client_cert_header,
)

FRONTS = ["asgi", "fastapi", "wsgi", "flask", "django"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


#: (method, path, headers, body) -> reply
Call = Callable[[str, str, list[tuple[str, str]], bytes], Reply]


@dataclass
class Front:
    base: str
    call: Call

    def post(self, form: dict[str, str] | bytes, headers: list[tuple[str, str]] | None = None,
             path: str = "/token", content_type: str = "application/x-www-form-urlencoded",
             method: str = "POST") -> Reply:  # fmt: skip
        body = form if isinstance(form, bytes) else str(httpx.QueryParams(form)).encode()
        sent = [("content-type", content_type), *(headers or [])]
        return self.call(method, PREFIX + path, sent, body)

    @property
    def token_url(self) -> str:
        return f"{self.base}{PREFIX}/token"


def _httpx(transport: httpx.BaseTransport | httpx.AsyncBaseTransport, base: str) -> Call:
    def call(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        if isinstance(transport, httpx.AsyncBaseTransport):

            async def go() -> httpx.Response:
                async with httpx.AsyncClient(transport=transport, base_url=base) as client:
                    return await client.request(method, path, headers=headers, content=body)

            response = asyncio.run(go())
        else:
            with httpx.Client(transport=transport, base_url=base) as client:
                response = client.request(method, path, headers=headers, content=body)
        return Reply(response.status_code, dict(response.headers), response.content)

    return call


@pytest.fixture(params=FRONTS)
def front(request: pytest.FixtureRequest) -> Iterator[Front]:
    name = request.param
    if name == "asgi":
        mounted = FastAPI()  # a plain ASGI parent: the endpoint sees root_path
        mounted.mount(
            PREFIX,
            TokenExchangeEndpoint(TOKEN_SERVICE, client_cert=CLIENT_CERT, txn_tokens=TXN_TOKENS),
        )
        yield Front("http://sts.test", _httpx(httpx.ASGITransport(app=mounted), "http://sts.test"))
    elif name == "fastapi":
        app = FastAPI()
        app.mount(
            PREFIX,
            TokenExchangeEndpoint(TOKEN_SERVICE, client_cert=CLIENT_CERT, txn_tokens=TXN_TOKENS),
        )
        with TestClient(app) as client:

            def call(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
                response = client.request(method, path, headers=headers, content=body)
                return Reply(response.status_code, dict(response.headers), response.content)

            yield Front("http://testserver", call)
    elif name == "wsgi":
        wsgi = DispatcherMiddleware(
            WerkzeugResponse("not found", status=404),
            {
                PREFIX: TokenExchangeWSGI(
                    TOKEN_SERVICE, client_cert=CLIENT_CERT, txn_tokens=TXN_TOKENS
                )
            },
        )
        yield Front("http://sts.test", _httpx(httpx.WSGITransport(app=wsgi), "http://sts.test"))
    elif name == "flask":
        flask_app = Flask("sts")
        flask_app.register_blueprint(
            token_exchange_blueprint(TOKEN_SERVICE, client_cert=CLIENT_CERT, txn_tokens=TXN_TOKENS),
            url_prefix=PREFIX,
        )
        flask_client = flask_app.test_client()

        def to_flask(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
            response = flask_client.open(path, method=method, headers=headers, data=body)
            return Reply(
                response.status_code, {k.lower(): v for k, v in response.headers}, response.data
            )

        yield Front("http://localhost", to_flask)
    else:
        with override_settings(ROOT_URLCONF="tests.conformance.django_urls"):
            django_client = Client()

            def to_django(
                method: str, path: str, headers: list[tuple[str, str]], body: bytes
            ) -> Reply:
                fields = dict(headers)
                content_type = fields.pop("content-type", "")
                response = django_client.generic(
                    method, path, body, content_type=content_type, headers=fields
                )
                return Reply(
                    response.status_code,
                    {k.lower(): v for k, v in response.items()},
                    response.content,
                )

            yield Front("http://testserver", to_django)


def _form(**extra: str) -> dict[str, str]:
    subject = EDGE_MINTER.mint("alice", audience="orders", scopes=["billing:charge"])
    auth = ClientAuth("orders", method="private_key_jwt", key=ORDERS_KEY)
    return {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject,
        "subject_token_type": JWT_TOKEN_TYPE,
        "audience": "billing",
        **auth.credentials(STS, time.time).form,
        **extra,
    }


def _verify(token: str) -> Any:
    return Verifier(keys=STS_MINTER.key_ring, issuer=STS, audience="billing").verify(token)


def test_an_exchange_is_answered_alike(front: Front) -> None:
    reply = front.post(_form())
    assert reply.status == 200, reply.body
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert (body["token_type"], body["issued_token_type"]) == ("Bearer", JWT_TOKEN_TYPE)
    passport = _verify(body["access_token"])
    assert (passport.subject, [a.subject for a in passport.actor]) == ("alice", ["orders"])


def test_a_proof_of_the_url_the_client_called_binds_the_passport(front: Front) -> None:
    proof = make_proof(ORDERS_KEY, "POST", front.token_url)
    reply = front.post(_form(), [("DPoP", proof)])
    assert reply.status == 200, reply.body
    assert reply.json()["token_type"] == "DPoP"
    assert _verify(reply.json()["access_token"]).claims["cnf"] == {
        "jkt": jwk_thumbprint(ORDERS_KEY)
    }
    elsewhere = make_proof(ORDERS_KEY, "POST", f"{front.base}/elsewhere/token")
    refused = front.post(_form(), [("DPoP", elsewhere)])
    assert (refused.status, refused.json()["error"]) == (400, "invalid_dpop_proof")


@pytest.mark.parametrize(
    ("request_kind", "status", "error"),
    [
        ("GET", 405, "invalid_request"),
        ("json", 415, "invalid_request"),
        ("too large", 413, "invalid_request"),
        ("basic", 401, "invalid_client"),
        ("bad subject", 400, "invalid_request"),  # RFC 8693 §2.2.2
        ("bad grant", 400, "unsupported_grant_type"),
        ("wider scope", 400, "invalid_scope"),
        ("other target", 400, "invalid_target"),
        ("actor token", 400, "invalid_request"),
    ],
)
def test_refusals_are_answered_alike(
    front: Front, request_kind: str, status: int, error: str
) -> None:
    if request_kind == "GET":
        reply = front.post(b"", method="GET")
        assert reply.headers["allow"] == "POST"
    elif request_kind == "json":
        reply = front.post(b"{}", content_type="application/json")
    elif request_kind == "too large":
        reply = front.post(b"x" * (40 * 1024))
    elif request_kind == "basic":
        reply = front.post(_form(), [("Authorization", "Basic b3JkZXJzOnNlY3JldA==")])
        assert reply.headers["www-authenticate"].startswith("Basic realm=")
    elif request_kind == "bad subject":
        reply = front.post(_form(subject_token="not.a.passport"))
    elif request_kind == "bad grant":
        reply = front.post(_form(grant_type="client_credentials"))
    elif request_kind == "wider scope":
        reply = front.post(_form(scope="billing:charge orders:admin"))
    elif request_kind == "other target":
        reply = front.post(_form(audience="nowhere"))
    else:
        reply = front.post(
            _form(actor_token="x.y.z", actor_token_type="urn:ietf:params:oauth:token-type:jwt")
        )
    assert reply.status == status, reply.body
    assert reply.json()["error"] == error
    assert reply.headers["cache-control"] == "no-store"


def test_the_jwks_is_served_alike(front: Front) -> None:
    reply = front.post(b"", method="GET", path="/.well-known/jwks.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == JWKS_CONTENT_TYPE
    assert reply.json() == STS_MINTER.key_ring.public_jwks()


def test_mutual_tls_through_the_proxy_header_is_answered_alike(front: Front) -> None:
    # RFC 8705 §2.1: "audit" sends its client_id and no assertion; the proxy's header
    # carries its certificate, whose SAN is the one registered.
    subject = EDGE_MINTER.mint("alice", audience="audit")
    form = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject,
        "subject_token_type": JWT_TOKEN_TYPE,
        "audience": "billing",
        "client_id": "audit",
    }
    reply = front.post(form, [("ClientCert", client_cert_header(AUDIT_CERT.der))])
    assert reply.status == 200, reply.body
    passport = _verify(reply.json()["access_token"])
    assert [actor.subject for actor in passport.actor] == ["audit"]
    without = front.post(form)
    assert (without.status, without.json()["error"]) == (401, "invalid_client")

    # Any other spelling is not the proxy's header: never read.
    for name in ("Client-Cert", "Client_Cert", "Client.Cert"):
        other = front.post(form, [(name, client_cert_header(AUDIT_CERT.der))])
        assert (other.status, other.json()["error"]) == (401, "invalid_client"), name


def test_under_wsgi_a_certificate_header_with_a_separator_needs_the_proxy_to_strip_it() -> None:
    # PEP 3333: "Client-Cert" and "Client_Cert" are both HTTP_CLIENT_CERT.
    with pytest.raises(ConfigurationError, match="one header"):
        TokenExchangeWSGI(TOKEN_SERVICE, client_cert=ClientCertHeader("Client-Cert"))
    with pytest.raises(ConfigurationError, match="one header"):
        token_exchange_blueprint(TOKEN_SERVICE, client_cert=ClientCertHeader("Client_Cert"))
    TokenExchangeWSGI(
        TOKEN_SERVICE,
        client_cert=ClientCertHeader("Client-Cert"),
        proxy_drops_underscored_headers=True,
    )


def test_a_wsgi_body_without_a_length_is_not_waited_for() -> None:
    # A chunked body under a server that does not decode it (wsgiref): PEP 3333 forbids
    # reading past CONTENT_LENGTH, and reading would block until the client gave up.
    server = make_server("127.0.0.1", 0, TokenExchangeWSGI(TOKEN_SERVICE), handler_class=_Quiet)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:

        def chunks() -> Iterator[bytes]:
            yield str(httpx.QueryParams(_form())).encode()

        reply = httpx.post(
            f"http://127.0.0.1:{server.server_port}/token",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=5,
        )
    finally:
        thread.join(timeout=10)
        server.server_close()
    assert (reply.status_code, reply.json()["error"]) == (400, "invalid_request")


# -- the same endpoint as a Txn-Token Service (draft-ietf-oauth-transaction-tokens-10) -------


def _txn(token: str) -> Any:
    preset = TransactionTokens(TRUST_DOMAIN, issuer=STS)
    return preset.verifier(STS_MINTER.key_ring).verify(token)


def test_a_txn_token_request_is_answered_alike(front: Front) -> None:
    form = _form(
        requested_token_type=TXN_TOKEN_URN,
        audience=TRUST_DOMAIN,
        scope="billing:charge",
        request_details='{"order": "o-1"}',
    )
    reply = front.post(form)
    assert reply.status == 200, reply.body
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert (body["token_type"], body["issued_token_type"]) == ("N_A", TXN_TOKEN_URN)
    txn = _txn(body["access_token"])
    assert (txn.subject, txn.claims["req_wl"]) == ("alice", "orders")
    assert txn.claims["tctx"] == {"order": "o-1"}
    # a DPoP proof binds nothing here: refused alike
    proof = make_proof(ORDERS_KEY, "POST", front.token_url)
    refused = front.post(_form(requested_token_type=TXN_TOKEN_URN, audience=TRUST_DOMAIN,
                               scope="billing:charge"), [("DPoP", proof)])  # fmt: skip
    assert (refused.status, refused.json()["error"]) == (400, "invalid_request")


def test_a_workload_on_mutual_tls_obtains_a_txn_token_alike(front: Front) -> None:
    form = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "requested_token_type": TXN_TOKEN_URN,
        "audience": TRUST_DOMAIN,
        "scope": "audit:read",
        "subject_token": '{"sub": "nightly-audit"}',
        "subject_token_type": UNSIGNED_JSON_TOKEN_TYPE,
        "client_id": "audit",
    }
    reply = front.post(form, [(CLIENT_CERT.name, client_cert_header(AUDIT_CERT.der))])
    assert reply.status == 200, reply.body
    txn = _txn(reply.json()["access_token"])
    assert (txn.subject, txn.claims["req_wl"]) == ("nightly-audit", "audit")
    without = front.post(form)
    assert (without.status, without.json()["error"]) == (401, "invalid_client")
