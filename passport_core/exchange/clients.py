"""The registry of services that may call the token service, and how each proves itself.

A service authenticates with ``private_key_jwt`` (RFC 7523 §2.2, §3): a JWT it signs
with its own key, ``iss`` = ``sub`` = its client id, ``aud`` the token service's
issuer or token endpoint URL, a short ``exp`` and a ``jti`` never seen before.
:class:`~passport_core.edge.authenticators.client_auth.ClientAuth` makes exactly these.
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
from passport_core.exchange.replay import AssertionReplayCache
from passport_core.keys import KeysLike
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
    :param keys: its public keys (a JWKS URL through ``RemoteJWKS``, a JWKS, a ``Key``...).
    :param audience: the name it is known by in passports' ``aud`` (default: ``client_id``).
    :param targets: the audiences it may ask passports for; empty: none.
    :param scopes: the scopes it may ask for; ``None``: any the subject token has.
    :param dpop_bound_access_tokens: every passport issued to it must be bound to its key:
        a request without a DPoP proof is refused (RFC 9449 §5.2, the client metadata of
        that name). Without it, a request with a proof still gets a bound passport.
    """

    client_id: str
    keys: KeysLike = field(repr=False)
    audience: str = ""
    targets: frozenset[str] = frozenset()
    scopes: frozenset[str] | None = None
    dpop_bound_access_tokens: bool = False

    def __init__(
        self,
        client_id: str,
        keys: KeysLike,
        *,
        audience: str | None = None,
        targets: Iterable[str] = (),
        scopes: Iterable[str] | None = None,
        dpop_bound_access_tokens: bool = False,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("a service client needs a non-empty client_id")
        if isinstance(targets, str) or isinstance(scopes, str):
            raise ConfigurationError(f"client {client_id!r}: targets and scopes are collections")
        if not isinstance(dpop_bound_access_tokens, bool):
            raise ConfigurationError(f"client {client_id!r}: dpop_bound_access_tokens is a bool")
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "audience", audience or client_id)
        object.__setattr__(self, "targets", frozenset(targets))
        object.__setattr__(self, "scopes", None if scopes is None else frozenset(scopes))
        object.__setattr__(self, "dpop_bound_access_tokens", dpop_bound_access_tokens)


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
        if not isinstance(issuer, str) or issuer not in self._verifiers:
            raise InvalidClient("unknown client")
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

    def authenticate(self, assertion: str | None, client_id: str | None = None) -> ServiceClient:
        """The client whose assertion this is, or :class:`InvalidClient`."""
        verifier = self._claimed(assertion, client_id)
        try:
            verified = verifier.verify(assertion)
        except AuthenticationError as exc:
            raise InvalidClient(f"the client assertion is invalid: {exc.message}") from exc
        return self._accept(verified)

    async def aauthenticate(
        self, assertion: str | None, client_id: str | None = None
    ) -> ServiceClient:
        """:meth:`authenticate` without blocking the event loop."""
        verifier = self._claimed(assertion, client_id)
        try:
            verified = await verifier.averify(assertion)
        except AuthenticationError as exc:
            raise InvalidClient(f"the client assertion is invalid: {exc.message}") from exc
        return self._accept(verified)
