"""Opaque access tokens, checked by OAuth 2.0 token introspection (RFC 7662).

The edge POSTs ``token=...&token_type_hint=access_token`` to the authorization
server's introspection endpoint, authenticating itself as a client
(:mod:`passport_core.edge.authenticators.client_auth`), and trusts the answer
only when ``active`` is JSON ``true`` and every configured check holds.

Answers are cached under a SHA-256 of the token (RFC 7662 §4 allows it; the
cache trades how fast a revocation is seen for load on the server), never past
the token's ``exp`` nor ``cache_ttl``. The identity says so too
(:attr:`~passport_core.Identity.cache_for`: what is left of the answer's
``cache_ttl``), so the edge's mint cache does not reuse a passport for longer
than the answer it rests on. Negative answers are not cached by
default (``negative_ttl=0``): a spray of random tokens is all distinct tokens, so
caching them shields the server from nothing while it would churn the cache;
a client that retries one dead token in a loop is what ``negative_ttl`` is for,
and those entries live in a cache of their own, so they never evict good ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx

from passport_core.edge.authenticators.answers import AnswerCache, SingleFlight, token_digest
from passport_core.edge.authenticators.base import CredentialLocation
from passport_core.edge.authenticators.binding import refuse_sender_constrained
from passport_core.edge.authenticators.claim_mapping import ClaimMapping
from passport_core.edge.authenticators.client_auth import ClientAuth
from passport_core.edge.identity import Identity, issued_at_of, session_of
from passport_core.edge.request import EdgeRequest
from passport_core.errors import (
    ConfigurationError,
    IdentityProviderUnavailable,
    InvalidCredential,
    MalformedToken,
)
from passport_core.http.fetcher import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    BoundedFetcher,
    Fetched,
    RequestBody,
    check_limits,
)
from passport_core.http.urls import checked_url, redacted
from passport_core.keys.key import Key
from passport_core.token.encoding import json_loads_object
from passport_core.token.values import is_number, is_string_list

__all__ = ["IntrospectionAuthenticator"]

logger = logging.getLogger("passport_core.edge")

_DISCOVERY_PATH = "/.well-known/openid-configuration"
#: statuses RFC 6749 §5.2 gives a refused client (invalid_client): the operator's problem
_CLIENT_REFUSED = (400, 401, 403)
#: a token longer than this is refused before anything is sent (no one's access token is)
MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True)
class _Inactive:
    """The server's answer that the token is not active (RFC 7662 §2.2)."""


_INACTIVE = _Inactive()
Answer = Mapping[str, Any] | _Inactive
#: an answer and until when (on the clock) it may be relied on without asking again
Remembered = tuple[Answer, float]


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _check_answer(answer: Mapping[str, Any]) -> None:
    """Every member we read has its RFC 7662 §2.2 type; anything else is a broken server."""
    for name in ("exp", "nbf", "iat", "auth_time"):
        if name in answer and not is_number(answer[name]):
            raise IdentityProviderUnavailable(f"the introspection response's {name!r} is no number")
    for name in ("scope", "client_id", "username", "token_type", "iss", "acr"):
        if name in answer and not isinstance(answer[name], str):
            raise IdentityProviderUnavailable(f"the introspection response's {name!r} is no string")
    aud = answer.get("aud")
    if aud is not None and not (isinstance(aud, str) or is_string_list(aud)):
        raise IdentityProviderUnavailable("the introspection response's 'aud' is malformed")
    if "amr" in answer and not is_string_list(answer["amr"]):
        raise IdentityProviderUnavailable("the introspection response's 'amr' is malformed")


