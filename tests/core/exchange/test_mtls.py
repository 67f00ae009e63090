"""Mutual-TLS client authentication (RFC 8705 §2) from a proxy-forwarded certificate:
reading the header (RFC 9440, nginx's escaped PEM), the subject rules of tls_client_auth,
the key rule of self_signed_tls_client_auth, and the registered method enforced."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from passport_core import (
    Audience,
    CertificateSubject,
    ClientCertHeader,
    ClientCertificate,
    ClientRegistry,
    ConfigurationError,
    ExchangeClient,
    ExchangeRules,
    InvalidClient,
    KeyRing,
    Minter,
    RemoteJWKS,
    ServiceClient,
    TokenExchangeEndpoint,
    TokenService,
    generate_key,
    public_jwks,
)
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.exchange import JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT
from tests.certs import Issued, issue, make_ca
from tests.servers import RunningServer, serve

EDGE = "https://edge.test"
STS = "https://sts.test"


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca()


@pytest.fixture(scope="module")
def orders(ca: Issued) -> Issued:
    return issue(
        ca,
        "orders",
        dns=["orders.internal", "*.orders.internal"],
        uris=["spiffe://example.test/orders"],
        ips=["10.0.0.7", "2001:db8::7"],
        emails=["orders@Example.TEST"],
    )


def _rfc9440(issued: Issued) -> bytes:
    return b":" + base64.b64encode(issued.der) + b":"


def _escaped(issued: Issued) -> bytes:
    return quote(issued.pem.decode(), safe="").encode()


# -- the header ------------------------------------------------------------------------------


def test_both_formats_carry_the_same_certificate(orders: Issued) -> None:
    rfc = ClientCertHeader("Client-Cert", "rfc9440").read([(b"client-cert", _rfc9440(orders))])
    nginx = ClientCertHeader("X-SSL-Cert", "nginx-escaped-pem").read(
        [(b"x-ssl-cert", _escaped(orders))]
    )
    assert rfc is not None
    assert nginx is not None
    assert rfc.certificate == nginx.certificate == orders.certificate
    assert rfc.chain_verified
    assert nginx.chain_verified
    assert "CN=orders" in repr(rfc)  # the subject, never the encoded certificate


def test_the_unverified_header_is_marked_so(orders: Issued) -> None:
    header = ClientCertHeader("Client-Cert", unverified_name="Client-Cert-Unverified")
    read = header.read([(b"client-cert-unverified", _rfc9440(orders))])
    assert read is not None
    assert not read.chain_verified


def test_no_header_or_an_empty_one_is_no_certificate() -> None:
    header = ClientCertHeader()
    assert header.read([(b"content-type", b"x")]) is None
    assert header.read([(b"client-cert", b"  ")]) is None


@pytest.mark.parametrize(
    "value",
    [
        b"MIIB",  # not a byte sequence
        b":not base64!:",
        b"::",
        b":" + base64.b64encode(b"not a certificate") + b":",
        b":" + base64.b64encode(b"x" * 20_000) + b":",  # oversized
    ],
)
def test_a_malformed_or_oversized_header_is_invalid_client(value: bytes) -> None:
    with pytest.raises(InvalidClient):
        ClientCertHeader().read([(b"client-cert", value)])


def test_a_repeated_header_is_invalid_client(orders: Issued) -> None:
    header = ClientCertHeader(unverified_name="Client-Cert-Unverified")
    with pytest.raises(InvalidClient, match="more than one"):
        header.read([(b"Client-Cert", _rfc9440(orders)), (b"client-cert", _rfc9440(orders))])
    with pytest.raises(InvalidClient, match="more than one"):
        header.read([(b"client-cert", _rfc9440(orders)), (b"client-cert-unverified", b":AA==:")])


def test_escaped_pem_must_be_exactly_one_certificate(ca: Issued, orders: Issued) -> None:
    header = ClientCertHeader(format="nginx-escaped-pem")
    two = quote((orders.pem + ca.pem).decode(), safe="").encode()
    with pytest.raises(InvalidClient):
        header.read([(b"client-cert", two)])
    with pytest.raises(InvalidClient):
        header.read([(b"client-cert", quote(orders.key_pem().decode()).encode())])


@pytest.mark.parametrize(
    "options",
    [
        {"name": "bad header"},
        {"format": "pem"},
        {"name": "Client-Cert", "unverified_name": "client-cert"},
    ],
)
def test_a_bad_header_setting_is_a_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ClientCertHeader(**options)


# -- tls_client_auth: the one registered subject value ---------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "matches"),
    [
        ("tls_client_auth_subject_dn", "CN=orders,O=orders-team", True),
        ("tls_client_auth_subject_dn", "CN=ORDERS,O=Orders-Team", True),  # RFC 4518 folding
        ("tls_client_auth_subject_dn", "CN=orders,O=orders\\20team", False),
        ("tls_client_auth_subject_dn", "O=orders-team,CN=orders", False),  # order matters
        ("tls_client_auth_subject_dn", "CN=orders", False),  # the whole DN, not a part
        ("tls_client_auth_subject_dn", "CN=billing,O=orders-team", False),
        ("tls_client_auth_san_dns", "ORDERS.internal", True),
        ("tls_client_auth_san_dns", "*.orders.internal", True),
        ("tls_client_auth_san_dns", "a.orders.internal", False),  # no wildcard expansion
        ("tls_client_auth_san_dns", "orders", False),  # the CN is no dNSName
        ("tls_client_auth_san_uri", "spiffe://example.test/orders", True),
        ("tls_client_auth_san_uri", "spiffe://example.test/Orders", False),
        ("tls_client_auth_san_ip", "10.0.0.7", True),
        ("tls_client_auth_san_ip", "2001:db8:0:0::7", True),
        ("tls_client_auth_san_ip", "10.0.0.8", False),
        ("tls_client_auth_san_email", "orders@example.test", True),
        ("tls_client_auth_san_email", "Orders@example.test", False),  # the local part is exact
    ],
)
def test_subject_rules(orders: Issued, field: str, value: str, matches: bool) -> None:
    assert CertificateSubject(field, value).matches(orders.certificate) is matches


def test_a_certificate_without_san_matches_no_san_rule(ca: Issued) -> None:
    bare = issue(ca, "orders.internal")
    assert not CertificateSubject("tls_client_auth_san_dns", "orders.internal").matches(
        bare.certificate
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tls_client_auth_subject", "CN=x"),
        ("tls_client_auth_san_ip", "10.0.0"),
        ("tls_client_auth_san_email", "nobody"),
        ("tls_client_auth_subject_dn", ""),
    ],
)
def test_a_bad_subject_is_a_configuration_error(field: str, value: str) -> None:
    with pytest.raises(ConfigurationError):
        CertificateSubject(field, value)


@pytest.mark.parametrize(
    "options",
    [
        {"auth_method": "tls_client_auth"},  # no subject
        {"tls_subject": CertificateSubject("tls_client_auth_san_dns", "a")},  # jwt with subject
        {"auth_method": "client_secret_basic"},
        {"auth_method": "self_signed_tls_client_auth", "keys": None},
        {"keys": None},
    ],
)
def test_a_client_needs_what_its_method_needs(options: dict[str, Any]) -> None:
    keys = options.pop("keys", generate_key("ES256").public())
    with pytest.raises(ConfigurationError):
        ServiceClient("x", keys, **options)


# -- the registry: each client by its registered method --------------------------------------


@pytest.fixture(scope="module")
def jwt_key() -> Any:
    return generate_key("ES256")


@pytest.fixture(scope="module")
def own(ca: Issued) -> Issued:
    """A self-signed certificate: its key is what the client registers."""
    return issue(None, "whatever-it-claims", organization=None)


@pytest.fixture(scope="module")
def registry(own: Issued, jwt_key: Any) -> ClientRegistry:
    return ClientRegistry(
        [
            ServiceClient(
                "orders",
                None,
                auth_method="tls_client_auth",
                tls_subject=CertificateSubject("tls_client_auth_san_dns", "orders.internal"),
                targets={"billing"},
            ),
            ServiceClient(
                "reports",
                public_jwks([own.public_key(), generate_key("ES256").public()]),
                auth_method="self_signed_tls_client_auth",
                targets={"billing"},
            ),
            ServiceClient("legacy", jwt_key.public(), targets={"billing"}),
        ],
        token_service=STS,
    )


def _presented(issued: Issued, *, verified: bool = True) -> ClientCertificate:
    return ClientCertificate(issued.certificate, chain_verified=verified)


def test_tls_client_auth_matches_the_registered_subject(
    registry: ClientRegistry, ca: Issued, orders: Issued
) -> None:
    assert registry.authenticate(None, "orders", certificate=_presented(orders)).client_id == (
        "orders"
    )
    other = issue(ca, "orders", dns=["billing.internal"])  # the CN says orders; the SAN not
    with pytest.raises(InvalidClient, match="subject"):
        registry.authenticate(None, "orders", certificate=_presented(other))


def test_tls_client_auth_refuses_a_chain_nobody_verified(
    registry: ClientRegistry, orders: Issued
) -> None:
    with pytest.raises(InvalidClient, match="verified"):
        registry.authenticate(None, "orders", certificate=_presented(orders, verified=False))


def test_self_signed_matches_by_the_key_not_the_name(registry: ClientRegistry, own: Issued) -> None:
    # chain unverified is fine: the key is what is registered (RFC 8705 §2.2)
    client = registry.authenticate(None, "reports", certificate=_presented(own, verified=False))
    assert client.client_id == "reports"
    # the same subject and issuer name, another key: refused
    impostor = issue(None, "whatever-it-claims", organization=None)
    assert impostor.certificate.subject == own.certificate.subject
    with pytest.raises(InvalidClient, match="key"):
        registry.authenticate(None, "reports", certificate=_presented(impostor))


def test_the_registered_method_is_enforced(
    registry: ClientRegistry, orders: Issued, own: Issued, jwt_key: Any
) -> None:
    def assertion(client_id: str, key: Any) -> str:
        auth = ClientAuth(client_id, method="private_key_jwt", key=key)
        return auth.credentials(STS, __import__("time").time).form["client_assertion"]

    # an mTLS client's assertion, even a well-signed one, is refused
    reports_key = generate_key("ES256")
    with pytest.raises(InvalidClient, match="registered for self_signed_tls_client_auth"):
        registry.authenticate(assertion("reports", reports_key), "reports")
    with pytest.raises(InvalidClient, match="registered for tls_client_auth"):
        registry.authenticate(assertion("orders", reports_key), None)
    # a private_key_jwt client cannot use a certificate instead
    with pytest.raises(InvalidClient, match="client assertion"):
        registry.authenticate(None, "legacy", certificate=_presented(own))
    # and its assertion still works, a certificate alongside or not
    signed = assertion("legacy", jwt_key)
    assert registry.authenticate(signed, None, certificate=_presented(orders)).client_id == (
        "legacy"
    )


def test_no_certificate_or_an_unknown_client_is_invalid_client(registry: ClientRegistry) -> None:
    with pytest.raises(InvalidClient, match="needs a client certificate"):
        registry.authenticate(None, "orders")
    with pytest.raises(InvalidClient, match="unknown client"):
        registry.authenticate(None, "nobody")


def test_the_async_twin_answers_the_same(
    registry: ClientRegistry, orders: Issued, own: Issued
) -> None:
    async def go() -> None:
        client = await registry.aauthenticate(None, "orders", certificate=_presented(orders))
        assert client.client_id == "orders"
        with pytest.raises(InvalidClient):
            await registry.aauthenticate(None, "reports", certificate=_presented(orders))
        assert (await registry.aauthenticate(None, "reports", certificate=_presented(own))) == (
            registry["reports"]
        )

    asyncio.run(go())


@pytest.fixture
def jwks_server(own: Issued) -> Iterator[RunningServer]:
    body = json.dumps(public_jwks([own.public_key()])).encode()
    with serve(lambda _: (200, {"Content-Type": "application/json"}, body)) as server:
        yield server


def test_self_signed_keys_from_a_jwks_url_are_fetched_then_cached(
    jwks_server: RunningServer, own: Issued, orders: Issued
) -> None:
    remote = RemoteJWKS(f"{jwks_server.url}/jwks.json")
    registry = ClientRegistry(
        [ServiceClient("reports", remote, auth_method="self_signed_tls_client_auth")],
        token_service=STS,
    )
    assert registry.authenticate(None, "reports", certificate=_presented(own)).client_id == (
        "reports"
    )
    with pytest.raises(InvalidClient):
        registry.authenticate(None, "reports", certificate=_presented(orders))

    async def again() -> None:
        await registry.aauthenticate(None, "reports", certificate=_presented(own))

    asyncio.run(again())
    # a miss does not make the token service fetch again: fresh keys are used as they are
    assert len(jwks_server.requests) == 1


# -- through the endpoint --------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts(registry: ClientRegistry) -> tuple[Minter, TokenService]:
    edge = Minter(KeyRing.generate(), issuer=EDGE)
    service = TokenService(
        Minter(KeyRing.generate(), issuer=STS),
        registry,
        ExchangeRules([Audience("billing")]),
        trusted={EDGE: edge.key_ring},
    )
    return edge, service


def _post(
    app: TokenExchangeEndpoint, form: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sts.test") as client:
            return await client.post("/token", data=form, headers=headers)

    return asyncio.run(go())


def _form(subject: str, client_id: str) -> dict[str, str]:
    # RFC 6749 §2.3.1 / RFC 8705 §2: client_id in the form, no assertion
    return {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject,
        "subject_token_type": JWT_TOKEN_TYPE,
        "audience": "billing",
        "client_id": client_id,
    }


def test_the_endpoint_exchanges_for_a_certificate_in_the_configured_header(
    parts: tuple[Minter, TokenService], orders: Issued
) -> None:
    edge, service = parts
    app = TokenExchangeEndpoint(service, client_cert=ClientCertHeader())
    subject = edge.mint("alice", audience="orders")
    answer = _post(app, _form(subject, "orders"), {"Client-Cert": _rfc9440(orders).decode()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["issued_token_type"] == JWT_TOKEN_TYPE
    malformed = _post(app, _form(subject, "orders"), {"Client-Cert": ":nope:"})
    assert malformed.status_code == 401
    assert malformed.json()["error"] == "invalid_client"
    missing = _post(app, _form(subject, "orders"), {})
    assert missing.status_code == 401


def test_an_unconfigured_header_is_never_read(
    parts: tuple[Minter, TokenService], orders: Issued
) -> None:
    edge, service = parts
    app = TokenExchangeEndpoint(service)  # mutual TLS off
    subject = edge.mint("alice", audience="orders")
    forged = _post(app, _form(subject, "orders"), {"Client-Cert": _rfc9440(orders).decode()})
    assert forged.status_code == 401
    assert forged.json()["error"] == "invalid_client"
    assert "certificate" in forged.json()["error_description"]


def test_the_exchange_client_needs_a_key_or_a_certificate_context() -> None:
    with pytest.raises(ConfigurationError, match=r"client_key .* or an ssl_context"):
        ExchangeClient("https://sts.test/token", client_id="orders")
    context = ssl.create_default_context()
    client = ExchangeClient("https://sts.test/token", client_id="orders", ssl_context=context)
    assert client.client_auth is None  # mutual TLS: no assertion is made
    assert "orders" in repr(client)
