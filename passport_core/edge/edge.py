"""The edge: a caller's credential in, one signed passport per downstream audience out."""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core import claims as c
from passport_core.edge.actions import PASSPORT_ACTION_HEADER, PassportAction
from passport_core.edge.audience import Audience, passport_budget
from passport_core.edge.authenticators.base import Authenticator
from passport_core.edge.authenticators.binding import CONFIRMATION
from passport_core.edge.cache import MintCache, credential_key
from passport_core.edge.enrichers.base import Enricher
from passport_core.edge.enrichers.gather import Gathered, agather, gather
from passport_core.edge.identity import Identity
from passport_core.edge.request import EdgeRequest
from passport_core.errors import (
    ConfigurationError,
    IdentityProviderUnavailable,
    InvalidCredential,
    MintingError,
    MissingCredential,
    PassportError,
    PassportRevoked,
    PassportTooLarge,
    PermissionDenied,
)
from passport_core.inbound.extraction import DEFAULT_HEADER
from passport_core.mint.minter import Minter
from passport_core.revocation.store import RevocationStore
from passport_core.token.encoding import b64url_encode
from passport_core.token.fingerprint import fingerprint

__all__ = ["EDGE_RESERVED_CLAIMS", "OMITTED_CLAIM", "Edge", "Minted"]

logger = logging.getLogger("passport_core.edge")
#: the claim naming optional enrichers that were left out of a passport
OMITTED_CLAIM = "omitted"
#: claims only the edge may put in a passport; an enricher's or a claim mapping's are refused:
#: ``omitted`` says what the edge left out, ``txn`` binds companions to one request (a fixed
#: value would make a companion valid on every request), and ``cnf`` (RFC 7800 §3.1) would
#: bind the passport to a key the edge never checked
EDGE_RESERVED_CLAIMS = frozenset({OMITTED_CLAIM, c.TRANSACTION, CONFIRMATION, c.SESSION})
#: an edge-named session: the credential's digest, so one credential's passports share it
_CREDENTIAL_SESSION = "cred-"


@dataclass(frozen=True, slots=True)
class Minted:
    """One passport the edge minted (or served from its cache) for one request."""

    token: str
    subject: str
    audience: str
    #: served from the mint cache: no authentication, enrichment or signature this time
    cached: bool
    #: the cache's name for the credential (a digest): what a passport action drops
    credential_key: bytes
    #: optional enrichers left out of this passport
    omitted: tuple[str, ...] = ()


#: RFC 9110 §5.6.2: a field name is a token
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _header_names(names: Iterable[str]) -> frozenset[str]:
    if isinstance(names, str):
        raise ConfigurationError("extra_strip_headers must be a collection of header names")
    out: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN_CHARS:
            raise ConfigurationError(
                f"extra_strip_headers: {name!r} is not a header name (RFC 9110 §5.6.2)"
            )
        out.add(name.lower())
    return frozenset(out)


def _audiences(audiences: Iterable[Audience | str]) -> dict[str, Audience]:
    table: dict[str, Audience] = {}
    for item in audiences:
        audience = Audience(item) if isinstance(item, str) else item
        if not isinstance(audience, Audience):
            raise ConfigurationError("audiences must be names or Audience objects")
        if audience.name in table:
            raise ConfigurationError(f"audience {audience.name!r} is configured twice")
        table[audience.name] = audience
    if not table:
        raise ConfigurationError("an edge needs at least one downstream audience")
    return table


