"""Transaction Tokens: mint and accept the shape of the IETF OAuth draft.

Follows **draft-ietf-oauth-transaction-tokens-10** ("Txn-Token Format" and
"Using Txn-Tokens"):

- JOSE header ``typ: txntoken+jwt``, with a ``kid``;
- claims ``iat``, ``aud`` (the trust domain), ``exp``, ``txn`` (the transaction
  id), ``sub``, ``scope`` and ``req_wl`` (the workload that asked for the
  token) REQUIRED; ``tctx`` (the transaction's immutable context) and ``rctx``
  (the request's environment: ``req_ip``, ``authn``...) RECOMMENDED JSON objects;
- carried in the ``Txn-Token`` HTTP header, never ``Authorization``, and
  forwarded unmodified on outbound calls.

Where this deviates: the draft makes ``iss`` OPTIONAL; every verifier here binds
its keys to an issuer, so we always mint ``iss`` and require it. We also mint
``nbf`` and ``jti`` (the draft allows more claims; recipients ignore what they do
not know). Earlier revisions differ: ``azd`` was renamed ``tctx`` after -04,
``purp`` became ``scope`` in -07, and ``req_wl`` sat inside ``rctx`` before it
became a top-level claim; this preset accepts only the -10 shape.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from passport_core import claims as c
from passport_core.errors import ConfigurationError, InvalidClaim, MintingError
from passport_core.inbound.extraction import TokenLocation
from passport_core.keys.key import Key
from passport_core.keys.ring import KeyRing
from passport_core.keys.sources import KeysLike
from passport_core.mint.minter import Minter
from passport_core.passport import Passport
from passport_core.verify.verifier import Verifier

__all__ = [
    "TXN_TOKEN_CLAIMS",
    "TXN_TOKEN_HEADER",
    "TXN_TOKEN_TYPE",
    "TransactionTokenMinter",
    "TransactionTokens",
]

#: the JOSE ``typ`` of a Txn-Token (draft -10, "JWT Header"; RFC 8725 §3.11)
TXN_TOKEN_TYPE = "txntoken+jwt"  # noqa: S105 - a media type, not a secret
#: the HTTP header that carries it (draft -10, "Txn-Token" HTTP Header)
TXN_TOKEN_HEADER = "Txn-Token"  # noqa: S105 - a header name, not a secret
#: what a Txn-Token must carry: the draft's REQUIRED claims, plus ``iss`` (see the module)
TXN_TOKEN_CLAIMS = frozenset(
    {
        c.ISSUER,
        c.ISSUED_AT,
        c.AUDIENCE,
        c.EXPIRES_AT,
        c.TRANSACTION,
        c.SUBJECT,
        c.SCOPE,
        c.REQUESTING_WORKLOAD,
    }
)
#: Txn-Tokens are short-lived (draft -10, "Txn-Token Lifetime"): a minute by default
DEFAULT_TXN_TTL = 60.0
MAX_TXN_TTL = 300.0


#: claims mint() sets from its own checked arguments
_OWN = frozenset({c.TRANSACTION, c.REQUESTING_WORKLOAD, c.TRANSACTION_CONTEXT, c.REQUEST_CONTEXT})


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise MintingError(f"{name} must be a non-empty string")
    return value


class TransactionTokenMinter:
    """Signs Txn-Tokens for one trust domain (the ``aud`` of every token).

    Built by :meth:`TransactionTokens.minter`; :attr:`minter` is the underlying
    :class:`~passport_core.Minter` (its ``typ`` is ``txntoken+jwt``).
    """

    def __init__(self, minter: Minter, trust_domain: str) -> None:
        if minter.typ != TXN_TOKEN_TYPE:
            raise ConfigurationError(f"a Txn-Token minter signs typ {TXN_TOKEN_TYPE!r}")
        self.minter = minter
        self.trust_domain = trust_domain

    def mint(
        self,
        subject: str,
        *,
        scope: str | Iterable[str],
        requesting_workload: str,
        txn: str | None = None,
        transaction_context: Mapping[str, Any] | None = None,
        request_context: Mapping[str, Any] | None = None,
        ttl: float | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A new Txn-Token for ``subject``.

        :param scope: the transaction's purpose: a space-separated string or its values.
        :param requesting_workload: ``req_wl``, the workload that asked for the token.
        :param txn: the transaction id (default: a new UUID; keep it when replacing a token).
        :param transaction_context: ``tctx``, what stays immutable along the call chain.
        :param request_context: ``rctx``, the request's environment (``req_ip``, ``authn``...).
        """
        scopes = scope.split() if isinstance(scope, str) else list(scope)
        if not scopes:
            raise MintingError("a Txn-Token needs a scope (draft -10: REQUIRED)")
        extra: dict[str, Any] = dict(claims or {})
        overridden = _OWN & extra.keys()
        if overridden:
            raise MintingError(f"custom claims cannot override {sorted(overridden)}")
        extra[c.TRANSACTION] = _text("txn", txn) if txn is not None else str(uuid.uuid4())
        extra[c.REQUESTING_WORKLOAD] = _text("requesting_workload", requesting_workload)
        for name, value in (
            (c.TRANSACTION_CONTEXT, transaction_context),
            (c.REQUEST_CONTEXT, request_context),
        ):
            if value is not None:
                if not isinstance(value, Mapping):
                    raise MintingError(f"the {name!r} claim must be a JSON object")
                extra[name] = dict(value)
        return self.minter.mint(
            subject, audience=self.trust_domain, scopes=scopes, ttl=ttl, claims=extra
        )


