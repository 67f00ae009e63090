"""TLS on the fetcher's own deadline-aware backend, against a real HTTPS server on 127.0.0.1.

The sync path resolves the name itself and connects to an address; the
certificate must still be checked against the *name* in the URL (SNI and
hostname check), and an unknown CA must still be refused.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from passport_core import KeyRing, KeysUnavailable, RemoteJWKS
from passport_core.http import fetcher


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str, issuer: x509.Name, issuer_key: Any, key: Any, sans: list[x509.GeneralName]
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    else:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def tls_dir(tmp_path: Path) -> Path:
    """A CA, and a server certificate from it for the name ``keys.test`` only."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("test CA", _name("test CA"), ca_key, ca_key, [])
    key = ec.generate_private_key(ec.SECP256R1())
    server = _cert("keys.test", ca.subject, ca_key, key, [x509.DNSName("keys.test")])
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "server.pem").write_bytes(_pem(server))
    (tmp_path / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp_path


@pytest.fixture
def https_port(tls_dir: Path, ring: KeyRing) -> Iterator[int]:
    body = json.dumps(ring.public_jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_dir / "server.pem", tls_dir / "server.key")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def names_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*.test`` names resolve to 127.0.0.1 (no DNS server here)."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes bytes
        if isinstance(name, str) and name.endswith(".test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def trust(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Trust the test CA (httpx reads SSL_CERT_FILE); the cached context is rebuilt."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_dir / "ca.pem"))
    fetcher._ssl_context.cache_clear()
    yield
    fetcher._ssl_context.cache_clear()


def _lookup(url: str, kid: str, mode: str) -> Any:
    source = RemoteJWKS(url)
    return asyncio.run(source.aget_key(kid)) if mode == "async" else source.get_key(kid)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_certificate_is_checked_against_the_url_name_not_the_address(
    https_port: int, names_to_loopback: None, trust: None, ring: KeyRing, mode: str
) -> None:
    kid = ring.active.kid
    assert _lookup(f"https://keys.test:{https_port}/jwks.json", kid, mode) is not None
    # Same address, another name: the certificate does not name it.
    with pytest.raises(KeysUnavailable):
        _lookup(f"https://other.test:{https_port}/jwks.json", kid, mode)
    # The address itself: the certificate names no IP address.
    with pytest.raises(KeysUnavailable):
        _lookup(f"https://127.0.0.1:{https_port}/jwks.json", kid, mode)


def test_an_unknown_ca_is_refused_sync_and_async(
    https_port: int, names_to_loopback: None, ring: KeyRing
) -> None:
    fetcher._ssl_context.cache_clear()
    source = RemoteJWKS(f"https://keys.test:{https_port}/jwks.json")
    with pytest.raises(KeysUnavailable):
        source.get_key(ring.active.kid)
    with pytest.raises(KeysUnavailable):
        asyncio.run(RemoteJWKS(f"https://keys.test:{https_port}/jwks.json").aget_key("x"))
