"""The token service: one verified passport in, a narrower one for the next hop out.

RFC 8693 §2: the calling service authenticates (``clients``), presents a passport
addressed to it as ``subject_token`` and names the next hop. The new passport keeps
the subject and how they authenticated, carries only what the target may see
(``rules``), never outlives the subject token, and records the caller in a nested
``act`` (§4.1) over the subject token's own: the token service signs the chain, and
copies it only from a verified passport addressed to the caller, so no hop can forge
or truncate it.

A request carrying a DPoP proof (RFC 9449 §5) gets a passport bound to the proof's key
(``cnf.jkt``, token type ``DPoP``): the next hop then accepts it only with a fresh
proof from that key, so a passport captured on the way is useless on its own.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core import claims as c
from passport_core.dpop.proof import ProofVerifier, VerifiedProof, confirmation
from passport_core.dpop.target import RequestTarget
from passport_core.edge.common import CommonData
from passport_core.errors import (
    AuthenticationError,
    InvalidExchangeProof,
    InvalidProof,
    InvalidSubjectToken,
)
from passport_core.exchange.clients import ClientRegistry, ServiceClient
from passport_core.exchange.mtls import ClientCertificate
from passport_core.exchange.request import JWT_TOKEN_TYPE, ExchangeRequest, read_request
from passport_core.exchange.rules import MAY_ACT, ExchangeRules
from passport_core.keys import KeysLike
from passport_core.mint import Minter
from passport_core.passport import Passport
from passport_core.token import fingerprint
from passport_core.verify import Verifier

__all__ = ["ExchangeResult", "TokenService"]

logger = logging.getLogger("passport_core.exchange")

#: claims the new passport sets itself, never copied as custom claims
_NOT_CUSTOM = c.REGISTERED | {
    c.SCOPE,
    c.ROLES,
    c.PERMISSIONS,
    c.TENANT,
    c.PROFILE,
    c.ACTOR,
    c.AUTH_METHODS,
    c.AUTH_CONTEXT,
    c.AUTH_TIME,
    c.TRANSACTION,
    c.SESSION,
    MAY_ACT,  # about the subject token's exchange only
    "cnf",  # a binding to the subject token's carrier, not the next hop's
}


@dataclass(frozen=True)
class ExchangeResult:
    """A successful exchange (RFC 8693 §2.2.1).

    ``token_type`` is ``Bearer`` (RFC 6750), or ``DPoP`` for a passport bound to the
    key of the request's proof (RFC 9449 §5).
    """

    access_token: str
    expires_in: int
    scope: frozenset[str]
    issued_token_type: str = JWT_TOKEN_TYPE
    token_type: str = "Bearer"  # noqa: S105 - a token type name, not a secret

    def body(self) -> dict[str, Any]:
        """The JSON response body."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "issued_token_type": self.issued_token_type,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.scope:
            body["scope"] = " ".join(sorted(self.scope))
        return body

    def __repr__(self) -> str:
        return (
            f"ExchangeResult(token={fingerprint(self.access_token)}, expires_in={self.expires_in})"
        )


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {name: _thawed(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    return value


class TokenService:
    """Exchanges passports (RFC 8693) for the services in ``clients``.

    ::

        service = TokenService(
            Minter(ring, issuer="https://sts.example"),
            ClientRegistry([ServiceClient("orders", orders_jwks, targets={"billing"})],
                           token_service="https://sts.example"),
            ExchangeRules([Audience("billing", fields={"scopes", "tenant"})]),
            trusted={"https://edge.example": edge_jwks},
        )
        result = service.exchange(form)

    :param trusted: the issuers whose passports may be exchanged (the edge's), each with
        its keys; the token service's own issuer is always trusted, so an exchanged
        passport can be exchanged again at the next hop.
    :param subject_leeway: clock skew tolerated on subject tokens.
    :param proofs: checks the DPoP proofs of exchange requests (RFC 9449 §5); the
        default remembers used proofs in this process. Share a
        :class:`~passport_core.RedisReplayCache` when several instances serve.
    """

    def __init__(
        self,
        minter: Minter,
        clients: ClientRegistry,
        rules: ExchangeRules,
        *,
        trusted: Mapping[str, KeysLike],
        subject_leeway: float = 30.0,
        subject_max_lifetime: float = 3600.0,
        proofs: ProofVerifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.minter = minter
        self.proofs = proofs if proofs is not None else ProofVerifier(clock=clock)
        self.clients = clients
        self.rules = rules
        issuers: dict[str, KeysLike] = dict(trusted)
        issuers[minter.issuer] = minter.key_ring
        self._clock = clock
        self.subjects = Verifier(
            issuers=issuers,
            audience=clients.audiences or {"-"},
            leeway=subject_leeway,
            max_lifetime=subject_max_lifetime,
            clock=clock,
        )

    def exchange(
        self,
        form: Mapping[str, Sequence[str]],
        *,
        proofs: Sequence[str] = (),
        target: RequestTarget | None = None,
        certificate: ClientCertificate | None = None,
    ) -> ExchangeResult:
        """Answer one request's form fields, or raise its :class:`~passport_core.ExchangeError`.

        ``proofs`` are the request's ``DPoP`` header values and ``target`` its method and
        the token endpoint's URL, which a proof must name (RFC 9449 §4.3);
        ``certificate`` the client's, as the TLS-terminating proxy forwarded it (mutual TLS).
        """
        request = read_request(form)
        client = self.clients.authenticate(
            request.client_assertion, request.client_id, certificate=certificate
        )
        # After the client is known: an anonymous caller cannot fill the replay cache.
        wanted = self._wants_proof(client, proofs, target)
        proof = None
        if wanted is not None:
            try:
                proof = self.proofs.verify(proofs, wanted)
            except InvalidProof as exc:
                raise InvalidExchangeProof(exc.message) from exc
        try:
            subject = self.subjects.verify(request.subject_token)
        except AuthenticationError as exc:
            raise InvalidSubjectToken(f"the subject token is invalid: {exc.message}") from exc
        return self._issue(request, client, subject, proof)

    async def aexchange(
        self,
        form: Mapping[str, Sequence[str]],
        *,
        proofs: Sequence[str] = (),
        target: RequestTarget | None = None,
        certificate: ClientCertificate | None = None,
    ) -> ExchangeResult:
        """:meth:`exchange` without blocking the event loop (remote keys fetched async)."""
        request = read_request(form)
        client = await self.clients.aauthenticate(
            request.client_assertion, request.client_id, certificate=certificate
        )
        wanted = self._wants_proof(client, proofs, target)
        proof = None
        if wanted is not None:
            try:
                proof = await self.proofs.averify(proofs, wanted)
            except InvalidProof as exc:
                raise InvalidExchangeProof(exc.message) from exc
        try:
            subject = await self.subjects.averify(request.subject_token)
        except AuthenticationError as exc:
            raise InvalidSubjectToken(f"the subject token is invalid: {exc.message}") from exc
        return self._issue(request, client, subject, proof)

    @staticmethod
    def _wants_proof(
        client: ServiceClient, proofs: Sequence[str], target: RequestTarget | None
    ) -> RequestTarget | None:
        """The request a proof must be checked against, or ``None`` when none is sent."""
        if not proofs:
            if client.dpop_bound_access_tokens:
                # RFC 9449 §5.2: such a client's requests without a proof are refused.
                raise InvalidExchangeProof("this client's passports are bound: send a DPoP proof")
            return None
        if target is None:
            raise InvalidExchangeProof("this token service cannot check DPoP proofs here")
        return target

    def _issue(
        self,
        request: ExchangeRequest,
        client: ServiceClient,
        subject: Passport,
        proof: VerifiedProof | None = None,
    ) -> ExchangeResult:
        audience = self.rules.target(client, *request.targets)
        self.rules.check_subject(client, subject)
        scopes = self.rules.scopes_for(client, audience, subject, request.scopes)
        shaped = audience.shape(self._common(subject, scopes))
        now = int(self._clock())
        ttl = audience.ttl or self.minter.default_ttl
        # Never later than the subject token: a second's margin covers the minter reading
        # its clock after ours.
        remaining = int(subject.expires_at.timestamp()) - now - 1
        lifetime = min(math.ceil(ttl), remaining, int(self.minter.max_ttl))
        if lifetime <= 0:
            raise InvalidSubjectToken("the subject token expires too soon to be exchanged")
        actor: dict[str, Any] = {c.SUBJECT: client.client_id}
        earlier = subject.claims.get(c.ACTOR)
        if earlier is not None:
            actor[c.ACTOR] = _thawed(earlier)  # RFC 8693 §4.1: the prior actors, nested
        extra = dict(shaped.claims)
        transaction = subject.claims.get(c.TRANSACTION)
        if transaction is not None:
            extra[c.TRANSACTION] = _thawed(transaction)
        session = subject.claims.get(c.SESSION)
        if isinstance(session, str):
            # Whatever the audience may see: revoking the sign-in reaches this passport too.
            extra[c.SESSION] = session
        token = self.minter.mint(
            subject.subject,
            audience=audience.recipients,
            ttl=lifetime,
            roles=shaped.roles,
            scopes=shaped.scopes,
            permissions=shaped.permissions,
            tenant=shaped.tenant,
            profile=dict(shaped.profile) or None,
            actor=actor,
            claims=extra or None,
            auth_methods=sorted(subject.auth_methods),
            auth_context=subject.auth_context,
            auth_time=None if subject.auth_time is None else int(subject.auth_time.timestamp()),
            # RFC 9449 §6.1: bound to the key that signed the request's proof.
            cnf=None if proof is None else confirmation(proof),
        )
        logger.info(
            "exchanged %s for %s: client=%s audience=%s bound=%s",
            subject.fingerprint,
            fingerprint(token),
            client.client_id,
            audience.name,
            proof is not None,
        )
        # RFC 9449 §5: a bound passport is of token type DPoP
        token_type = "Bearer" if proof is None else "DPoP"
        return ExchangeResult(token, lifetime, shaped.scopes, token_type=token_type)

    @staticmethod
    def _common(subject: Passport, scopes: frozenset[str]) -> CommonData:
        custom = {
            name: _thawed(value)
            for name, value in subject.claims.items()
            if name not in _NOT_CUSTOM
        }
        return CommonData(
            roles=subject.roles,
            scopes=scopes,
            permissions=subject.permissions,
            tenant=subject.tenant,
            profile=_thawed(subject.profile),
            claims=custom,
        )
