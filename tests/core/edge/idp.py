"""A real introspection server on loopback that checks client authentication (RFC 7662, RFC 6749
§2.3.1, RFC 7523)."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from passport_core import Key
from passport_core.token.encoding import b64url_decode
from tests.servers import Answer, Received, RouteServer

#: a ':' in the id and '+', '/', ' ' and 'ü' in the secret: RFC 6749 §2.3.1's encoding shows
CLIENT_ID = "edge:gateway"
CLIENT_SECRET = "s3cret +/ü:x"
#: the introspection path on the test server
INTROSPECT = "/oauth2/introspect"
DISCOVERY = "/.well-known/openid-configuration"


def _assertion_ok(assertion: str, key: Key, audience: str) -> bool:
    """A client assertion (RFC 7523 §3) signed by ``key``, for ``audience``, from the client."""
    try:
        head, payload, signature = assertion.split(".")
        if not key.verify(f"{head}.{payload}".encode(), b64url_decode(signature)):
            return False
        claims = json.loads(b64url_decode(payload))
    except ValueError:
        return False
    return bool(
        claims["iss"] == claims["sub"] == CLIENT_ID
        and claims["aud"] == audience
        and claims["exp"] > claims["iat"]
        and claims["jti"]
    )


@dataclass
class IdP:
    """An authorization server on 127.0.0.1: its tokens, its client, and what it received."""

    server: RouteServer
    client_key: Key
    #: token -> the introspection response for it (absent tokens are inactive)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    secret: str = CLIENT_SECRET
    #: when set, every introspection request gets this instead
    override: Answer | None = None
    #: the discovery document's issuer, when it should lie
    document_issuer: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return self.server.url

    @property
    def endpoint(self) -> str:
        return self.server.url + INTROSPECT

    def introspections(self) -> int:
        return self.server.hits(INTROSPECT)

    def _client_ok(self, request: Received, form: dict[str, str]) -> bool:
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            pair = base64.b64decode(basic[6:]).decode()
            name, _, secret = pair.partition(":")
            return unquote_plus(name) == CLIENT_ID and unquote_plus(secret) == self.secret
        if "client_assertion" in form:
            return form.get(
                "client_assertion_type"
            ) == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" and _assertion_ok(
                form["client_assertion"], self.client_key.public(), self.issuer
            )
        return form.get("client_id") == CLIENT_ID and form.get("client_secret") == self.secret

    def route(self, request: Received) -> Answer:
        if request.method == "GET" and request.path == DISCOVERY:
            issuer = self.document_issuer or self.issuer
            return Answer.json({"issuer": issuer, "introspection_endpoint": self.endpoint})
        if request.method != "POST" or request.path != INTROSPECT:
            return Answer(404)
        if self.override is not None:
            return self.override
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._client_ok(request, form):
            return Answer.json({"error": "invalid_client"}, status=401)
        with self.lock:
            answer = self.tokens.get(form.get("token", ""), {"active": False})
        return Answer.json(answer)