def _check_shape(passport: Passport) -> Passport:
    """The draft's claim types the generic verifier does not know."""
    get = passport.claims.get
    for name in (c.TRANSACTION, c.REQUESTING_WORKLOAD):
        value = get(name)
        if not isinstance(value, str) or not value:
            raise InvalidClaim(f"the {name!r} claim must be a non-empty string")
    for name in (c.TRANSACTION_CONTEXT, c.REQUEST_CONTEXT):
        if name in passport.claims and not isinstance(get(name), Mapping):
            raise InvalidClaim(f"the {name!r} claim must be a JSON object")
    return passport


class _TxnTokenVerifier(Verifier):
    """A :class:`Verifier` that also checks the draft's own claim types."""

    def verify(self, token: str | bytes | None) -> Passport:
        return _check_shape(super().verify(token))

    async def averify(self, token: str | bytes | None) -> Passport:
        return _check_shape(await super().averify(token))


class TransactionTokens:
    """The Transaction Tokens preset for one trust domain.

    ::

        txn = TransactionTokens("trust-domain.example", issuer="https://tts.example")
        token = txn.minter(ring).mint(
            "user-42", scope="trade.stocks", requesting_workload="gateway",
            transaction_context={"action": "BUY"}, request_context={"req_ip": "192.0.2.1"},
        )
        passport = txn.verifier(ring.public_jwks()).verify(token)
        passport.claims["tctx"]  # {"action": "BUY"}

    An adapter accepts Txn-Tokens with :meth:`settings` (``setup_passport(app,
    **txn.settings(jwks))``, Flask ``PASSPORT_*`` and Django ``PASSPORT`` alike):
    the preset's verifier, reading the ``Txn-Token`` header.
    """

    header = TXN_TOKEN_HEADER
    typ = TXN_TOKEN_TYPE

    def __init__(self, trust_domain: str, *, issuer: str) -> None:
        if not isinstance(trust_domain, str) or not trust_domain:
            raise ConfigurationError("a Txn-Token preset needs a non-empty trust domain")
        if not isinstance(issuer, str) or not issuer:
            raise ConfigurationError("a Txn-Token preset needs a non-empty issuer")
        self.trust_domain = trust_domain
        self.issuer = issuer

    @property
    def location(self) -> TokenLocation:
        """Only the ``Txn-Token`` header: the draft forbids ``Authorization`` for it."""
        return TokenLocation(header=TXN_TOKEN_HEADER, bearer=False)

    def minter(
        self,
        keys: KeyRing | Key,
        *,
        default_ttl: float = DEFAULT_TXN_TTL,
        max_ttl: float = MAX_TXN_TTL,
        clock: Callable[[], float] = time.time,
    ) -> TransactionTokenMinter:
        """A minter of short-lived Txn-Tokens signed by ``keys``."""
        minter = Minter(
            keys,
            issuer=self.issuer,
            default_ttl=default_ttl,
            max_ttl=max_ttl,
            clock=clock,
            typ=TXN_TOKEN_TYPE,
        )
        return TransactionTokenMinter(minter, self.trust_domain)

    def verifier(self, keys: KeysLike, **options: Any) -> Verifier:
        """A verifier that accepts only Txn-Tokens of this trust domain and issuer.

        ``typ`` must be ``txntoken+jwt`` (a passport is refused, and a Txn-Token is
        refused by a passport verifier: RFC 8725 §3.11), ``aud`` the trust domain,
        and every claim of :data:`TXN_TOKEN_CLAIMS` present. ``options`` go to
        :class:`~passport_core.Verifier` (``leeway``, ``clock``...).
        """
        for fixed in ("typ", "audience", "issuer", "issuers", "keys", "required_claims"):
            if fixed in options:
                raise ConfigurationError(f"the Txn-Token preset sets {fixed!r} itself")
        options.setdefault("max_lifetime", MAX_TXN_TTL)
        return _TxnTokenVerifier(
            keys=keys,
            issuer=self.issuer,
            audience=self.trust_domain,
            typ=TXN_TOKEN_TYPE,
            required_claims=TXN_TOKEN_CLAIMS,
            **options,
        )

    def settings(self, keys: KeysLike, **options: Any) -> dict[str, Any]:
        """Adapter settings (core's names) that accept Txn-Tokens in the ``Txn-Token`` header."""
        return {"verifier": self.verifier(keys, **options), "header": TXN_TOKEN_HEADER}
