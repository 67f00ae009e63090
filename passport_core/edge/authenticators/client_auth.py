"""How the edge authenticates itself, as an OAuth client, to an authorization server.

Three methods (RFC 8414 §2 ``*_auth_methods_supported`` names):

* ``client_secret_basic``: ``Authorization: Basic`` with the id and secret each
  form-urlencoded first (RFC 6749 §2.3.1, so a ``:`` in an id survives);
* ``client_secret_post``: ``client_id`` and ``client_secret`` in the form body;
* ``private_key_jwt``: a short-lived JWT signed with one of our keys
  (RFC 7523 §2.2 and §3), so no shared secret exists at all.

The secret never appears in a repr, a log or an error message.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from passport_core.errors import ConfigurationError
from passport_core.keys.key import Key
from passport_core.token.encoding import b64url_encode, json_dumps

__all__ = ["CLIENT_AUTH_METHODS", "ClientAuth"]

CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
#: RFC 7523 §2.2
_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: seconds a client assertion is valid: long enough for clock skew, short against replay
ASSERTION_LIFETIME = 60


@dataclass(frozen=True)
class Credentials:
    """What one request adds: form fields and headers (both may hold secrets)."""

    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Credentials(form={sorted(self.form)}, headers={sorted(self.headers)})"


class ClientAuth:
    """The edge's client credentials at one authorization server."""

    def __init__(
        self,
        client_id: str,
        *,
        method: str = "client_secret_basic",
        client_secret: str | None = None,
        key: Key | None = None,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("client_id must be a non-empty string")
        if method not in CLIENT_AUTH_METHODS:
            raise ConfigurationError(f"client_auth must be one of {', '.join(CLIENT_AUTH_METHODS)}")
        if method == "private_key_jwt":
            if not isinstance(key, Key) or not key.is_private or key.is_symmetric:
                raise ConfigurationError("private_key_jwt needs a private asymmetric client_key")
        elif not isinstance(client_secret, str) or not client_secret:
            raise ConfigurationError(f"{method} needs a non-empty client_secret")
        self.client_id = client_id
        self.method = method
        self._secret = client_secret or ""
        self._key = key

    def credentials(self, audience: str, now: Callable[[], float]) -> Credentials:
        """The form fields and headers that authenticate one request.

        ``audience`` is the assertion's ``aud`` for ``private_key_jwt``: the
        authorization server's issuer identifier, or the endpoint's URL.
        """
        if self.method == "private_key_jwt" and self._key is not None:
            return Credentials(
                form={
                    "client_id": self.client_id,
                    "client_assertion_type": _JWT_BEARER,
                    "client_assertion": self._assertion(self._key, audience, int(now())),
                }
            )
        if self.method == "client_secret_post":
            return Credentials(form={"client_id": self.client_id, "client_secret": self._secret})
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self._secret)}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return Credentials(headers={"Authorization": f"Basic {basic}"})

    def _assertion(self, key: Key, audience: str, now: int) -> str:
        header = {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
        # RFC 7523 §3: iss and sub are the client, aud the server, exp required; jti
        # lets the server refuse a replay.
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": secrets.token_urlsafe(16),
        }
        signing_input = f"{b64url_encode(json_dumps(header))}.{b64url_encode(json_dumps(claims))}"
        signature = b64url_encode(key.sign(signing_input.encode("ascii")))
        return f"{signing_input}.{signature}"

    def __repr__(self) -> str:
        return f"ClientAuth({self.client_id!r}, method={self.method!r})"
