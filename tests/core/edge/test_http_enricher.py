"""HTTPEnricher: common data from an HTTP endpoint, through a real Edge and a loopback server."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    ClaimMapping,
    ConfigurationError,
    Edge,
    EdgeRequest,
    EnrichmentFailed,
    HTTPEnricher,
    KeyRing,
    Minted,
    Minter,
    Passport,
    PassportError,
    Verifier,
    api_key_digest,
)
from passport_core.keys.key import Key
from tests.servers import Answer, AnswerRoute, Received, RouteServer

API_KEY = "caller-api-key-0123456789"
SERVICE_TOKEN = "directory-service-credential-xyz"
StartServer = Callable[[AnswerRoute], RouteServer]
Mint = Callable[[Edge, EdgeRequest], Minted]


def _mint(edge: Edge, request: EdgeRequest) -> Minted:
    return edge.mint(request)


def _amint(edge: Edge, request: EdgeRequest) -> Minted:
    return asyncio.run(edge.amint(request))


@pytest.fixture(params=[_mint, _amint], ids=["sync", "async"])
def mint(request: pytest.FixtureRequest) -> Mint:
    return request.param  # type: ignore[no-any-return]


def directory(request: Received) -> Answer:
    """The directory: roles and tenant by user, under /users/<subject>/access."""
    if request.path == "/users/user-1/access":
        return Answer.json({"roles": ["clerk"], "tenant": "acme", "profile": {"name": "Ada"}})
    return Answer(404)


def slow(seconds: float, document: dict[str, Any] | None = None) -> AnswerRoute:
    return lambda request: Answer.json(document or {}, delay=seconds)


class Setup:
    """An edge with one API key whose subject is chosen per test, and its verifier."""

    def __init__(self, ed_key: Key, subject: str = "user-1") -> None:
        self.ring = KeyRing(ed_key)
        self.subject = subject

    def lookup(self, digest: str) -> APIKey | None:
        if digest != api_key_digest(API_KEY):
            return None
        return APIKey(digest, self.subject)

    def edge(self, *enrichers: HTTPEnricher) -> Edge:
        return Edge(
            Minter(self.ring, issuer="https://edge.test"),
            authenticators=[APIKeyAuthenticator(self.lookup)],
            enrichers=enrichers,
            audiences=["orders"],
            use_cache=False,
        )

    def verify(self, minted: Minted) -> Passport:
        verifier = Verifier(
            keys=self.ring.public_jwks(), issuer="https://edge.test", audience="orders"
        )
        return verifier.verify(minted.token)


def caller(**headers: str) -> EdgeRequest:
    return EdgeRequest.from_headers({"X-API-Key": API_KEY, **headers})


def test_the_endpoints_data_is_merged_into_the_passport(
    start_route_server: StartServer, ed_key: Key, mint: Mint
) -> None:
    server = start_route_server(directory)
    setup = Setup(ed_key)
    enricher = HTTPEnricher(
        server.url + "/users/{subject}/access",
        name="directory",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )
    minted = mint(setup.edge(enricher), caller(Cookie="session=caller-secret"))
    passport = setup.verify(minted)
    assert passport.roles == frozenset({"clerk"})
    assert passport.tenant == "acme"
    assert dict(passport.profile) == {"name": "Ada"}
    # Only the configured service credential travels; nothing of the caller's request does.
    seen = server.received[-1].headers
    assert seen["authorization"] == f"Bearer {SERVICE_TOKEN}"
    assert "cookie" not in seen
    assert "x-api-key" not in seen
    assert API_KEY not in json.dumps(seen)


def test_a_claim_mapping_reads_a_foreign_shape(
    start_route_server: StartServer, ed_key: Key, mint: Mint
) -> None:
    server = start_route_server(lambda request: Answer.json({"groups": ["ops"], "org": "acme"}))
    enricher = HTTPEnricher(
        server.url + "/u/{subject}", mapping=ClaimMapping(roles="groups", tenant="org")
    )
    setup = Setup(ed_key)
    passport = setup.verify(mint(setup.edge(enricher), caller()))
    assert passport.roles == frozenset({"ops"})
    assert passport.tenant == "acme"


@pytest.mark.parametrize(
    ("subject", "path"),
    [
        ("../../admin", "/users/..%2F..%2Fadmin/access"),
        ("alice?admin=1#x", "/users/alice%3Fadmin%3D1%23x/access"),
        ("a/b%2F c", "/users/a%2Fb%252F%20c/access"),
        ("ü@x.y", "/users/%C3%BC%40x.y/access"),
    ],
)
def test_a_subject_cannot_change_the_path(
    start_route_server: StartServer, ed_key: Key, subject: str, path: str
) -> None:
    server = start_route_server(lambda request: Answer.json({}))
    enricher = HTTPEnricher(server.url + "/users/{subject}/access")
    Setup(ed_key, subject).edge(enricher).mint(caller())
    assert [r.path for r in server.received] == [path]


@pytest.mark.parametrize("subject", [".", ".."])
def test_a_subject_of_only_dots_is_never_sent(
    start_route_server: StartServer, ed_key: Key, mint: Mint, subject: str
) -> None:
    server = start_route_server(lambda request: Answer.json({}))
    enricher = HTTPEnricher(server.url + "/users/{subject}/access", name="directory")
    with pytest.raises(EnrichmentFailed, match="cannot be placed in the enrichment URL"):
        mint(Setup(ed_key, subject).edge(enricher), caller())
    assert server.received == []


def test_a_slow_optional_endpoint_is_left_out(
    start_route_server: StartServer, ed_key: Key, mint: Mint
) -> None:
    fast = start_route_server(directory)
    late = start_route_server(slow(1.5, {"profile": {"late": True}}))
    setup = Setup(ed_key)
    edge = setup.edge(
        HTTPEnricher(fast.url + "/users/{subject}/access", name="directory"),
        HTTPEnricher(late.url + "/p/{subject}", name="profile", required=False, timeout=0.3),
    )
    start = time.monotonic()
    minted = mint(edge, caller())
    assert time.monotonic() - start < 1.0
    assert minted.omitted == ("profile",)
    passport = setup.verify(minted)
    assert passport.roles == frozenset({"clerk"})
    assert passport.claims["omitted"] == ["profile"]


def test_a_slow_required_endpoint_is_a_503(
    start_route_server: StartServer, ed_key: Key, mint: Mint
) -> None:
    late = start_route_server(slow(1.5))
    edge = Setup(ed_key).edge(HTTPEnricher(late.url + "/p/{subject}", name="roles", timeout=0.3))
    start = time.monotonic()
    with pytest.raises(PassportError) as info:
        mint(edge, caller())
    assert time.monotonic() - start < 1.0
    assert type(info.value) is EnrichmentFailed
    assert info.value.status == 503
    assert info.value.code == "enrichment_failed"
    assert "'roles' enricher" in info.value.message


BAD = {
    "500": (Answer(500, b"down"), "answered HTTP 500"),
    "404": (Answer(404), "answered HTTP 404"),
    "redirect": (Answer(302, headers={"Location": "http://127.0.0.1:1/"}), "redirect"),
    "not JSON": (Answer(body=b"<html>", headers={"Content-Type": "text/html"}), "not valid JSON"),
    "a JSON list": (Answer.json(["clerk"]), "not a JSON object"),
    "huge": (Answer(body=b"x" * 1024, repeat=400), "exceeds"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_answer_fails_a_required_enricher_and_omits_an_optional_one(
    start_route_server: StartServer,
    ed_key: Key,
    mint: Mint,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer, message = BAD[case]
    server = start_route_server(lambda request: answer)
    setup = Setup(ed_key)
    url = server.url + "/u/{subject}"
    with caplog.at_level(logging.DEBUG), pytest.raises(EnrichmentFailed) as info:
        mint(
            setup.edge(HTTPEnricher(url, name="dir", headers={"X-Token": SERVICE_TOKEN})), caller()
        )
    assert message in info.value.message
    assert info.value.message.startswith("the 'dir' enricher failed: the endpoint")
    optional = HTTPEnricher(url, name="dir", required=False)
    assert mint(setup.edge(optional), caller()).omitted == ("dir",)
    for secret in (SERVICE_TOKEN, API_KEY):
        assert secret not in caplog.text
        assert secret not in info.value.message


def test_a_closed_port_fails_the_enricher(closed_port_url: str, ed_key: Key, mint: Mint) -> None:
    enricher = HTTPEnricher(closed_port_url + "/{subject}", name="dir")
    with pytest.raises(EnrichmentFailed, match="could not be reached"):
        mint(Setup(ed_key).edge(enricher), caller())


def test_three_slow_enrichers_run_concurrently(
    start_route_server: StartServer, ed_key: Key, mint: Mint
) -> None:
    servers = [start_route_server(slow(0.3, {"roles": [f"r{n}"]})) for n in range(3)]
    setup = Setup(ed_key)
    edge = setup.edge(
        *(
            HTTPEnricher(s.url + "/{subject}", name=f"e{n}", timeout=2.0)
            for n, s in enumerate(servers)
        )
    )
    mint(edge, caller())  # warm: the first TLS context and thread pool cost is not the point
    start = time.monotonic()
    minted = mint(edge, caller())
    assert time.monotonic() - start < 0.75  # one after another would take 0.9 s or more
    assert setup.verify(minted).roles == frozenset({"r0", "r1", "r2"})


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("http://127.0.0.1:1/users", {}),
        ("http://127.0.0.1:1/{subject}/{subject}", {}),
        ("http://{subject}.example/x", {}),
        ("http://directory.example/{subject}", {}),
        ("ftp://127.0.0.1/{subject}", {}),
        ("http://127.0.0.1:1/{subject}", {"headers": {"X-Token": "line\nbreak"}}),
        ("http://127.0.0.1:1/{subject}", {"headers": {"X-Token": "ü"}}),
        ("http://127.0.0.1:1/{subject}", {"timeout": 0}),
    ],
)
def test_a_bad_setting_is_refused_at_start_up(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        HTTPEnricher(url, **options)


def test_the_service_credential_is_never_in_a_repr() -> None:
    enricher = HTTPEnricher(
        "http://127.0.0.1:1/users/{subject}?key=x", headers={"Authorization": SERVICE_TOKEN}
    )
    assert SERVICE_TOKEN not in repr(enricher)
    assert "key=x" not in repr(enricher)
