"""A token service for A → B → C → D, each service with its own key, on the real clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from passport_core import (
    Audience,
    ClientRegistry,
    ExchangeRules,
    Key,
    KeyRing,
    Minter,
    ServiceClient,
    TokenExchangeEndpoint,
    TokenService,
    Verifier,
    generate_key,
)
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT

EDGE = "https://edge.test"
STS = "https://sts.test"
SERVICES = ("a", "b", "c", "d")


@dataclass
class World:
    edge: Minter
    sts: Minter
    service: TokenService
    endpoint: TokenExchangeEndpoint
    keys: dict[str, Key]

    def passport(self, audience: str = "a", **options: Any) -> str:
        defaults: dict[str, Any] = {
            "roles": ["buyer", "admin"],
            "scopes": ["orders:read", "orders:write", "billing:read"],
            "permissions": ["refund"],
            "tenant": "acme",
            "profile": {"email": "u@example.test", "name": "U"},
            "auth_methods": ["pwd", "otp"],
            "auth_context": "urn:acr:mfa",
            "auth_time": int(time.time()) - 60,
        }
        defaults.update(options)
        return self.edge.mint("user-1", audience=audience, **defaults)

    def assertion(self, client_id: str, *, audience: str = STS, key: Key | None = None) -> str:
        auth = ClientAuth(client_id, method="private_key_jwt", key=key or self.keys[client_id])
        return auth.credentials(audience, time.time).form["client_assertion"]

    def form(
        self, client_id: str, subject: str, target: str, **extra: str | list[str]
    ) -> dict[str, Any]:
        form: dict[str, Any] = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": subject,
            "subject_token_type": JWT_TOKEN_TYPE,
            "audience": target,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.assertion(client_id),
        }
        form.update(extra)
        return {name: value for name, value in form.items() if value is not None}

    def exchange(self, client_id: str, subject: str, target: str, **extra: Any) -> str:
        form = self.form(client_id, subject, target, **extra)
        lists = {k: v if isinstance(v, list) else [v] for k, v in form.items()}
        return self.service.exchange(lists).access_token

    def verifier(self, audience: str) -> Verifier:
        return Verifier(keys=self.sts.key_ring, issuer=STS, audience=audience)

    def post(self, data: Mapping[str, Any] | bytes | None, **options: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.endpoint)
            async with httpx.AsyncClient(transport=transport, base_url="http://sts.test") as c:
                method = options.pop("method", "POST")
                if isinstance(data, bytes):
                    options["content"] = data
                elif data is not None:
                    options["data"] = data
                return await c.request(method, options.pop("path", "/token"), **options)

        return asyncio.run(go())


@pytest.fixture(scope="module")
def world() -> World:
    keys = {name: generate_key("ES256") for name in SERVICES}
    edge = Minter(KeyRing.generate(), issuer=EDGE, default_ttl=600)
    sts = Minter(KeyRing.generate(), issuer=STS, default_ttl=300)
    clients = ClientRegistry(
        [
            ServiceClient("a", keys["a"].public(), targets={"b"}),
            ServiceClient("b", keys["b"].public(), targets={"c"}),
            ServiceClient("c", keys["c"].public(), targets={"d"}, scopes={"orders:read"}),
            ServiceClient("d", keys["d"].public(), targets={"a"}),
        ],
        token_service=[STS, "http://sts.test/token"],
    )
    rules = ExchangeRules(
        [
            Audience("a"),
            Audience("b"),
            Audience("c", fields={"scopes", "roles", "tenant", "profile"}, profile={"email"}),
            Audience("d", fields={"scopes"}),
        ],
        scopes={"b": {"orders:read", "orders:write"}},
        resources={"https://c.test/api": "c"},
        max_depth=3,
    )
    service = TokenService(sts, clients, rules, trusted={EDGE: edge.key_ring})
    return World(edge, sts, service, TokenExchangeEndpoint(service), keys)


Exchange = Callable[..., str]
