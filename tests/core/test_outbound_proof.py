"""Outbound DPoP proofs: a real server on 127.0.0.1 checks each one with the inbound gate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from passport_core import (
    ConfigurationError,
    KeyRing,
    Minter,
    PassportConfig,
    PassportError,
    PassportGate,
    ProofBinding,
    RequestTarget,
    Verifier,
    confirmation,
    generate_key,
    passport_async_client,
    passport_client,
    use_passport,
)
from tests.servers import RunningServer, serve

ISSUER = "https://edge.test"
RING = KeyRing.generate()
HOLDER = generate_key("EdDSA")
VERIFIER = Verifier(keys=RING, issuer=ISSUER, audience="orders")


@pytest.fixture
def service() -> Iterator[RunningServer]:
    """A service that requires bound passports; ``/hop`` redirects to ``/end`` (same origin)."""
    gate = PassportGate(VERIFIER, binding=ProofBinding("required"))
    port: list[int] = []

    def route(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        target = RequestTarget("GET", f"http://127.0.0.1:{port[0]}{handler.path}")
        try:
            passport = gate.authenticate(handler.headers.get_all, target=target)
        except PassportError as error:
            return 401, {}, json.dumps({"code": error.code}).encode()
        if handler.path == "/hop":
            return 302, {"Location": "/end"}, b""
        assert passport is not None
        return 200, {}, json.dumps({"subject": passport.subject}).encode()

    with serve(route) as running:
        port.append(running.port)
        yield running


def bound() -> str:
    return Minter(RING, issuer=ISSUER).mint("alice", audience="orders", cnf=confirmation(HOLDER))


def test_each_request_carries_a_proof_the_inbound_side_accepts(service: RunningServer) -> None:
    passport = VERIFIER.verify(bound())
    with use_passport(passport), passport_client(["127.0.0.1"], proof_key=HOLDER) as client:
        for _ in range(3):  # a fresh proof each time: no replay refusal
            answer = client.get(service.url + "/end?page=1")
            assert answer.status_code == 200, answer.text
        # a redirect is a new request: it gets a new proof of its own
        answer = client.get(service.url + "/hop", follow_redirects=True)
        assert answer.status_code == 200, answer.text
    proofs = [headers["dpop"] for _, headers in service.requests]
    assert len(set(proofs)) == len(proofs) == 5


def test_the_async_client_sends_proofs_too(service: RunningServer) -> None:
    passport = VERIFIER.verify(bound())

    async def call() -> list[int]:
        async with passport_async_client(
            ["127.0.0.1"], passport=passport, proof_key=HOLDER
        ) as client:
            first = await client.get(service.url + "/end")
            second = await client.get(service.url + "/hop", follow_redirects=True)
            return [first.status_code, second.status_code]

    assert asyncio.run(call()) == [200, 200]


def test_without_the_proof_key_the_bound_passport_is_refused(service: RunningServer) -> None:
    passport = VERIFIER.verify(bound())
    with passport_client(["127.0.0.1"], passport=passport) as client:
        answer = client.get(service.url + "/end")
    assert answer.status_code == 401
    assert answer.json() == {"code": "missing_dpop_proof"}


@pytest.mark.parametrize("bearer", [False, True], ids=["header", "bearer"])
def test_a_proof_is_dropped_with_the_passport_on_a_cross_origin_redirect(bearer: bool) -> None:
    # As Authorization: Bearer, httpx itself strips the passport on the redirect; the
    # proof made for it must not travel on alone.
    passport = VERIFIER.verify(bound())
    with serve() as other:

        def away(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
            return 302, {"Location": other.url.replace("127.0.0.1", "localhost") + "/x"}, b""

        with (
            serve(away) as first,
            passport_client(
                ["127.0.0.1", "localhost"], passport=passport, proof_key=HOLDER, bearer=bearer
            ) as c,
        ):
            c.get(first.url + "/", follow_redirects=True)
        assert "dpop" in first.requests[0][1]
        assert "dpop" not in other.requests[0][1]
        assert "x-passport" not in other.requests[0][1]
        assert "authorization" not in other.requests[0][1]


def test_a_proof_key_must_be_private_and_asymmetric() -> None:
    with pytest.raises(ConfigurationError):
        passport_client(["127.0.0.1"], proof_key=HOLDER.public())
    with pytest.raises(ConfigurationError):
        passport_client(["127.0.0.1"], proof_key=generate_key("HS256"))


def test_no_proof_for_a_host_off_the_allow_list() -> None:
    passport = VERIFIER.verify(bound())
    with serve() as other, passport_client([], passport=passport, proof_key=HOLDER) as client:
        client.get(other.url + "/")
    assert "dpop" not in other.requests[0][1]


def test_no_proof_for_a_passport_bound_to_another_key() -> None:
    # Only the holder can prove: the caller's passport, bound to the caller's key, gets none.
    passport = VERIFIER.verify(bound())
    with (
        serve() as other,
        passport_client(["127.0.0.1"], passport=passport, proof_key=generate_key("ES256")) as c,
    ):
        c.get(other.url + "/")
    assert "x-passport" in other.requests[0][1]
    assert "dpop" not in other.requests[0][1]


def test_the_service_settings_give_outbound_clients_the_proof_key(service: RunningServer) -> None:
    config = PassportConfig.from_mapping(
        {"issuer": ISSUER, "audience": "orders", "keys": RING, "allowed_hosts": ["127.0.0.1"]}
        | {"proof_key": HOLDER}
    )
    with use_passport(VERIFIER.verify(bound())), config.outbound_client() as client:
        assert client.get(service.url + "/end").status_code == 200
    with pytest.raises(ConfigurationError):
        PassportConfig.from_mapping({"proof_key": HOLDER.public()})


def test_as_authorization_a_bound_passport_uses_the_dpop_scheme() -> None:
    # RFC 9449 §7.1: "Authorization: DPoP <token>"; an unbound one stays Bearer.
    with serve() as running:
        for token in (bound(), Minter(RING, issuer=ISSUER).mint("bob", audience="orders")):
            with passport_client(
                ["127.0.0.1"], passport=VERIFIER.verify(token), proof_key=HOLDER, bearer=True
            ) as client:
                client.get(running.url)
    (_, proven), (_, plain) = running.requests
    assert (proven["authorization"].split(" ")[0], "dpop" in proven) == ("DPoP", True)
    assert (plain["authorization"].split(" ")[0], "dpop" in plain) == ("Bearer", False)