class IntrospectionAuthenticator:
    """Authenticates an opaque ``Authorization: Bearer`` token by asking its server (RFC 7662).

    ::

        IntrospectionAuthenticator(
            "https://idp.example/oauth2/introspect",
            client_id="edge", client_secret=os.environ["EDGE_SECRET"],
            audience="https://api.example",
            mapping=ClaimMapping(roles="roles", tenant="tenant_id"),
        )

    :param endpoint: the introspection endpoint; ``None`` to read it from
        ``issuer``'s discovery document (``introspection_endpoint``).
    :param issuer: the server's issuer: an answer naming another ``iss`` is
        refused, and ``private_key_jwt`` assertions are addressed to it.
    :param client_auth: ``client_secret_basic`` (default), ``client_secret_post``
        or ``private_key_jwt`` (with ``client_key``).
    :param audience: when set, the answer's ``aud`` must name it.
    :param token_type: when set, the answer's ``token_type`` must be it.
    :param subject_claim: where the subject is (``"username"`` for servers
        that give no ``sub``).
    :param mapping: where the answer holds roles, scopes, tenant and profile.
    :param cache_ttl: seconds an active answer is reused (never past ``exp``);
        how long a revoked token may still pass, passports the edge cached from
        it included.
    :param negative_ttl: seconds an inactive answer is reused (0: never).
    :param leeway: seconds of clock skew allowed on ``nbf``.
    :param timeout: seconds each request to the server may take, whole.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        client_id: str,
        client_secret: str | None = None,
        client_auth: str = "client_secret_basic",
        client_key: Key | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        token_type: str | None = None,
        token_type_hint: str | None = "access_token",  # noqa: S107 - RFC 7662 §2.1, no secret
        subject_claim: str = "sub",
        mapping: ClaimMapping | None = None,
        name: str = "introspection",
        header: str | None = None,
        bearer: bool = True,
        cache_ttl: float = 60.0,
        negative_ttl: float = 0.0,
        max_entries: int = 10_000,
        leeway: float = 30.0,
        discovery_ttl: float = 3600.0,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_limits(timeout, max_bytes)
        if endpoint is None and issuer is None:
            raise ConfigurationError("introspection needs an endpoint, or an issuer to discover it")
        if endpoint is not None:
            checked_url(endpoint, allow_insecure=allow_insecure, what="the endpoint")
        self._endpoint = endpoint
        if issuer is not None:
            checked_url(issuer, allow_insecure=allow_insecure, what="the issuer")
        for what, ttl in (
            ("cache_ttl", cache_ttl),
            ("negative_ttl", negative_ttl),
            ("leeway", leeway),
            ("discovery_ttl", discovery_ttl),
        ):
            if not is_number(ttl) or ttl < 0:
                raise ConfigurationError(f"{what} must be a non-negative number of seconds")
        if not isinstance(subject_claim, str) or not subject_claim:
            raise ConfigurationError("subject_claim must be a claim name")
        self.name = name
        self.issuer = issuer
        self.audience = audience
        if audience is None:
            # RFC 7662 §4: an active answer says the token is valid, not that it is for us; a
            # token the same server issued for another API would pass (security review F8).
            logger.warning(
                "introspection without an audience accepts any active token of %s, whatever "
                "API it was issued for: set audience=",
                redacted(httpx.URL(endpoint)) if endpoint else issuer,
            )
        self.token_type = token_type
        self.token_type_hint = token_type_hint
        self.subject_claim = subject_claim
        self.mapping = mapping or ClaimMapping()
        self.cache_ttl = float(cache_ttl)
        self.negative_ttl = float(negative_ttl)
        self.leeway = float(leeway)
        self.discovery_ttl = float(discovery_ttl)
        self.timeout = float(timeout)
        self.allow_insecure = allow_insecure
        self._client = ClientAuth(
            client_id, method=client_auth, client_secret=client_secret, key=client_key
        )
        self._location = CredentialLocation(header, bearer=bearer)
        self._http = BoundedFetcher(
            timeout,
            max_bytes,
            transport,
            async_transport,
            IdentityProviderUnavailable,
            "the introspection endpoint",
        )
        self._discovery_http = BoundedFetcher(
            timeout,
            max_bytes,
            transport,
            async_transport,
            IdentityProviderUnavailable,
            "the discovery endpoint",
        )
        self._clock = clock
        self._answers: AnswerCache[Remembered] = AnswerCache(max_entries, clock)
        self._inactive: AnswerCache[_Inactive] = AnswerCache(max_entries, clock)
        # Discovery and introspection, each bounded, then scheduling.
        self._flights: SingleFlight[Remembered] = SingleFlight(2 * self.timeout + 0.5)
        self._discovered: tuple[str, float] | None = None
        # OpenID Connect Discovery §4: a trailing '/' is removed before appending.
        self._discovery_url = (issuer or "").rstrip("/") + _DISCOVERY_PATH

    # -- the Authenticator protocol -------------------------------------------------------

    @property
    def credential_headers(self) -> frozenset[str]:
        """The headers the credential is read from: the gateway strips them."""
        return self._location.headers

    def credential(self, request: EdgeRequest) -> str | None:
        return self._location.read(request)

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        digest = self._digest(credential)
        remembered = self._remembered(digest)
        if remembered is None:
            remembered = self._flights.run(digest, lambda: self._ask(credential, digest))
        return self._identity(*remembered)

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        digest = self._digest(credential)
        remembered = self._remembered(digest)
        if remembered is None:
            remembered = await self._flights.arun(digest, lambda: self._aask(credential, digest))
        return self._identity(*remembered)

    # -- asking the server ----------------------------------------------------------------

    @staticmethod
    def _digest(credential: str) -> bytes:
        if len(credential) > MAX_TOKEN_LENGTH:
            raise InvalidCredential("the access token is too long")
        return token_digest(credential)

    def _remembered(self, digest: bytes) -> Remembered | None:
        active = self._answers.get(digest)
        if active is not None:
            return active
        inactive = self._inactive.get(digest)
        return None if inactive is None else (inactive, 0.0)

    def _form(self, credential: str, endpoint: str) -> tuple[RequestBody, dict[str, str]]:
        fields = {"token": credential}
        if self.token_type_hint:
            fields["token_type_hint"] = self.token_type_hint
        proof = self._client.credentials(self.issuer or endpoint, self._clock)
        return RequestBody.form({**fields, **proof.form}), proof.headers

    def _ask(self, credential: str, digest: bytes) -> Remembered:
        endpoint = self._endpoint or self._discovered_endpoint() or self._discover()
        body, headers = self._form(credential, endpoint)
        fetched = self._http.post(
            endpoint, "application/json", body, headers=headers, ok=(200, *_CLIENT_REFUSED)
        )
        return self._remember(digest, self._read(fetched, endpoint))

    async def _aask(self, credential: str, digest: bytes) -> Remembered:
        endpoint = self._endpoint or self._discovered_endpoint() or await self._adiscover()
        body, headers = self._form(credential, endpoint)
        fetched = await self._http.apost(
            endpoint, "application/json", body, headers=headers, ok=(200, *_CLIENT_REFUSED)
        )
        return self._remember(digest, self._read(fetched, endpoint))

    def _read(self, fetched: Fetched, endpoint: str) -> Answer:
        if fetched.status != 200:
            # Our client credentials, not the caller's token: a 503 and an operator's log line.
            logger.error(
                "the introspection endpoint %s refused the edge's client credentials "
                "(HTTP %d; client_id=%r, client_auth=%s): check the client registration",
                redacted(httpx.URL(endpoint)),
                fetched.status,
                self._client.client_id,
                self._client.method,
            )
            raise IdentityProviderUnavailable(
                "the introspection endpoint refused the edge's client credentials"
            )
        if _media_type(fetched.content_type) != "application/json":
            raise IdentityProviderUnavailable("the introspection response is not application/json")
        try:
            answer = json_loads_object(fetched.body, "introspection response")
        except MalformedToken as exc:
            raise IdentityProviderUnavailable(exc.message) from exc
        # RFC 7662 §2.2: "active" is a REQUIRED boolean; only JSON true means active.
        if answer.get("active") is not True:
            return _INACTIVE
        _check_answer(answer)
        return MappingProxyType(answer)

    def _remember(self, digest: bytes, answer: Answer) -> Remembered:
        now = self._clock()
        if isinstance(answer, _Inactive):
            if self.negative_ttl > 0:
                self._inactive.put(digest, answer, now + self.negative_ttl)
            return answer, now
        until = now + self.cache_ttl
        expires = answer.get("exp")
        if expires is not None:
            until = min(until, float(expires))  # never past the token's own life
        self._answers.put(digest, (answer, until), until)
        return answer, until

    # -- discovery ------------------------------------------------------------------------

    def _discovered_endpoint(self) -> str | None:
        found = self._discovered
        if found is None or self._clock() >= found[1]:
            return None
        return found[0]

    def _discover(self) -> str:
        return self._from_document(
            self._discovery_http.fetch(self._discovery_url, "application/json")
        )

    async def _adiscover(self) -> str:
        fetched = await self._discovery_http.afetch(self._discovery_url, "application/json")
        return self._from_document(fetched)

    def _from_document(self, fetched: Fetched) -> str:
        try:
            document = json_loads_object(fetched.body, "discovery document")
        except MalformedToken as exc:
            raise IdentityProviderUnavailable(exc.message) from exc
        if document.get("issuer") != self.issuer:
            # OpenID Connect Discovery §4.3: the document must be the issuer's own.
            raise IdentityProviderUnavailable(
                "the discovery document names another issuer than the one configured"
            )
        endpoint = document.get("introspection_endpoint")
        parsed = checked_url(
            endpoint,
            allow_insecure=self.allow_insecure,
            what="the discovery document's introspection_endpoint",
            error=IdentityProviderUnavailable,
        )
        if httpx.URL(self._discovery_url).scheme == "https" and parsed.scheme != "https":
            raise IdentityProviderUnavailable(
                "the discovery document's introspection_endpoint downgrades https to http"
            )
        self._discovered = (str(endpoint), self._clock() + self.discovery_ttl)
        return str(endpoint)

    # -- the answer's checks --------------------------------------------------------------

    def _identity(self, answer: Answer, fresh_until: float) -> Identity:
        if isinstance(answer, _Inactive):
            raise InvalidCredential("the access token is not active")
        now = self._clock()
        expires = answer.get("exp")
        if expires is not None and now >= expires:
            raise InvalidCredential("the access token has expired")
        not_before = answer.get("nbf")
        if not_before is not None and now + self.leeway < not_before:
            raise InvalidCredential("the access token is not valid yet")
        issuer = answer.get("iss")
        if self.issuer is not None and issuer is not None and issuer != self.issuer:
            raise InvalidCredential("the access token was issued by another issuer")
        if self.audience is not None and not self._for_us(answer.get("aud")):
            raise InvalidCredential("the access token is not meant for this audience")
        if self.token_type is not None and (
            str(answer.get("token_type", "")).lower() != self.token_type.lower()
        ):
            # RFC 6749 §7.1: token types compare case-insensitively.
            raise InvalidCredential("the access token is of another type")
        refuse_sender_constrained(answer, "access token")  # RFC 7662 §2.2 may carry cnf
        subject = answer.get(self.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise InvalidCredential(f"the introspection response names no {self.subject_claim!r}")
        auth_time = answer.get("auth_time")
        if auth_time is not None and auth_time > now + self.leeway:
            # Every verifier refuses a passport whose auth_time is in the future: say so here.
            raise InvalidCredential("the access token's authentication time is in the future")
        return Identity(
            subject=subject,
            method=self.name,
            issuer=issuer or self.issuer,
            auth_methods=tuple(answer.get("amr", ())),
            auth_context=answer.get("acr"),
            auth_time=int(auth_time) if auth_time is not None else None,
            expires_at=float(expires) if expires is not None else None,
            # What is left of this answer's cache_ttl: a passport minted from it is
            # not reused past the moment we would ask the server again.
            cache_for=max(0.0, fresh_until - now),
            session=session_of(answer),
            issued_at=issued_at_of(answer),
            common=self.mapping.common(answer),
            attributes=answer,
        )

    def _for_us(self, aud: Any) -> bool:
        names: Iterable[str] = [aud] if isinstance(aud, str) else (aud or ())
        return self.audience is not None and self.audience in names

    def clear_cache(self) -> None:
        """Forget every remembered answer: the next request asks the server."""
        self._answers.clear()
        self._inactive.clear()

    def __repr__(self) -> str:
        where = redacted(httpx.URL(self._endpoint)) if self._endpoint else f"issuer={self.issuer}"
        return f"IntrospectionAuthenticator({where!r}, client={self._client!r})"
