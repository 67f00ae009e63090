"""The registry of services that may call the token service, and how each proves itself.

By default a service authenticates with ``private_key_jwt`` (RFC 7523 §2.2, §3): a JWT it
signs with its own key, ``iss`` = ``sub`` = its client id, ``aud`` the token service's
issuer or token endpoint URL, a short ``exp`` and a ``jti`` never seen before.
:class:`~passport_core.edge.authenticators.client_auth.ClientAuth` makes exactly these.
A service registered for mutual TLS (``tls_client_auth``, ``self_signed_tls_client_auth``,
RFC 8705 §2) sends its ``client_id`` and the certificate the proxy forwarded (``mtls``).
Each client authenticates only by its registered method (RFC 8705 §2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from passport_core import claims as c
from passport_core.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidClient,
    PassportError,
)
from passport_core.exchange.mtls import (
    AUTH_METHODS,
    PRIVATE_KEY_JWT,
    SELF_SIGNED_TLS_CLIENT_AUTH,
    TLS_CLIENT_AUTH,
    CertificateSubject,
    ClientCertificate,
    certificate_matches_keys,
    listed_keys,
)
from passport_core.exchange.replay import AssertionReplayCache
from passport_core.keys import Key, KeysLike
from passport_core.passport import Passport
from passport_core.token import split_compact
from passport_core.verify import Verifier

__all__ = ["ClientRegistry", "ServiceClient"]

#: RFC 7523 §3: exp is required; a longer-lived assertion is a replayable credential
MAX_ASSERTION_LIFETIME = 300.0
#: assertions carry typ JWT (ClientAuth's) or none at all
_ASSERTION_TYPS = ("JWT", None)
_MAX_ASSERTION_BYTES = 4096
_ASSERTION_CLAIMS = frozenset({c.ISSUER, c.SUBJECT, c.AUDIENCE, c.EXPIRES_AT, c.JWT_ID})


@dataclass(frozen=True)
class ServiceClient:
    """A service the token service knows.

    :param client_id: its OAuth client id (the ``iss``/``sub`` of its assertions and the
        ``sub`` of the ``act`` entry it adds).
    :param keys: its public keys (a JWKS URL through ``RemoteJWKS``, a JWKS, a ``Key``...):
        what its assertions are signed with or, for ``self_signed_tls_client_auth``, the
        keys its certificate may hold; ``None`` only for ``tls_client_auth``.
    :param audience: the name it is known by in passports' ``aud`` (default: ``client_id``).
    :param targets: the audiences it may ask passports for; empty: none.
    :param scopes: the scopes it may ask for; ``None``: any the subject token has.
    :param dpop_bound_access_tokens: every passport issued to it must be bound to its key:
        a request without a DPoP proof is refused (RFC 9449 §5.2, the client metadata of
        that name). Without it, a request with a proof still gets a bound passport.
    :param auth_method: how it authenticates (RFC 8705 §2.1.1 ``token_endpoint_auth_method``):
        ``"private_key_jwt"``, ``"tls_client_auth"`` or ``"self_signed_tls_client_auth"``.
    :param tls_subject: for ``tls_client_auth``, the one subject value its certificate
        carries (RFC 8705 §2.1.2).
    """

    client_id: str
    keys: KeysLike | None = field(repr=False)
    audience: str = ""
    targets: frozenset[str] = frozenset()
    scopes: frozenset[str] | None = None
    dpop_bound_access_tokens: bool = False
    auth_method: str = PRIVATE_KEY_JWT
    tls_subject: CertificateSubject | None = None

    def __init__(
        self,
        client_id: str,
        keys: KeysLike | None,
        *,
        audience: str | None = None,
        targets: Iterable[str] = (),
        scopes: Iterable[str] | None = None,
        dpop_bound_access_tokens: bool = False,
        auth_method: str = PRIVATE_KEY_JWT,
        tls_subject: CertificateSubject | None = None,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("a service client needs a non-empty client_id")
        if isinstance(targets, str) or isinstance(scopes, str):
            raise ConfigurationError(f"client {client_id!r}: targets and scopes are collections")
        if not isinstance(dpop_bound_access_tokens, bool):
            raise ConfigurationError(f"client {client_id!r}: dpop_bound_access_tokens is a bool")
        if auth_method not in AUTH_METHODS:
            raise ConfigurationError(f"client {client_id!r}: auth_method is one of {AUTH_METHODS}")
        if (auth_method == TLS_CLIENT_AUTH) != isinstance(tls_subject, CertificateSubject):
            raise ConfigurationError(
                f"client {client_id!r}: a certificate subject goes with tls_client_auth, and only"
            )
        if keys is None and auth_method != TLS_CLIENT_AUTH:
            raise ConfigurationError(f"client {client_id!r}: {auth_method} needs its keys")
        if auth_method == SELF_SIGNED_TLS_CLIENT_AUTH:
            listed_keys(keys)  # type: ignore[arg-type]  # refuses a source it cannot list
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "audience", audience or client_id)
        object.__setattr__(self, "targets", frozenset(targets))
        object.__setattr__(self, "scopes", None if scopes is None else frozenset(scopes))
        object.__setattr__(self, "dpop_bound_access_tokens", dpop_bound_access_tokens)
        object.__setattr__(self, "auth_method", auth_method)
        object.__setattr__(self, "tls_subject", tls_subject)


class ClientRegistry:
    """Known services by client id; authenticates their client assertions.

    :param token_service: the ``aud`` values an assertion may name: the token
        service's issuer and its token endpoint URL (RFC 7523 §3).
    """

    def __init__(
        self,
        clients: Iterable[ServiceClient],
        *,
        token_service: str | Iterable[str],
        leeway: float = 30.0,
        replay_cache: AssertionReplayCache | None = None,
    ) -> None:
        audiences = (token_service,) if isinstance(token_service, str) else tuple(token_service)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ConfigurationError("the token service needs a non-empty name for assertions")
        self._clients: dict[str, ServiceClient] = {}
        self._verifiers: dict[str, Verifier] = {}
        for client in clients:
            if client.client_id in self._clients:
                raise ConfigurationError(f"client {client.client_id!r} is registered twice")
            self._clients[client.client_id] = client
            if client.auth_method != PRIVATE_KEY_JWT or client.keys is None:
                continue  # RFC 8705 §2: no assertion is accepted from a mutual-TLS client
            self._verifiers[client.client_id] = Verifier(
                keys=client.keys,
                issuer=client.client_id,
                audience=audiences,
                typ=_ASSERTION_TYPS,
                leeway=leeway,
                max_lifetime=MAX_ASSERTION_LIFETIME,
                required_claims=_ASSERTION_CLAIMS,
                cache_size=0,  # each assertion is used once: caching it buys nothing
            )
        if replay_cache is not None and not isinstance(replay_cache, AssertionReplayCache):
            raise ConfigurationError("replay_cache must be an AssertionReplayCache")
        # `is not None`, not `or`: an empty cache has len() 0 and would be replaced
        self.replay_cache = replay_cache if replay_cache is not None else AssertionReplayCache()
        self._leeway = leeway

    def __getitem__(self, client_id: str) -> ServiceClient:
        return self._clients[client_id]

    def __iter__(self) -> Iterator[ServiceClient]:
        return iter(self._clients.values())

    @property
    def audiences(self) -> frozenset[str]:
        """Every ``aud`` name a registered service is known by."""
        return frozenset(client.audience for client in self._clients.values())

    def _by_certificate(
        self, assertion: str | None, client_id: str | None, certificate: ClientCertificate | None
    ) -> ServiceClient | None:
        """The mutual-TLS client this request names, or ``None`` for the assertion path."""
        if assertion is not None or client_id is None:
            return None
        client = self._clients.get(client_id)
        if client is None:
            raise InvalidClient("unknown client")
        if client.auth_method == PRIVATE_KEY_JWT:
            return None  # the assertion path refuses it, saying what is missing
        if certificate is None:
            raise InvalidClient(f"{client.auth_method} needs a client certificate")
        return client

    def _check_certificate(
        self, client: ServiceClient, certificate: ClientCertificate, keys: tuple[Key, ...]
    ) -> ServiceClient:
        if client.auth_method == TLS_CLIENT_AUTH:
            # RFC 8705 §2.1: the PKI method relies on the chain the proxy verified
            if not certificate.chain_verified or client.tls_subject is None:
                raise InvalidClient("tls_client_auth needs a certificate whose chain was verified")
            if not client.tls_subject.matches(certificate.certificate):
                raise InvalidClient("the client certificate's subject is not the client's")
            return client
        # RFC 8705 §2.2: the key itself, whatever the certificate says about its holder
        if not certificate_matches_keys(certificate.certificate, keys):
            raise InvalidClient("the client certificate's key is not one of the client's")
        return client

    def _listed(self, client: ServiceClient) -> tuple[tuple[Key, ...], bool]:
        if client.auth_method != SELF_SIGNED_TLS_CLIENT_AUTH or client.keys is None:
            return (), False
        listed = listed_keys(client.keys)
        return (listed or (), listed is None)

    def _claimed(self, assertion: str | None, client_id: str | None) -> Verifier:
        if assertion is None:
            raise InvalidClient("authenticate with a client assertion (private_key_jwt)")
        if len(assertion) > _MAX_ASSERTION_BYTES:
            raise InvalidClient("the client assertion is too large")
        try:
            # Only to pick the client's verifier: the verifier then checks everything.
            issuer = split_compact(assertion).payload.get(c.ISSUER)
        except PassportError as exc:
            raise InvalidClient("the client assertion is malformed") from exc
        if not isinstance(issuer, str) or issuer not in self._clients:
            raise InvalidClient("unknown client")
        if issuer not in self._verifiers:
            raise InvalidClient(_registered_for(self._clients[issuer]))
        if client_id is not None and client_id != issuer:
            raise InvalidClient("client_id does not match the client assertion")
        return self._verifiers[issuer]

    def _accept(self, verified: Passport) -> ServiceClient:
        if verified.subject != verified.issuer:
            raise InvalidClient("the client assertion's sub must equal its iss (RFC 7523 §3)")
        if not verified.jti:
            raise InvalidClient("the client assertion needs a jti")
        # Remembered as long as the verifier would still accept it: exp plus the leeway
        expires = verified.expires_at.timestamp() + self._leeway
        self.replay_cache.check_and_remember(f"{verified.issuer}\x00{verified.jti}", expires)
        return self._clients[verified.issuer]

    def authenticate(
        self,
        assertion: str | None,
        client_id: str | None = None,
        *,
        certificate: ClientCertificate | None = None,
    ) -> ServiceClient:
        """The client whose assertion (or, for mutual TLS, certificate) this is.

        Raises :class:`InvalidClient` when the request does not prove it.
        """
        client = self._by_certificate(assertion, client_id, certificate)
        if client is not None and certificate is not None:
            keys, stale = self._listed(client)
            if stale:
                client.keys.refresh()  # type: ignore[union-attr]  # a RemoteJWKS: fetch first
                keys, _ = self._listed(client)
            return self._check_certificate(client, certificate, keys)
        verifier = self._claimed(assertion, client_id)
        try:
            verified = verifier.verify(assertion)
        except AuthenticationError as exc:
            raise InvalidClient(f"the client assertion is invalid: {exc.message}") from exc
        return self._accept(verified)

    async def aauthenticate(
        self,
        assertion: str | None,
        client_id: str | None = None,
        *,
        certificate: ClientCertificate | None = None,
    ) -> ServiceClient:
        """:meth:`authenticate` without blocking the event loop."""
        client = self._by_certificate(assertion, client_id, certificate)
        if client is not None and certificate is not None:
            keys, stale = self._listed(client)
            if stale:
                await client.keys.arefresh()  # type: ignore[union-attr]  # a RemoteJWKS
                keys, _ = self._listed(client)
            return self._check_certificate(client, certificate, keys)
        verifier = self._claimed(assertion, client_id)
        try:
            verified = await verifier.averify(assertion)
        except AuthenticationError as exc:
            raise InvalidClient(f"the client assertion is invalid: {exc.message}") from exc
        return self._accept(verified)


def _registered_for(client: ServiceClient) -> str:
    return f"client {client.client_id!r} is registered for {client.auth_method}, not an assertion"
