"""Mutual-TLS client authentication at the token service (RFC 8705 §2), behind a proxy.

TLS ends at a proxy (nginx, Envoy...) that asks for the client's certificate and
forwards it to the token service in a header (:class:`ClientCertHeader`): RFC 9440
``Client-Cert`` (``:base64(DER):``) or nginx's ``$ssl_client_escaped_cert`` (URL-encoded
PEM). The header is trusted only where the deployment names it, because anything
reaching the app directly can send it; unnamed, it is never read.

A client registered for mutual TLS sends its ``client_id`` in the form and no
assertion (RFC 6749 §2.3.1, RFC 8705 §2), and is authenticated by its registered
method (RFC 8705 §2: the server enforces it):

* ``tls_client_auth`` (§2.1): the proxy verified the chain to the deployment's CA; the
  certificate must carry the client's one registered subject value
  (:class:`CertificateSubject`);
* ``self_signed_tls_client_auth`` (§2.2): no chain is relied on; the certificate's public
  key must be one of the client's registered keys, matched by the key itself.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from passport_core.errors import ConfigurationError, InvalidClient, PassportError
from passport_core.keys import Key, KeysLike, load_jwks

__all__ = [
    "AUTH_METHODS",
    "CERT_FORMATS",
    "PRIVATE_KEY_JWT",
    "SELF_SIGNED_TLS_CLIENT_AUTH",
    "SUBJECT_FIELDS",
    "TLS_CLIENT_AUTH",
    "CertificateSubject",
    "ClientCertHeader",
    "ClientCertificate",
    "certificate_matches_keys",
    "listed_keys",
]

#: RFC 7591 / RFC 8414 ``token_endpoint_auth_method`` values
PRIVATE_KEY_JWT = "private_key_jwt"
TLS_CLIENT_AUTH = "tls_client_auth"
SELF_SIGNED_TLS_CLIENT_AUTH = "self_signed_tls_client_auth"
AUTH_METHODS = (PRIVATE_KEY_JWT, TLS_CLIENT_AUTH, SELF_SIGNED_TLS_CLIENT_AUTH)
#: RFC 8705 §2.1.2: the client metadata naming the one subject value a certificate must carry
SUBJECT_FIELDS = (
    "tls_client_auth_subject_dn",
    "tls_client_auth_san_dns",
    "tls_client_auth_san_uri",
    "tls_client_auth_san_ip",
    "tls_client_auth_san_email",
)
RFC9440 = "rfc9440"
NGINX_ESCAPED_PEM = "nginx-escaped-pem"
CERT_FORMATS = (RFC9440, NGINX_ESCAPED_PEM)
#: a certificate is a few KiB; a header far larger is an attack or a misconfiguration
MAX_HEADER_BYTES = 16 * 1024
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 §5.1: a token
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class ClientCertificate:
    """The certificate the client presented to the proxy.

    ``chain_verified``: the proxy verified its chain (only then may ``tls_client_auth``
    rely on its subject).
    """

    certificate: x509.Certificate
    chain_verified: bool = True

    def __repr__(self) -> str:
        return f"ClientCertificate(subject={self.certificate.subject.rfc4514_string()!r})"


def _parse_rfc9440(value: bytes) -> bytes:
    # RFC 9440 §2.2: a structured-field byte sequence (RFC 8941 §3.3.5), ":" base64 ":"
    text = value.strip(b" \t")
    if len(text) < 3 or text[:1] != b":" or text[-1:] != b":":
        raise InvalidClient("the client certificate header is not an RFC 9440 byte sequence")
    try:
        return base64.b64decode(text[1:-1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidClient("the client certificate header is not valid base64") from exc


def _parse_escaped_pem(value: bytes) -> bytes:
    # nginx's $ssl_client_escaped_cert: the leaf's PEM, URL-encoded (RFC 3986 §2.1)
    pem = unquote_to_bytes(value.strip(b" \t"))
    if not pem.startswith(_PEM_BEGIN) or pem.count(_PEM_BEGIN) != 1:
        raise InvalidClient("the client certificate header is not one URL-encoded PEM certificate")
    return pem


@dataclass(frozen=True)
class ClientCertHeader:
    """Where the TLS-terminating proxy forwards the client's certificate.

    :param name: the header (``Client-Cert``, RFC 9440); the proxy verified the chain of
        what it puts there, and removes any the client sent.
    :param format: ``"rfc9440"`` (``:base64(DER):``) or ``"nginx-escaped-pem"``
        (``$ssl_client_escaped_cert``).
    :param unverified_name: optionally, a second header for certificates the proxy
        accepted without checking their chain (nginx ``ssl_verify_client
        optional_no_ca``): only ``self_signed_tls_client_auth`` clients match these.
    """

    name: str = "Client-Cert"
    format: str = RFC9440
    unverified_name: str | None = None

    def __post_init__(self) -> None:
        names = [self.name] + ([self.unverified_name] if self.unverified_name is not None else [])
        for name in names:
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
                raise ConfigurationError(f"{name!r} is not a header name")
        if len({name.lower() for name in names}) != len(names):
            raise ConfigurationError("the verified and unverified certificate headers must differ")
        if self.format not in CERT_FORMATS:
            raise ConfigurationError(f"the client certificate format is one of {CERT_FORMATS}")

    def read(self, headers: Iterable[tuple[bytes, bytes]]) -> ClientCertificate | None:
        """The certificate in an ASGI request's raw ``headers``; ``None`` when none was sent.

        More than one such header, an oversized one or one that is not a certificate is
        :class:`InvalidClient` (the proxy sets exactly one: anything else is not its).
        """
        verified = self.name.lower().encode("latin-1")
        unverified = (self.unverified_name or "").lower().encode("latin-1")
        found: list[tuple[bytes, bool]] = []
        for raw_name, raw_value in headers:
            name = raw_name.lower()
            if name == verified or (unverified and name == unverified):
                found.append((raw_value, name == verified))
        if not found:
            return None
        if len(found) > 1:
            raise InvalidClient("more than one client certificate header")
        value, chain_verified = found[0]
        if len(value) > MAX_HEADER_BYTES:
            raise InvalidClient("the client certificate header is too large")
        if not value.strip(b" \t"):
            return None  # a proxy's empty variable: no certificate was presented
        try:
            if self.format == RFC9440:
                certificate = x509.load_der_x509_certificate(_parse_rfc9440(value))
            else:
                certificate = x509.load_pem_x509_certificate(_parse_escaped_pem(value))
        except ValueError as exc:
            raise InvalidClient("the client certificate header holds no valid certificate") from exc
        return ClientCertificate(certificate, chain_verified=chain_verified)


# -- tls_client_auth: the one registered subject value (RFC 8705 §2.1.2) -------------------


def _normalized(value: str) -> str:
    # RFC 4518 §2 in short: case folded, inner white space collapsed, ends trimmed
    return " ".join(value.split()).casefold()


def _rdns(name: x509.Name) -> list[frozenset[tuple[str, str]]]:
    return [
        frozenset((item.oid.dotted_string, _normalized(str(item.value))) for item in rdn)
        for rdn in name.rdns
    ]


def _email_key(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()  # RFC 5280 §4.2.1.6: the host part is case-insensitive


@dataclass(frozen=True)
class CertificateSubject:
    """The subject value a ``tls_client_auth`` client's certificate carries (RFC 8705 §2.1.2).

    ``field`` is one of :data:`SUBJECT_FIELDS`: the subject DN (RFC 4514 text, compared
    attribute by attribute, case-insensitively), or a subjectAltName entry of one type:
    ``dNSName`` (case-insensitive, a wildcard only matches itself), ``uniformResourceIdentifier``
    (exact), ``iPAddress`` (as an address: ``::1`` and ``0:0::1`` are one) or ``rfc822Name``.
    """

    field: str
    value: str

    def __post_init__(self) -> None:
        if self.field not in SUBJECT_FIELDS:
            raise ConfigurationError(f"the certificate subject field is one of {SUBJECT_FIELDS}")
        if not isinstance(self.value, str) or not self.value:
            raise ConfigurationError(f"{self.field} must be a non-empty string")
        try:
            self._expected()
        except ValueError as exc:
            raise ConfigurationError(f"{self.field}: {self.value!r} is not valid") from exc

    def _expected(self) -> Any:
        if self.field == "tls_client_auth_subject_dn":
            return _rdns(x509.Name.from_rfc4514_string(self.value))
        if self.field == "tls_client_auth_san_ip":
            return ipaddress.ip_address(self.value)
        if self.field == "tls_client_auth_san_dns":
            return self.value.lower()
        if self.field == "tls_client_auth_san_email":
            if "@" not in self.value:
                raise ValueError("an email address has an @")
            return _email_key(self.value)
        return self.value

    def matches(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` carries this subject value."""
        expected = self._expected()
        if self.field == "tls_client_auth_subject_dn":
            return bool(_rdns(certificate.subject) == expected)
        try:
            names = certificate.extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            ).value
        except x509.ExtensionNotFound:
            return False
        except ValueError:  # an extension cryptography cannot parse: no match, not a crash
            return False
        if self.field == "tls_client_auth_san_dns":
            return expected in (name.lower() for name in names.get_values_for_type(x509.DNSName))
        if self.field == "tls_client_auth_san_uri":
            return expected in names.get_values_for_type(x509.UniformResourceIdentifier)
        if self.field == "tls_client_auth_san_ip":
            return expected in names.get_values_for_type(x509.IPAddress)
        return expected in (_email_key(name) for name in names.get_values_for_type(x509.RFC822Name))