class Edge:
    """Authenticates the caller, gathers common data, mints and caches the passport.

    ::

        edge = Edge(
            Minter(KeyRing.load("ring.json"), issuer="https://edge.example"),
            authenticators=[OIDCAuthenticator(...), APIKeyAuthenticator(lookup)],
            enrichers=[roles_from_directory, tenant_of_user],
            audiences=[Audience("orders", fields={"roles", "tenant"}), "billing"],
        )
        minted = edge.mint(EdgeRequest.from_headers(headers), audience="orders")

    Servers put it behind a gateway's auth hook or in front of services
    (:mod:`passport_core.edge.endpoint`); adapters use it where the topmost
    service mints. Whatever passport a client sent is never read here: the
    servers strip :attr:`strip_headers` before anything else sees the request.

    :param authenticators: asked in order; the first that finds its kind of
        credential decides (a bad credential is a 401, never handed on).
    :param enrichers: run concurrently for every uncached mint.
    :param audiences: the downstream audiences and what each may see; the
        first is the default.
    :param header: the header passports travel in, stripped from clients.
    :param extra_strip_headers: more header names no client may send through the
        edge, stripped with ``header`` and ``Passport-Action``: the companion
        passports' headers (``X-Passport-Profile``), anything else only a hop
        behind the edge may set. Behind nginx, blank each one yourself in the
        proxied location too (``proxy_set_header X-Passport-Profile "";``):
        nginx forwards the client's headers, the edge only sees its subrequest.
    :param cache: the mint cache; ``None`` mints on every request.
    :param max_passport_bytes: the size budget (default: what fits one
        ``header`` line in nginx's and gunicorn's default limits).
    :param forwarded_as_bearer: the passports also travel as ``Authorization:
        Bearer`` on some hop (a service forwards with ``bearer=True``): the default
        budget is then what fits that longer line too.
    :param cache_max_age: the longest a cached passport is reused, in seconds:
        how long a revoked or changed credential may still pass (default: until
        shortly before the passport expires).
    :param revocations: the store services check (:class:`~passport_core.RevocationStore`):
        a credential whose subject or session (``sid``) was revoked after it was
        issued is refused (``invalid_credential``), cached passports included; one
        with no issue time (an API key) is refused while the revocation lasts.

    Every passport carries ``sid``: the credential's own session (an IdP's ``sid``)
    or, without one, a name for the credential (``cred-`` and a digest of it), so
    revoking that session takes back every passport minted from the credential.
    """

    def __init__(
        self,
        minter: Minter,
        *,
        authenticators: Sequence[Authenticator],
        enrichers: Sequence[Enricher] = (),
        audiences: Iterable[Audience | str],
        header: str = DEFAULT_HEADER,
        extra_strip_headers: Iterable[str] = (),
        cache: MintCache | None = None,
        use_cache: bool = True,
        max_passport_bytes: int | None = None,
        forwarded_as_bearer: bool = False,
        cache_max_age: float | None = None,
        revocations: RevocationStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(minter, Minter):
            raise ConfigurationError("an edge needs a Minter")
        self.authenticators = tuple(authenticators)
        if not self.authenticators:
            raise ConfigurationError("an edge needs at least one authenticator")
        for authenticator in self.authenticators:
            if not isinstance(authenticator, Authenticator):
                raise ConfigurationError(
                    f"{authenticator!r} is not an Authenticator "
                    "(name, credential, authenticate, aauthenticate)"
                )
        names = [a.name for a in self.authenticators]
        if len(set(names)) != len(names):
            raise ConfigurationError("two authenticators share a name: the cache needs each apart")
        self.enrichers = tuple(enrichers)
        for item in self.enrichers:
            if not isinstance(item, Enricher):
                raise ConfigurationError(f"{item!r} is not an Enricher")
        enricher_names = [e.name for e in self.enrichers]
        if len(set(enricher_names)) != len(enricher_names):
            raise ConfigurationError("two enrichers share a name")
        self.audiences = _audiences(audiences)
        for target in self.audiences.values():
            if target.ttl is not None and target.ttl > minter.max_ttl:
                raise ConfigurationError(
                    f"audience {target.name!r}: ttl {target.ttl:g} s exceeds the minter's "
                    f"max_ttl {minter.max_ttl:g} s"
                )
        self.default_audience = next(iter(self.audiences))
        if not isinstance(header, str) or not header.isascii() or not header.strip():
            raise ConfigurationError("header must be a non-empty ASCII header name")
        if header.strip().lower() == "authorization":
            # The servers send the bare token in this header: Authorization would need the
            # Bearer scheme (RFC 6750 §2.1), and it is the header credentials arrive in.
            raise ConfigurationError(
                "passports travel in a header of their own (default X-Passport), not in "
                "Authorization, which carries the callers' credentials"
            )
        self.header = header
        self.extra_strip_headers = _header_names(extra_strip_headers)
        fits = passport_budget(header)
        if forwarded_as_bearer:
            fits = min(fits, passport_budget("Authorization", bearer=True))
        self.forwarded_as_bearer = forwarded_as_bearer
        budget = fits if max_passport_bytes is None else max_passport_bytes
        if budget > fits:
            logger.warning(
                "max_passport_bytes %d exceeds what fits one %s line in default proxy limits",
                budget,
                "Authorization: Bearer" if forwarded_as_bearer else header,
            )
        if budget > minter.max_token_bytes:
            raise ConfigurationError(
                f"max_passport_bytes {budget} exceeds the minter's max_token_bytes "
                f"{minter.max_token_bytes}"
            )
        self.max_passport_bytes = budget
        self.minter = minter
        self.cache = (cache or MintCache(clock=clock)) if use_cache else None
        if cache_max_age is not None and not 0 < cache_max_age <= minter.max_ttl:
            raise ConfigurationError("cache_max_age must be positive and at most the max_ttl")
        self.cache_max_age = cache_max_age
        if revocations is not None and not isinstance(revocations, RevocationStore):
            raise ConfigurationError("revocations must be a RevocationStore")
        self.revocations = revocations
        self._clock = clock
        self._strip_headers = frozenset(
            {self.header.lower(), PASSPORT_ACTION_HEADER.lower(), *self.extra_strip_headers}
        )

    @property
    def strip_headers(self) -> frozenset[str]:
        """Lower-case names no client may send through the edge (a forged passport, a
        forged passport action, and :attr:`extra_strip_headers`)."""
        return self._strip_headers

    @property
    def credential_headers(self) -> frozenset[str]:
        """Lower-case names of the headers the authenticators read credentials from (their
        ``credential_headers``): what a gateway keeps from internal services."""
        names: set[str] = set()
        for authenticator in self.authenticators:
            names.update(name.lower() for name in getattr(authenticator, "credential_headers", ()))
        return frozenset(names)

    # -- the steps ---------------------------------------------------------------------

    def _audience(self, audience: str | None) -> Audience | None:
        return self.audiences.get(audience or self.default_audience)

    @staticmethod
    def _served(target: Audience | None) -> Audience:
        # Checked once the credential is: RFC 9110 §15.5.2 / §15.5.4, a missing or bad
        # credential is a 401 whatever it asks for; a good one asking too much a 403.
        if target is None:
            raise PermissionDenied("the edge does not mint passports for this audience")
        return target

    def presented(self, request: EdgeRequest) -> bool:
        """True when ``request`` carries a credential one of the authenticators reads."""
        try:
            self._credential(request)
        except MissingCredential:
            return False
        return True

    def _credential(self, request: EdgeRequest) -> tuple[Authenticator, str]:
        for authenticator in self.authenticators:
            try:
                credential = authenticator.credential(request)
            except PassportError:
                raise  # its verdict (a duplicate credential) stands
            except Exception as exc:  # noqa: BLE001 - a user's authenticator may raise anything
                raise self._broken(authenticator, exc) from None
            if credential:
                return authenticator, credential
        raise MissingCredential

    def _cached(self, key: bytes, audience: Audience) -> Minted | None:
        if self.cache is None:
            return None
        # One attribute read: a passport signed by a key the ring no longer signs with is
        # re-minted (services may refuse it once that key is retired).
        entry = self.cache.get(key, audience.name, self.minter.key_ring.active.kid)
        if entry is None:
            return None
        if self.revocations is not None and entry.revocable is not None:
            try:
                self._check_revoked(entry.revocable)
            except InvalidCredential:
                self.cache.drop(key)
                raise
        # Positional: the hot path of a busy edge, and keywords cost a dataclass a third more.
        return Minted(entry.token, entry.subject, audience.name, True, key)

    def _check_revoked(self, revocable: Mapping[str, Any]) -> None:
        assert self.revocations is not None  # noqa: S101 - callers check
        try:
            self.revocations.check(revocable)
        except PassportRevoked:
            # The credential, not a passport, is what the edge refuses: its own 401.
            logger.info(
                "credential refused: code=revoked sid-fp=%s", fingerprint(revocable[c.SESSION])
            )
            raise InvalidCredential("the credential's session or subject was revoked") from None

    def _revocable(self, identity: Identity, key: bytes) -> dict[str, Any]:
        """What a revocation store is asked about this credential (its passports' iss, sub, sid)."""
        session = identity.session or _CREDENTIAL_SESSION + b64url_encode(key[:18])
        revocable: dict[str, Any] = {
            c.ISSUER: self.minter.issuer,
            c.SUBJECT: identity.subject,
            c.SESSION: session,
        }
        if identity.issued_at is not None:
            revocable[c.ISSUED_AT] = identity.issued_at
        return revocable

    def _epoch(self) -> int | None:
        return None if self.cache is None else self.cache.epoch

    def _sign(
        self,
        identity: Identity,
        gathered: Gathered,
        audience: Audience,
        key: bytes,
        epoch: int | None,
    ) -> Minted:
        revocable = self._revocable(identity, key)
        if self.revocations is not None:
            self._check_revoked(revocable)
        now = self._clock()
        ttl = audience.ttl or self.minter.default_ttl
        if identity.expires_at is not None:
            left = identity.expires_at - now
            if left < 1:
                raise InvalidCredential("the credential has expired")
            ttl = min(ttl, math.floor(left))  # a passport never outlives what it rests on
        # Read before signing: if a rotation races this mint, the entry names the older
        # key and the next hit re-mints, never the other way round.
        kid = self.minter.key_ring.active.kid
        shaped = audience.shape(gathered.common)
        extra = dict(shaped.claims)
        reserved = sorted(EDGE_RESERVED_CLAIMS & gathered.common.claims.keys())
        if reserved:
            raise MintingError(
                f"common data cannot set the {reserved[0]!r} claim: only the edge sets it"
            )
        if gathered.omitted:
            extra[OMITTED_CLAIM] = list(gathered.omitted)
        extra[c.SESSION] = revocable[c.SESSION]
        try:
            token = self.minter.mint(
                identity.subject,
                audience=audience.recipients,
                ttl=ttl,
                roles=sorted(shaped.roles),
                scopes=sorted(shaped.scopes),
                permissions=sorted(shaped.permissions),
                tenant=shaped.tenant,
                profile=dict(shaped.profile) if shaped.profile else None,
                claims=extra,
                auth_methods=identity.auth_methods,
                auth_context=identity.auth_context,
                auth_time=identity.auth_time,
            )
        except PassportTooLarge as exc:  # over the minter's own limit, so over ours too
            raise self._too_large(audience, None) from exc
        if audience.encrypter is not None:
            token = audience.encrypter.encrypt(token)  # sign, then encrypt (RFC 7519 §11.2)
        if len(token) > self.max_passport_bytes:
            raise self._too_large(audience, len(token))
        if self.cache is not None and not gathered.omitted:
            # A partial passport is not kept: the next request retries the enricher.
            self.cache.put(
                key,
                audience.name,
                token,
                subject=identity.subject,
                expires_at=now + ttl,
                credential_expires_at=identity.expires_at,
                max_age=self._reuse_bound(identity),
                since=epoch,  # a drop during this mint wins: the passport may predate it
                kid=kid,
                revocable=revocable,
            )
        return Minted(token, identity.subject, audience.name, False, key, omitted=gathered.omitted)

    def _reuse_bound(self, identity: Identity) -> float | None:
        """The edge's ``cache_max_age`` or the authenticator's ``cache_for``, the shorter."""
        bounds = [b for b in (self.cache_max_age, identity.cache_for) if b is not None]
        return min(bounds) if bounds else None

    def _too_large(self, audience: Audience, size: int | None) -> PassportTooLarge:
        actual = " is" if size is None else f" is {size} bytes,"
        return PassportTooLarge(
            f"the passport for {audience.name!r}{actual} over the budget of "
            f"{self.max_passport_bytes} bytes (what the next hop's proxy accepts in one header): "
            "shape it with Audience(fields=..., profile=...) or gather less"
        )

    def _key(self, authenticator: Authenticator, credential: str) -> bytes:
        # The issuer is part of the name: two edges sharing one MintCache never serve each
        # other's passports for the same credential (security review F10).
        return credential_key(f"{self.minter.issuer}\0{authenticator.name}", credential)

    @staticmethod
    def _identity(authenticator: Authenticator, identity: object) -> Identity:
        if not isinstance(identity, Identity):
            # A user's authenticator broke its contract: a typed 503, not a 500 later on.
            logger.error(
                "authenticator %r returned %s, not an Identity",
                authenticator.name,
                type(identity).__name__,
            )
            raise IdentityProviderUnavailable(
                f"the {authenticator.name!r} authenticator returned no identity"
            )
        return identity

    @staticmethod
    def _refused(authenticator: Authenticator, credential: str, error: PassportError) -> None:
        # Never the credential: its fingerprint is enough to correlate.
        logger.info(
            "credential refused: code=%s method=%s fp=%s",
            error.code,
            authenticator.name,
            fingerprint(credential),
        )

    @staticmethod
    def _broken(authenticator: Authenticator, exc: Exception) -> IdentityProviderUnavailable:
        # A bug or a driver's error: a 503, never a 500 with whatever it says. Its message
        # may quote the credential, so the log has the type and the frames, not the text;
        # raised ``from None`` so no handler logs the original's message through the chain.
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        logger.error(
            "authenticator %r failed (%s); traceback, message left out:\n%s",
            authenticator.name,
            type(exc).__name__,
            frames,
        )
        return IdentityProviderUnavailable(
            f"the {authenticator.name!r} authenticator failed ({type(exc).__name__})"
        )

    # -- the public calls --------------------------------------------------------------

    def mint(self, request: EdgeRequest, audience: str | None = None) -> Minted:
        """The passport for ``request`` and ``audience`` (default: the first configured).

        Raises :class:`~passport_core.MissingCredential` /
        :class:`~passport_core.InvalidCredential` (401),
        :class:`~passport_core.PermissionDenied` (403: a good credential asking for
        an audience the edge does not serve; a bad one is a 401 first),
        :class:`~passport_core.IdentityProviderUnavailable` or
        :class:`~passport_core.EnrichmentFailed` (503), each within a bounded time.
        """
        authenticator, credential = self._credential(request)
        key = self._key(authenticator, credential)
        target = self._audience(audience)
        hit = None if target is None else self._cached(key, target)
        if hit is not None:
            return hit
        epoch = self._epoch()
        try:
            identity = self._identity(
                authenticator, authenticator.authenticate(credential, request)
            )
        except PassportError as error:
            self._refused(authenticator, credential, error)
            raise
        except Exception as exc:  # noqa: BLE001 - a user's authenticator may raise anything
            raise self._broken(authenticator, exc) from None
        served = self._served(target)
        return self._sign(identity, gather(identity, self.enrichers), served, key, epoch)

    async def amint(self, request: EdgeRequest, audience: str | None = None) -> Minted:
        """Like :meth:`mint`, without blocking the event loop."""
        authenticator, credential = self._credential(request)
        key = self._key(authenticator, credential)
        target = self._audience(audience)
        hit = None if target is None else self._cached(key, target)
        if hit is not None:
            return hit
        epoch = self._epoch()
        try:
            identity = self._identity(
                authenticator, await authenticator.aauthenticate(credential, request)
            )
        except PassportError as error:
            self._refused(authenticator, credential, error)
            raise
        except Exception as exc:  # noqa: BLE001 - a user's authenticator may raise anything
            raise self._broken(authenticator, exc) from None
        served = self._served(target)
        gathered = await agather(identity, self.enrichers)
        return self._sign(identity, gathered, served, key, epoch)

    def drop(self, credential_key: bytes | None = None, *, subject: str | None = None) -> int:
        """Forget cached passports of one credential or one subject; the next request mints."""
        if self.cache is None:
            return 0
        return self.cache.drop(credential_key, subject=subject)

    def apply_action(self, minted: Minted, value: str | None) -> PassportAction | None:
        """Honour a trusted service's ``Passport-Action`` answer for the request of ``minted``.

        ``remint`` forgets the passports of this request's credential; ``drop`` every
        passport of its subject (every credential: the account is locked or logged out).
        Only call this with a response from a service the edge trusts (the
        servers here do so for their configured upstreams only).
        """
        action = PassportAction.parse(value)
        if action is not None:
            if action is PassportAction.DROP:
                dropped = self.drop(minted.credential_key, subject=minted.subject)
            else:
                dropped = self.drop(minted.credential_key)
            logger.info(
                "passport action %s for sub-fp=%s: %d cached passport(s) dropped",
                action.value,
                fingerprint(minted.subject),
                dropped,
            )
        return action

    @property
    def issuer(self) -> str:
        return self.minter.issuer

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.authenticators)
        audiences = list(self.audiences)
        return f"Edge(issuer={self.issuer!r}, authenticators=[{names}], audiences={audiences})"
