"""The Txn-Token Service (TTS) of draft-ietf-oauth-transaction-tokens-10.

A workload authenticates (``clients``: the token service's ``private_key_jwt`` or mutual
TLS) and
presents what identifies the transaction's subject; the TTS answers one Txn-Token for the
trust domain (draft -10, "Txn-Token Request Processing" and "Txn-Token Response"):

* ``sub`` from the subject token: a passport of a trusted issuer addressed to the workload
  (``access_token`` / ``jwt``), a JWT the workload signed itself (``self_signed``), an
  unsigned JSON object (``unsigned_json``), or a Txn-Token of this TTS (``txn_token``);
* ``scope``: what was asked, only if the workload may ask for it (:class:`TxnWorkload`) and
  no wider than the subject token's ("Scope Processing"); a subject whose scope is unknown
  (no ``scope``) is refused ("Unknown subject_token scope"), except for the self-made
  types, whose scope is the workload's policy;
* ``rctx`` from ``request_context``, ``tctx`` from ``request_details``, copied as given;
* ``req_wl``: the authenticated workload; ``txn``: a new UUID; never outliving the subject.

A Txn-Token as ``subject_token`` is a *replacement* ("Txn-Token as a subject_token"): it keeps
``txn``, ``sub``, ``aud``, ``tctx`` and ``rctx`` unchanged, its scope only narrows, it never
outlives the token it replaces, and the workload is appended to ``req_wl``. -10 leaves how the
chain is kept out of scope and keeps ``req_wl`` a string; this service keeps -07/-08's rule,
the identifiers joined by ``,`` (so a workload's client id holds no comma).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core import claims as c
from passport_core.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    InvalidSubjectToken,
    InvalidTarget,
    MintingError,
    PassportError,
    UnauthorizedClient,
)
from passport_core.exchange.clients import ServiceClient
from passport_core.exchange.mtls import ClientCertificate
from passport_core.exchange.request import ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE
from passport_core.exchange.rules import MAY_ACT
from passport_core.exchange.service import ExchangeResult, TokenService
from passport_core.exchange.txn_request import (
    SELF_SIGNED_TOKEN_TYPE,
    SUBJECT_TOKEN_TYPES,
    TXN_TOKEN_URN,
    TxnTokenRequest,
    read_txn_request,
)
from passport_core.passport import Passport
from passport_core.token import fingerprint
from passport_core.token.encoding import json_loads_object
from passport_core.txntoken import DEFAULT_TXN_TTL, MAX_TXN_TTL, TransactionTokens
from passport_core.verify import Verifier

__all__ = ["NOT_APPLICABLE", "TxnTokenResult", "TxnTokenService", "TxnWorkload"]

logger = logging.getLogger("passport_core.exchange")

#: draft -10, "Txn-Token Response": token_type N_A (RFC 8693 §2.2.1: not an access token)
NOT_APPLICABLE = "N_A"
#: by default a workload may present a passport or a Txn-Token (a replacement)
DEFAULT_SUBJECT_TYPES = frozenset({"access_token", "jwt", "txn_token"})
#: draft -10, "Self-Signed Subject Token Type": iss, sub, aud, iat and exp are REQUIRED
_SELF_SIGNED_CLAIMS = frozenset({c.ISSUER, c.SUBJECT, c.AUDIENCE, c.ISSUED_AT, c.EXPIRES_AT})
_SELF_SIGNED_MAX_LIFETIME = 300.0
#: past exp, the seconds a spent self-signed jti is kept: beyond any verifier's leeway
_SPENT_MARGIN = 120.0
_MAX_UNSIGNED_BYTES = 4096
#: the most workloads a replaced Txn-Token's req_wl records
DEFAULT_MAX_CHAIN = 8


@dataclass(frozen=True)
class TxnWorkload:
    """A workload the TTS issues Txn-Tokens to (draft -10, "TTS Issuance Policies").

    :param client_id: its client id in the token service's
        :class:`~passport_core.ClientRegistry` (it becomes ``req_wl``).
    :param scopes: the purposes it may ask for; a Txn-Token's ``scope`` is a subset.
    :param subject_token_types: what it may present, by short name: ``access_token``,
        ``jwt`` (a passport), ``txn_token`` (a replacement), ``self_signed``,
        ``unsigned_json`` (the last two let it name any subject: grant them with care).
    """

    client_id: str
    scopes: frozenset[str]
    subject_token_types: frozenset[str] = DEFAULT_SUBJECT_TYPES

    def __init__(
        self,
        client_id: str,
        *,
        scopes: Iterable[str],
        subject_token_types: Iterable[str] = DEFAULT_SUBJECT_TYPES,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("a Txn-Token workload needs a non-empty client_id")
        if "," in client_id:
            # req_wl joins a replacement's workloads with commas (-07/-08's rule)
            raise ConfigurationError(f"workload {client_id!r}: a client_id with a comma")
        if isinstance(scopes, str) or isinstance(subject_token_types, str):
            raise ConfigurationError(f"workload {client_id!r}: scopes and types are collections")
        allowed = frozenset(scopes)
        if not allowed or not all(isinstance(s, str) and s and " " not in s for s in allowed):
            raise ConfigurationError(f"workload {client_id!r}: scopes must be non-empty tokens")
        types = frozenset(subject_token_types)
        unknown = types - SUBJECT_TOKEN_TYPES.keys()
        if unknown or not types:
            raise ConfigurationError(
                f"workload {client_id!r}: unknown subject_token_types {sorted(unknown)}"
                f" (known: {sorted(SUBJECT_TOKEN_TYPES)})"
            )
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "scopes", allowed)
        object.__setattr__(self, "subject_token_types", types)

    def accepts(self, subject_token_type: str) -> bool:
        """Whether it may present a subject token of this (URN) type."""
        return any(
            SUBJECT_TOKEN_TYPES[name] == subject_token_type for name in self.subject_token_types
        )


@dataclass(frozen=True)
class TxnTokenResult(ExchangeResult):
    """A Txn-Token Response (draft -10): ``access_token``, ``issued_token_type``, ``token_type``.

    ``expires_in`` and ``scope`` stay out of the body: -10 does not ask for them and -06 and
    earlier forbade them, so the body is one every revision's client accepts (the Txn-Token's
    own ``exp`` and ``scope`` say the same).
    """

    issued_token_type: str = TXN_TOKEN_URN
    token_type: str = NOT_APPLICABLE

    def body(self) -> dict[str, Any]:
        """The JSON response body."""
        return {
            "access_token": self.access_token,
            "issued_token_type": self.issued_token_type,
            "token_type": self.token_type,
        }


@dataclass(frozen=True)
class _Subject:
    """What the subject token establishes, whatever its type."""

    subject: str
    scopes: frozenset[str] | None  # None: the workload's policy decides (self-made types)
    expires_at: float | None
    replaced: Passport | None = None


class TxnTokenService:
    """Issues Txn-Tokens (draft -10) from a :class:`TokenService`'s keys and clients.

    ::

        tts = TxnTokenService(
            service,                                   # issuer, ring, clients, trusted issuers
            trust_domain="trust-domain.example",
            workloads=[TxnWorkload("gateway", scopes={"trade.stocks"})],
        )
        result = tts.issue(form)                       # TxnTokenResult, token_type N_A
        TokenExchangeEndpoint(service, txn_tokens=tts) # one endpoint for both

    Txn-Tokens are signed by the token service's ring with its issuer as ``iss``; ``typ``
    ``txntoken+jwt`` keeps them apart from its passports (RFC 8725 §3.11).

    :param ttl: a Txn-Token's lifetime (at most 300 s: "Txn-Token Lifetime"), shortened to
        the subject token's ``exp``.
    :param identifiers: the ``aud`` a self-signed subject token must name: this TTS's
        unique identifier (default: the token service's issuer).
    :param max_chain: the most workloads a replacement's ``req_wl`` may list.
    """

    def __init__(
        self,
        service: TokenService,
        *,
        trust_domain: str,
        workloads: Iterable[TxnWorkload],
        ttl: float = DEFAULT_TXN_TTL,
        identifiers: Collection[str] = (),
        max_chain: int = DEFAULT_MAX_CHAIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(ttl, bool) or not (isinstance(ttl, int | float) and 1 <= ttl <= MAX_TXN_TTL):
            raise ConfigurationError(f"a Txn-Token's ttl must be in [1, {MAX_TXN_TTL:g}] seconds")
        if isinstance(max_chain, bool) or not isinstance(max_chain, int) or max_chain < 2:
            raise ConfigurationError("max_chain must be a whole number of at least 2")
        ring = service.minter.key_ring
        self.service = service
        self.preset = TransactionTokens(trust_domain, issuer=service.minter.issuer)
        self.minter = self.preset.minter(ring, default_ttl=ttl, max_ttl=MAX_TXN_TTL, clock=clock)
        self.trust_domain = trust_domain
        self.ttl = int(ttl)
        self.max_chain = max_chain
        self._clock = clock
        self.workloads: dict[str, TxnWorkload] = {}
        for workload in workloads:
            if workload.client_id in self.workloads:
                raise ConfigurationError(f"workload {workload.client_id!r} is listed twice")
            try:
                service.clients[workload.client_id]
            except KeyError:
                raise ConfigurationError(
                    f"workload {workload.client_id!r} is not a registered client"
                ) from None
            self.workloads[workload.client_id] = workload
        names = tuple(identifiers) or (service.minter.issuer,)
        # The TTS's own Txn-Tokens, for replacements. Whatever a verifier's leeway, a subject
        # token past its exp is refused by _issue (-10: MUST NOT issue for an expired one).
        self._own = self.preset.verifier(ring, clock=clock)
        for workload in self.workloads.values():
            if "self_signed" in workload.subject_token_types and (
                service.clients[workload.client_id].keys is None
            ):
                raise ConfigurationError(
                    f"workload {workload.client_id!r} may present self_signed tokens but has no"
                    " keys to check them with (a mutual-TLS client: register its jwks too)"
                )
        self._self_signed = {
            client.client_id: Verifier(
                keys=client.keys,
                issuer=client.client_id,  # -10: iss is the requesting workload
                audience=names,  # -10: aud is the TTS's unique identifier
                typ=("JWT", None),
                max_lifetime=_SELF_SIGNED_MAX_LIFETIME,
                required_claims=_SELF_SIGNED_CLAIMS,
                clock=clock,
                cache_size=0,
            )
            for client in service.clients
            if client.client_id in self.workloads
            and "self_signed" in self.workloads[client.client_id].subject_token_types
        }

    # -- the two twins ---------------------------------------------------------------------

    def issue(
        self,
        form: Mapping[str, Sequence[str]],
        *,
        proofs: Sequence[str] = (),
        certificate: ClientCertificate | None = None,
    ) -> TxnTokenResult:
        """Answer one Txn-Token Request's form fields, or raise its
        :class:`~passport_core.ExchangeError` (RFC 6749 §5.2).

        ``certificate`` is the workload's TLS client certificate, for workloads registered
        for mutual TLS (RFC 8705 §2, which the draft's "Mutual Authentication" names).
        """
        request = read_txn_request(form)
        client = self.service.clients.authenticate(
            request.client_assertion, request.client_id, certificate=certificate
        )
        self._authorize(client, request, proofs)
        verifier = self._verifier(client, request)
        try:
            verified = None if verifier is None else verifier.verify(request.subject_token)
        except AuthenticationError as exc:
            raise InvalidSubjectToken(f"the subject token is invalid: {exc.message}") from exc
        return self._issue(request, client, self._subject(client, request, verified))

    async def aissue(
        self,
        form: Mapping[str, Sequence[str]],
        *,
        proofs: Sequence[str] = (),
        certificate: ClientCertificate | None = None,
    ) -> TxnTokenResult:
        """:meth:`issue` without blocking the event loop (remote keys fetched async)."""
        request = read_txn_request(form)
        client = await self.service.clients.aauthenticate(
            request.client_assertion, request.client_id, certificate=certificate
        )
        self._authorize(client, request, proofs)
        verifier = self._verifier(client, request)
        try:
            verified = None if verifier is None else await verifier.averify(request.subject_token)
        except AuthenticationError as exc:
            raise InvalidSubjectToken(f"the subject token is invalid: {exc.message}") from exc
        return self._issue(request, client, self._subject(client, request, verified))

    # -- the rules -------------------------------------------------------------------------

    def _authorize(
        self, client: ServiceClient, request: TxnTokenRequest, proofs: Sequence[str]
    ) -> None:
        """The TTS's issuance policy (-10, "TTS Issuance Policies") for this workload."""
        if proofs:
            # A Txn-Token is not sender-constrained: a proof would bind nothing.
            raise InvalidRequest("a Txn-Token Request carries no DPoP proof")
        workload = self.workloads.get(client.client_id)
        if workload is None:
            raise UnauthorizedClient(f"client {client.client_id!r} may not obtain Txn-Tokens")
        if request.audience != self.trust_domain:
            # -10: audience MUST be the trust domain; one TTS per trust domain
            raise InvalidTarget("audience must name this trust domain")
        if not workload.accepts(request.subject_token_type):
            raise UnauthorizedClient(
                f"client {client.client_id!r} may not present this subject_token_type"
            )
        if not request.scopes <= workload.scopes:
            raise InvalidScope(f"client {client.client_id!r} may not ask for that scope")

    def _verifier(self, client: ServiceClient, request: TxnTokenRequest) -> Verifier | None:
        """Who vouches for the subject token: its issuer's keys, or none (unsigned JSON)."""
        kind = request.subject_token_type
        if kind in (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE):
            return self.service.subjects  # the token service's trusted issuers
        if kind == SELF_SIGNED_TOKEN_TYPE:
            return self._self_signed[client.client_id]
        if kind == TXN_TOKEN_URN:
            return self._own
        return None

    def _subject(
        self, client: ServiceClient, request: TxnTokenRequest, verified: Passport | None
    ) -> _Subject:
        kind = request.subject_token_type
        if verified is None:
            return self._from_unsigned(request.subject_token)
        if kind == TXN_TOKEN_URN:
            return self._from_txn_token(request, verified)
        if kind == SELF_SIGNED_TOKEN_TYPE:
            self._spend(verified)
            # -10: the TTS uses its sub; its scope is the workload's policy (no other source)
            return _Subject(verified.subject, None, verified.expires_at.timestamp())
        return self._from_passport(client, verified)

    def _spend(self, verified: Passport) -> None:
        # A self-signed token shaped like a client assertion (iss = sub = the workload, aud
        # this service, a jti) could log the workload in elsewhere: its jti is spent in the
        # assertion replay cache, so each such token serves once, in one role or the other.
        if not verified.jti:
            return  # no jti: never a client assertion (RFC 7523 §3 requires one)
        expires = verified.expires_at.timestamp() + _SPENT_MARGIN
        try:
            self.service.clients.replay_cache.check_and_remember(
                f"{verified.issuer}\x00{verified.jti}", expires
            )
        except InvalidClient as exc:
            raise InvalidSubjectToken("the self-signed token's jti was already used") from exc

    @staticmethod
    def _from_passport(client: ServiceClient, passport: Passport) -> _Subject:
        # The workload presents only a passport it was given (addressed to it), as at exchange.
        if client.audience not in passport.audience:
            raise InvalidSubjectToken(
                "the subject token is not addressed to the requesting workload"
            )
        may_act = passport.claims.get(MAY_ACT)  # RFC 8693 §4.4
        if may_act is not None and not (
            isinstance(may_act, Mapping) and may_act.get(c.SUBJECT) == client.client_id
        ):
            raise UnauthorizedClient("the subject token's may_act does not name this workload")
        return _Subject(passport.subject, passport.scopes, passport.expires_at.timestamp())

    @staticmethod
    def _from_unsigned(token: str) -> _Subject:
        raw = token.encode("utf-8")
        if len(raw) > _MAX_UNSIGNED_BYTES:
            raise InvalidSubjectToken(
                f"the unsigned subject token is over {_MAX_UNSIGNED_BYTES} bytes"
            )
        try:
            document = json_loads_object(raw, "subject_token")
        except PassportError as exc:
            raise InvalidSubjectToken("the unsigned subject token is not a JSON object") from exc
        subject = document.get(c.SUBJECT)
        if not isinstance(subject, str) or not subject:
            # -10, "Unsigned JSON Object Subject Token Type": sub is REQUIRED
            raise InvalidSubjectToken("the unsigned subject token needs a sub")
        return _Subject(subject, None, None)

    def _from_txn_token(self, request: TxnTokenRequest, replaced: Passport) -> _Subject:
        if request.request_details is not None or request.request_context is not None:
            # tctx stays immutable along the call chain; rctx is the originating request's
            raise InvalidRequest("a replacement keeps tctx and rctx: send no request_details")
        chain = str(replaced.claims[c.REQUESTING_WORKLOAD]).split(",")
        if len(chain) >= self.max_chain:
            raise InvalidSubjectToken(f"the Txn-Token was replaced {len(chain) - 1} times already")
        return _Subject(
            replaced.subject, replaced.scopes, replaced.expires_at.timestamp(), replaced
        )

    def _issue(
        self,
        request: TxnTokenRequest,
        client: ServiceClient,
        subject: _Subject,
    ) -> TxnTokenResult:
        if subject.scopes is not None:
            if not subject.scopes:
                # -10, "Unknown subject_token scope": never treated as unconstrained
                raise InvalidScope("the subject token's scope is unknown")
            if not request.scopes <= subject.scopes:
                # -10, "Scope Processing": never wider than the subject token's
                raise InvalidScope("the requested scope is wider than the subject token's")
        lifetime = self.ttl
        if subject.expires_at is not None:
            # Never later than the subject token; a second's margin for the minter's clock.
            lifetime = min(lifetime, math.floor(subject.expires_at - self._clock()) - 1)
        if lifetime <= 0:
            # -10, "Txn-Token Lifetime": never for an expired subject token (nor one about to be)
            raise InvalidSubjectToken("the subject token has expired or expires too soon")
        replaced = subject.replaced
        if replaced is None:
            txn = None
            chain = client.client_id
            tctx = request.request_details
            rctx = request.request_context
        else:
            # -10: txn, sub and aud are kept; tctx/rctx are not widened: kept as they are
            txn = str(replaced.claims[c.TRANSACTION])
            chain = f"{replaced.claims[c.REQUESTING_WORKLOAD]},{client.client_id}"
            tctx = _thawed(replaced.claims.get(c.TRANSACTION_CONTEXT))
            rctx = _thawed(replaced.claims.get(c.REQUEST_CONTEXT))
        try:
            token = self.minter.mint(
                subject.subject,
                scope=sorted(request.scopes),
                requesting_workload=chain,
                txn=txn,
                transaction_context=tctx,
                request_context=rctx,
                ttl=lifetime,
            )
        except MintingError as exc:  # over the size every verifier accepts
            raise InvalidRequest(f"the Txn-Token cannot be issued: {exc.message}") from exc
        logger.info(
            "issued Txn-Token %s: workload=%s subject_token_type=%s replacement=%s",
            fingerprint(token),
            client.client_id,
            request.subject_token_type.rsplit(":", 1)[-1],
            replaced is not None,
        )
        return TxnTokenResult(token, lifetime, request.scopes)


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {name: _thawed(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_thawed(item) for item in value]
    return value