# -- self_signed_tls_client_auth: the key itself (RFC 8705 §2.2) ------------------------------


def _spki(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def listed_keys(keys: KeysLike) -> tuple[Key, ...] | None:
    """The registered keys when they can be listed now; ``None`` for a source that fetches.

    A ``Key``, keys, a JWKS dict or ``StaticKeys`` list themselves; a remote source
    (``RemoteJWKS``) lists its cache, and ``None`` means "refresh it first".
    """
    if isinstance(keys, Key):
        return (keys,)
    if isinstance(keys, Mapping):
        return tuple(load_jwks(keys))
    held = getattr(keys, "keys", None)
    if isinstance(held, tuple):
        generation = getattr(keys, "key_generation", None)
        if callable(generation) and hasattr(keys, "refresh") and (not held or generation() == -1):
            return None  # empty or due for a refresh (RemoteJWKS)
        return held
    if isinstance(keys, Iterable):
        listed = tuple(keys)
        if all(isinstance(key, Key) for key in listed):
            return listed
    raise ConfigurationError(
        "self_signed_tls_client_auth needs keys it can list: a Key, keys, a JWKS or RemoteJWKS"
    )


def certificate_matches_keys(certificate: x509.Certificate, keys: Sequence[Key]) -> bool:
    """Whether the certificate's public key is one of ``keys`` (its SubjectPublicKeyInfo)."""
    try:
        presented = _spki(certificate.public_key())
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a key type cryptography lacks
        return False
    for key in keys:
        try:
            if _spki(load_pem_public_key(key.to_pem())) == presented:
                return True
        except (PassportError, ValueError, TypeError):  # a symmetric key has no public half
            continue
    return False
