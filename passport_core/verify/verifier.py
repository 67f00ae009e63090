"""Verification: the only way a token becomes a :class:`~passport_core.Passport`.

Every check is made here, once, so adapters never re-implement one. The order
follows the cost and the trust of each step: cheap shape checks first, then
the header (RFC 8725 §3.1 algorithm binding, §3.11 explicit typing), then the
signature, then the claims.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, repeat
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from passport_core import claims as c
from passport_core.encryption.decrypter import Decrypter
from passport_core.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    ConfigurationError,
    EncryptedPassport,
    ForbiddenHeader,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidType,
    IssuedInFuture,
    KeysUnavailable,
    LifetimeTooLong,
    MalformedToken,
    MissingClaim,
    MissingToken,
    TokenExpired,
    TokenNotYetValid,
    TokenTooLarge,
    UnknownKey,
    UnsupportedCritical,
)
from passport_core.keys.key import ALGORITHMS, Key
from passport_core.keys.remote import RemoteJWKS
from passport_core.keys.ring import KeyRing
from passport_core.keys.sources import KeysLike, KeySource, StaticKeys, as_key_source
from passport_core.passport import Passport, verified_passport
from passport_core.revocation.store import RevocationStore
from passport_core.token.compact import MAX_TOKEN_BYTES, split_segments
from passport_core.token.encoding import b64url_decode_segment, json_loads_object
from passport_core.token.frozen import freeze_members
from passport_core.token.values import MAX_NUMERIC_DATE
from passport_core.verify.cache import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CACHE_SIZE,
    CachedPassport,
    VerifiedTokens,
    stamp_of,
    validity,
)

__all__ = ["DEFAULT_REQUIRED_CLAIMS", "MAX_LEEWAY", "TrustedIssuer", "Verifier"]

#: claims a passport must carry unless the verifier is told otherwise
DEFAULT_REQUIRED_CLAIMS = frozenset({c.ISSUER, c.SUBJECT, c.AUDIENCE, c.EXPIRES_AT, c.ISSUED_AT})
#: leeway above this would hide a broken clock rather than absorb skew
MAX_LEEWAY = 300.0
#: RFC 8725 §3.10: keys named or carried by the token are never trusted
_FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c")
#: RFC 7516 §4.1.2/§4.1.3: "enc" and "zip" belong to JWE only; in a JWS they mean the
#: sender meant something else (an encrypted or compressed token), never a passport
_JWE_ONLY_HEADERS = ("enc", "zip")
#: RFC 7519 §5.2 / RFC 7515 §4.1.10: cty "JWT" (any case, "application/" optional)
#: announces a nested token; a passport's payload is its claims, never another JWT
_NESTED_CTYS = frozenset({"jwt", "application/jwt"})
_STRING_CLAIMS = (c.ISSUER, c.SUBJECT, c.JWT_ID, c.SCOPE, c.TENANT, c.AUTH_CONTEXT, c.SESSION)
_STRING_LIST_CLAIMS = (c.ROLES, c.PERMISSIONS, c.AUTH_METHODS)
_TIME_CLAIMS = (c.EXPIRES_AT, c.NOT_BEFORE, c.ISSUED_AT, c.AUTH_TIME)
#: endless: map(isinstance, items, _STRINGS) checks any list; is_string_list's test, written
#: out in the claims loop below, which already knows the value is a list (no call per claim)
_STRINGS = repeat(str)
#: what _check_claims reads for an absent claim: a value of the type it must have
_EMPTY_STRINGS = repeat("")
_ZEROS = repeat(0)
_NO_LISTS: repeat[list[str]] = repeat([])  # never changed: only read
_NO_OBJECT: dict[str, Any] = {}
#: "are all these types X?", in C: issuperset() of an iterable of types
_only_str = frozenset({str}).issuperset
_only_list = frozenset({list}).issuperset
_only_numbers = frozenset({int, float}).issuperset
#: stands for "a NumericDate" among the types below: an int or float from 1970 to 9999
_DATE = object()
#: the JSON type each registered claim must have
_CLAIM_TYPES: dict[str, Any] = {
    **dict.fromkeys(_STRING_CLAIMS, str),
    **dict.fromkeys(_STRING_LIST_CLAIMS, list),
    **dict.fromkeys(_TIME_CLAIMS, _DATE),
    c.PROFILE: dict,
}
_CLAIM_PROBLEMS = {
    **{name: f"the {name!r} claim must be a string" for name in _STRING_CLAIMS},
    **{name: f"the {name!r} claim must be a list of strings" for name in _STRING_LIST_CLAIMS},
    **{name: f"the {name!r} claim must be a date in seconds (1970..9999)" for name in _TIME_CLAIMS},
    c.PROFILE: f"the {c.PROFILE!r} claim must be a JSON object",
}
_MAX_ACTOR_DEPTH = 16
#: header segments remembered after they passed the header checks: a service sees a
#: handful (one per issuer key and typ), so re-parsing them on every verify is waste
_HEADER_CACHE_SIZE = 64
#: a header segment longer than this is never remembered (real ones are ~100 bytes)
_HEADER_CACHE_MAX_BYTES = 512
_log = logging.getLogger("passport_core.verify")


def _accepted_typs(typ: str | Collection[str | None] | None) -> frozenset[str | None] | None:
    """The lower-cased ``typ`` values a verifier accepts (``None``: absent); ``None``: any."""
    if typ is None:
        return None
    values = (typ,) if isinstance(typ, str) else tuple(typ)
    if not values:
        raise ConfigurationError("{typ} needs at least one value (or None for any)", setting="typ")
    accepted: set[str | None] = set()
    for value in values:
        if value is None:
            accepted.add(None)
            continue
        if not isinstance(value, str) or not value:
            raise ConfigurationError("{typ} values must be non-empty strings", setting="typ")
        # RFC 7515 §4.1.9: a typ without '/' means "application/" + typ; media types
        # compare case-insensitively (RFC 2045 §5.1).
        lowered = value.lower()
        bare = lowered.removeprefix("application/")
        accepted.add(lowered)
        if "/" not in bare:
            accepted |= {bare, f"application/{bare}"}
    return frozenset(accepted)


def _described(typ: str | Collection[str | None] | None) -> str:
    values = (typ,) if isinstance(typ, str) or typ is None else tuple(typ)
    named = [repr(v) for v in values if v is not None]
    if None in values:
        named.append("absent")
    return " or ".join(named)


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer this verifier trusts, with the only keys that may sign for it."""

    issuer: str
    keys: KeySource


class _Parsed(NamedTuple):  # a tuple: cheaper to build than a frozen dataclass, per verify
    token: str
    header: Mapping[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes
    payload: bytes
    kid: str
    trusted: TrustedIssuer


#: builds a _Parsed in C (NamedTuple's own __new__ is a Python function)
_new_parsed = tuple.__new__


def _check_actor(act: Any) -> None:
    for _ in range(_MAX_ACTOR_DEPTH):
        if not isinstance(act, dict):
            raise InvalidClaim("the 'act' claim must be a JSON object")
        if not isinstance(act.get(c.SUBJECT), str) or not act[c.SUBJECT]:
            raise InvalidClaim("every actor in 'act' needs a string 'sub'")
        if c.ISSUER in act and not isinstance(act[c.ISSUER], str):
            raise InvalidClaim("an actor's 'iss' must be a string")
        act = act.get(c.ACTOR)
        if act is None:
            return
    raise InvalidClaim("the 'act' chain is too deep")


def _claim_problem(claims: dict[str, Any]) -> str:
    """What is wrong with the first registered claim (in token order) of the wrong type."""
    for name, value in claims.items():
        expected = _CLAIM_TYPES.get(name)
        if expected is None:
            continue
        kind = type(value)
        if expected is _DATE:
            if (kind is int or kind is float) and 0 <= value <= MAX_NUMERIC_DATE:
                continue
        elif kind is expected and (kind is not list or all(map(isinstance, value, _STRINGS))):
            continue
        return _CLAIM_PROBLEMS[name]
    raise AssertionError("no claim of the wrong type")  # pragma: no cover - callers check


def _audiences(audience: str | Iterable[str]) -> frozenset[str]:
    audiences = (audience,) if isinstance(audience, str) else tuple(audience)
    if not audiences or not all(isinstance(a, str) and a for a in audiences):
        raise ConfigurationError(
            "a verifier needs at least one non-empty {audience}", setting="audience"
        )
    return frozenset(audiences)


def _leeway(leeway: float) -> float:
    if not 0 <= leeway <= MAX_LEEWAY:
        raise ConfigurationError(
            f"{{leeway}} must be between 0 and {MAX_LEEWAY:g} seconds", setting="leeway"
        )
    return float(leeway)


def _max_lifetime(max_lifetime: float) -> float:
    if not math.isfinite(max_lifetime) or max_lifetime <= 0:
        # NaN compares false with everything: it would switch the cap off silently.
        raise ConfigurationError(
            "{max_lifetime} must be a positive, finite number of seconds",
            setting="max_lifetime",
        )
    return float(max_lifetime)


def _max_token_bytes(max_token_bytes: int) -> int:
    if max_token_bytes < 256:
        raise ConfigurationError(
            "{max_token_bytes} below 256 would refuse every passport",
            setting="max_token_bytes",
        )
    return max_token_bytes


def _algorithms(algorithms: Collection[str] | None) -> frozenset[str]:
    unknown = set(algorithms or ()) - set(ALGORITHMS)
    if unknown:
        raise ConfigurationError(f"unsupported algorithms: {sorted(unknown)}")
    return frozenset(algorithms) if algorithms else frozenset(ALGORITHMS)


def _required_claims(required_claims: Collection[str]) -> frozenset[str]:
    missing_core = {c.ISSUER, c.SUBJECT, c.AUDIENCE, c.EXPIRES_AT} - set(required_claims)
    if missing_core:
        raise ConfigurationError(f"these claims are always required: {sorted(missing_core)}")
    return frozenset(required_claims)


#: the public settings of a :class:`Verifier`, each with the check that normalises it
_SETTINGS: dict[str, Callable[[Any], Any]] = {
    "audiences": _audiences,
    "leeway": _leeway,
    "max_lifetime": _max_lifetime,
    "max_token_bytes": _max_token_bytes,
    "algorithms": _algorithms,
    "required_claims": _required_claims,
}


class Verifier:
    """Verifies passports with public keys only.

    One issuer::

        Verifier(keys=jwks, issuer="https://edge.example", audience="orders")

    Several, each with its own keys (a key of issuer A never verifies a token
    that claims issuer B)::

        Verifier(issuers={"https://a": keys_a, "https://b": keys_b}, audience="orders")

    :param audience: the audience (or audiences) this service answers to;
        a passport must name at least one of them.
    :param typ: the required JOSE ``typ``, or a collection of accepted ones
        (``None`` in it: a token without ``typ`` passes too, as OpenID Connect
        ID tokens and gateway assertions come); compared case-insensitively,
        with or without ``application/`` (RFC 7515 §4.1.9). ``None`` accepts
        any or none (only for third-party tokens, e.g. at the edge).
    :param leeway: seconds of clock skew tolerated on ``exp``/``nbf``/``iat``
        (default 30, at most 300).
    :param max_lifetime: longest ``exp - iat`` accepted, in seconds.
    :param max_token_bytes: tokens longer than this are refused unparsed.
    :param algorithms: optional allow-list on top of each key's own algorithm.
    :param required_claims: claims that must be present.
    :param clock: returns the current time in seconds since the epoch.
    :param cache_size: verified tokens remembered, so the same token costs a dict
        lookup the next time (0 turns the cache off); see :mod:`passport_core.verify.cache`.
    :param cache_max_bytes: the most memory (estimated) those entries may hold.
    :param revocations: the revocation list every accepted passport is checked
        against, from memory (see :mod:`passport_core.revocation`); a cached
        passport is checked again whenever the list changed.
    :param decryption: opens encrypted passports (a five-segment JWE around a signed
        passport, see :mod:`passport_core.encryption`); the signed passport inside is
        then verified as any other, and cached under the encrypted token. Without
        it an encrypted passport is refused with :class:`~passport_core.EncryptedPassport`.

    Passports from the cache are the same objects for every request that presents
    the same token: they are immutable, and the JSON values in ``claims`` must be
    treated as such.
    """

    def __init__(
        self,
        *,
        audience: str | Iterable[str],
        keys: KeysLike | None = None,
        issuer: str | None = None,
        issuers: Mapping[str, KeysLike] | None = None,
        typ: str | Collection[str | None] | None = c.TOKEN_TYPE,
        leeway: float = 30.0,
        max_lifetime: float = 3600.0,
        max_token_bytes: int = MAX_TOKEN_BYTES,
        algorithms: Collection[str] | None = None,
        required_claims: Collection[str] = DEFAULT_REQUIRED_CLAIMS,
        clock: Callable[[], float] = time.time,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        revocations: RevocationStore | None = None,
        decryption: Decrypter | None = None,
    ) -> None:
        self._issuers = self._configure_issuers(keys, issuer, issuers)
        # each issuer's key_generation method (see generation_of), looked up once
        self._stamps = {name: stamp_of(t.keys) for name, t in self._issuers.items()}
        # Each setting is checked when set, here and later (__setattr__, _SETTINGS).
        self.audiences = _audiences(audience)
        self.leeway = _leeway(leeway)
        self.max_lifetime = _max_lifetime(max_lifetime)
        self.max_token_bytes = _max_token_bytes(max_token_bytes)
        self.algorithms = _algorithms(algorithms)
        self.required_claims = _required_claims(required_claims)
        self.typ = typ  # and _accepted_typs, derived by __setattr__
        self._clock = clock
        # header segment -> (header, kid); only headers that passed _check_header
        self._headers: dict[bytes, tuple[Mapping[str, Any], str]] = {}
        self.revocations = revocations
        if decryption is not None and not isinstance(decryption, Decrypter):
            raise ConfigurationError("{decryption} must be a Decrypter", setting="decryption")
        self.decryption = decryption
        self.cache = VerifiedTokens(cache_size, cache_max_bytes)

    @staticmethod
    def _configure_issuers(
        keys: KeysLike | None,
        issuer: str | None,
        issuers: Mapping[str, KeysLike] | None,
    ) -> dict[str, TrustedIssuer]:
        if issuers is not None:
            if keys is not None or issuer is not None:
                raise ConfigurationError("pass either issuers= or keys= with issuer=, not both")
            configured = dict(issuers)
        elif keys is not None and issuer is not None:
            configured = {issuer: keys}
        else:
            raise ConfigurationError("a verifier needs keys= and issuer=, or issuers=")
        if not configured:
            raise ConfigurationError("a verifier needs at least one trusted issuer")
        trusted: dict[str, TrustedIssuer] = {}
        for name, source in configured.items():
            if not isinstance(name, str) or not name:
                raise ConfigurationError("issuer names must be non-empty strings")
            trusted[name] = TrustedIssuer(name, as_key_source(source))
        return trusted

    def __setattr__(self, name: str, value: Any) -> None:
        # Both caches hold answers to the settings: a setting changed later empties them,
        # so no token is accepted under rules it was never checked against.
        # A setting is checked (and normalised) whenever it is set, not only by __init__: a
        # string given as audiences would otherwise make the audience check a substring test.
        check = _SETTINGS.get(name)
        if check is not None:
            value = check(value)
        # typ is kept as its set of accepted values too: derived first, so a value refused
        # leaves both as they were.
        accepted = _accepted_typs(value) if name == "typ" else None
        super().__setattr__(name, value)
        if name == "typ":
            super().__setattr__("_accepted_typs", accepted)
        if not name.startswith("_") and name != "cache" and "cache" in self.__dict__:
            self._headers.clear()
            self.cache.clear()

    @property
    def issuers(self) -> Mapping[str, TrustedIssuer]:
        return dict(self._issuers)

    def warm_up(self) -> None:
        """Fetch remote keys and run each key's signature check once, before any request.

        The first verify in a process otherwise pays for the key fetch and for the
        primitive's first call. A key server that cannot be reached is logged as a
        warning and left to the first request (which then gets its usual 503).
        """
        for trusted in self._issuers.values():
            source = trusted.keys
            if isinstance(source, RemoteJWKS):  # local sources hold their keys already
                try:
                    source.refresh()
                except KeysUnavailable as error:
                    _log.warning("warm-up: keys of %s unavailable: %s", trusted.issuer, error)
            self._warm_keys(source)

    async def awarm_up(self) -> None:
        """Like :meth:`warm_up`, without blocking the event loop on a key fetch."""
        for trusted in self._issuers.values():
            source = trusted.keys
            if isinstance(source, RemoteJWKS):
                try:
                    await source.arefresh()
                except KeysUnavailable as error:
                    _log.warning("warm-up: keys of %s unavailable: %s", trusted.issuer, error)
            self._warm_keys(source)

    @staticmethod
    def _warm_keys(source: KeySource) -> None:
        if not isinstance(source, (StaticKeys, KeyRing, RemoteJWKS)):
            return  # a user's own source: nothing to list
        for key in source.keys:
            key.warm_up()

    def verify(self, token: str | bytes | None) -> Passport:
        """Verify ``token`` and return its :class:`Passport`, or raise a ``PassportError``."""
        if isinstance(token, str) and self.cache.max_entries:
            settled = self._cached_entry(token)  # the usual hit, in as few frames as it takes
            if settled is not None:
                return settled.passport
            entry = self.cache.get(token, self._clock())
            if entry is not None:
                if entry.revocation_generation != self._revocation_generation():
                    self._recheck_revocation(entry)
                if entry.current():
                    return entry.passport
                generation = entry.generation_now()  # before the lookup (see generation_of)
                if entry.source.get_key(entry.kid) is entry.key:
                    # The same lookup a cold verify makes: the key is still there.
                    entry.generation = generation
                    return entry.passport
        parsed = self._parse(token)
        stamp = self._stamps[parsed.trusted.issuer]
        generation = -1 if stamp is None else stamp()  # before the lookup (see generation_of)
        return self._finish(parsed, parsed.trusted.keys.get_key(parsed.kid), generation)

    #: whether :meth:`cached` may answer: a subclass that checks more in ``verify`` or
    #: ``averify`` (the Txn-Token preset's claim shapes) must have every token go through them
    _warm_path: ClassVar[bool] = True
    #: the ``typ`` values accepted, derived from :attr:`typ` whenever it is set
    _accepted_typs: frozenset[str | None] | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._warm_path = cls.verify is Verifier.verify and cls.averify is Verifier.averify

    def cached(self, token: str) -> Passport | None:
        """The passport :meth:`verify` would return, when its cache settles it without a key
        lookup (a hit whose key source vouches no key changed); else ``None``.

        For an async caller's warm path: a hit needs no coroutine, and anything else
        (a miss, keys due for a refresh) is left to :meth:`averify`. A hit is re-checked
        against the revocation list exactly as :meth:`verify` does, and raises alike.
        """
        entry = self._cached_entry(token)
        return None if entry is None else entry.passport

    def _cached_entry(self, token: str) -> CachedPassport | None:
        """:meth:`cached`'s entry (its raw claims tell the gate whether the passport is bound):
        the first step of :meth:`verify` and :meth:`averify`, and the gate's warm paths."""
        if not self._warm_path:
            return None
        entry = self.cache.settled(token, self._clock())
        if entry is None:
            return None
        revocations = self.revocations
        if entry.revocation_generation != (-1 if revocations is None else revocations.generation):
            self._recheck_revocation(entry)
        return entry

    async def averify(self, token: str | bytes | None) -> Passport:
        """Like :meth:`verify`, awaiting key sources that fetch over the network."""
        if isinstance(token, str) and self.cache.max_entries:
            settled = self._cached_entry(token)
            if settled is not None:
                return settled.passport
            entry = self.cache.get(token, self._clock())
            if entry is not None:
                if entry.revocation_generation != self._revocation_generation():
                    self._recheck_revocation(entry)
                if entry.current():
                    return entry.passport
                generation = entry.generation_now()  # before the lookup (see generation_of)
                if await entry.source.aget_key(entry.kid) is entry.key:
                    # The same lookup a cold verify makes: the key is still there.
                    entry.generation = generation
                    return entry.passport
        parsed = self._parse(token)
        stamp = self._stamps[parsed.trusted.issuer]
        generation = -1 if stamp is None else stamp()  # before the lookup (see generation_of)
        return self._finish(parsed, await parsed.trusted.keys.aget_key(parsed.kid), generation)

    def _revocation_generation(self) -> int:
        revocations = self.revocations
        return -1 if revocations is None else revocations.generation

    def _recheck_revocation(self, entry: CachedPassport) -> None:
        """The revocation list moved since ``entry`` was checked: check it again."""
        revocations = self.revocations
        if revocations is None:
            entry.revocation_generation = -1
            return
        generation = revocations.generation  # before the check: a change during it shows next time
        revocations.check(entry.claims)
        entry.revocation_generation = generation

    def _parse(self, token: str | bytes | None) -> _Parsed:
        if token is None:
            raise MissingToken
        if not isinstance(token, (str, bytes)):
            raise MalformedToken("the passport must be a string")
        if len(token) == 0:
            raise MissingToken
        if len(token) > self.max_token_bytes and not self._may_be_encrypted(token):
            raise TokenTooLarge(f"the passport exceeds {self.max_token_bytes} bytes")
        if isinstance(token, str):
            try:
                data = token.encode("ascii")
            except UnicodeEncodeError:
                raise MalformedToken("the passport is not ASCII") from None
        else:
            data = token
        segments = data.split(b".")
        if len(segments) != 3:
            if len(segments) == 5:
                return self._parse_encrypted(data)
            split_segments(data)  # raises, naming what is wrong (too many dots)
        if len(data) > self.max_token_bytes:  # let in above only as a possible JWE
            raise TokenTooLarge(f"the passport exceeds {self.max_token_bytes} bytes")
        header_b64, payload_b64, signature_b64 = segments
        # Each segment's alphabet is checked by its own strict decode (one pass each), the
        # header's when it was first read: a remembered header segment is a known-good one.
        known = self._headers.get(header_b64)
        if known is None:
            known = self._read_header(header_b64)
        header, kid = known
        payload = b64url_decode_segment(payload_b64, "payload")
        signature = b64url_decode_segment(signature_b64, "signature")
        claims = json_loads_object(payload, "payload")
        issuer = claims.get(c.ISSUER)
        if issuer is None:
            raise MissingClaim("the passport has no 'iss' claim")
        if issuer.__class__ is not str:
            raise InvalidClaim("the 'iss' claim must be a string")
        trusted = self._issuers.get(issuer)
        if trusted is None:
            raise InvalidIssuer
        if isinstance(token, bytes):
            token = data.decode("ascii")  # every segment decoded: only the alphabet and dots
        return _new_parsed(
            _Parsed,
            (
                token,
                header,
                claims,
                header_b64 + b"." + payload_b64,
                signature,
                payload,
                kid,
                trusted,
            ),
        )

    def _may_be_encrypted(self, token: str | bytes) -> bool:
        """Whether ``token`` may still be an encrypted passport within the decrypter's cap."""
        decryption = self.decryption
        return decryption is not None and len(token) <= decryption.max_token_bytes

    def _parse_encrypted(self, data: bytes) -> _Parsed:
        """Open a JWE, then parse the signed passport inside; the outer token is the token."""
        decryption = self.decryption
        if decryption is None:
            raise EncryptedPassport
        inner = decryption.decrypt(data)  # a JWS (two dots): never a JWE again
        return self._parse(inner)._replace(token=data.decode("ascii"))

    def _read_header(self, header_b64: bytes) -> tuple[Mapping[str, Any], str]:
        header = json_loads_object(b64url_decode_segment(header_b64, "header"), "header")
        kid = self._check_header(header)
        freeze_members(header)  # shared by every passport with this header segment
        known = MappingProxyType(header), kid
        if len(header_b64) <= _HEADER_CACHE_MAX_BYTES:
            if len(self._headers) >= _HEADER_CACHE_SIZE:
                self._headers.clear()  # many distinct headers: a flood, not a deployment
            self._headers[header_b64] = known
        return known

    def _check_header(self, header: dict[str, Any]) -> str:
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise MalformedToken("the header has no string 'alg'")
        if alg not in self.algorithms:
            # Covers "none" in any spelling: it is in no allow-list.
            raise AlgorithmNotAllowed(f"algorithm {alg[:20]!r} is not allowed")
        for name in _FORBIDDEN_HEADERS:
            if name in header:
                raise ForbiddenHeader(f"header parameter {name!r} is never trusted")
        for name in _JWE_ONLY_HEADERS:
            if name in header:
                raise ForbiddenHeader(
                    f"header parameter {name!r} belongs to encrypted tokens (JWE), not a passport"
                )
        cty = header.get("cty")
        if isinstance(cty, str) and cty.lower() in _NESTED_CTYS:
            raise ForbiddenHeader("nested tokens (cty 'JWT') are not accepted as passports")
        if "crit" in header:
            raise UnsupportedCritical
        if header.get("b64", True) is not True:
            # RFC 7797 unencoded payloads are not passports.
            raise UnsupportedCritical("unencoded payloads (b64) are not supported")
        accepted = self._accepted_typs
        if accepted is not None:
            typ = header.get("typ")
            if "typ" not in header:
                if None not in accepted:
                    raise InvalidType(f"the header has no 'typ' ({_described(self.typ)})")
            elif not isinstance(typ, str) or typ.lower() not in accepted:
                raise InvalidType(f"the header 'typ' must be {_described(self.typ)}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnknownKey("the header has no string 'kid'")
        return kid

    def _finish(self, parsed: _Parsed, key: Key | None, generation: int) -> Passport:
        if key is None:
            raise UnknownKey
        if parsed.header["alg"] != key.alg:
            # RFC 8725 §3.1: the key decides the algorithm, never the token.
            raise AlgorithmNotAllowed("the algorithm does not match the key's algorithm")
        if not key.verify(parsed.signing_input, parsed.signature):
            raise BadSignature
        claims = parsed.claims
        self._check_claims(claims)
        revocations = self.revocations
        revocation_generation = -1
        if revocations is not None:
            revocation_generation = revocations.generation  # before the check (see above)
            revocations.check(claims)
        passport = verified_passport(claims, parsed.token, parsed.header)
        if self.cache.max_entries:
            source = parsed.trusted.keys
            valid_from, until = validity(claims, self.leeway, self.max_lifetime)
            size = VerifiedTokens.estimate(parsed.token, parsed.payload)
            entry = CachedPassport(passport, key, source, generation, valid_from, until, size)
            entry.claims = claims
            entry.revocation_generation = revocation_generation
            self.cache.put(parsed.token, entry)
        return passport

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """Every claim check, in one frame: presence, types, ``sub``, ``act``, ``aud``, times."""
        required = self.required_claims
        if not claims.keys() >= required:
            raise MissingClaim(f"the passport has no {min(required - claims.keys())!r} claim")
        # The JSON type of every registered claim, checked in C: map() over the names, then
        # over the values' types, so no Python frame runs per claim. An absent claim reads
        # as a value of the right type; on any failure _claim_problem names the first one.
        # (The values come from a JSON parser: `type(v) is str` is the test, and a bool is
        # no number.) Arrays and objects are made read-only later, when the passport's
        # claims are first read (passport_core.passport).
        get = claims.get
        dates = list(map(get, _TIME_CLAIMS, _ZEROS))
        lists = list(map(get, _STRING_LIST_CLAIMS, _NO_LISTS))
        if not (
            _only_str(map(type, map(get, _STRING_CLAIMS, _EMPTY_STRINGS)))
            and _only_numbers(map(type, dates))
            and min(dates) >= 0
            and max(dates) <= MAX_NUMERIC_DATE
            and _only_list(map(type, lists))
            and _only_str(map(type, chain.from_iterable(lists)))
            and get(c.PROFILE, _NO_OBJECT).__class__ is dict
        ):
            raise InvalidClaim(_claim_problem(claims))
        if not claims[c.SUBJECT]:
            raise InvalidClaim("the 'sub' claim must not be empty")
        if c.ACTOR in claims:
            _check_actor(claims[c.ACTOR])
        # RFC 7519 §4.1.3: one string, or an array of them; one must be ours.
        aud = claims[c.AUDIENCE]
        if aud.__class__ is str:
            if aud not in self.audiences:
                raise InvalidAudience
        elif aud.__class__ is not list or not aud or not _only_str(map(type, aud)):
            raise InvalidClaim("the 'aud' claim must be a string or a non-empty list of strings")
        elif self.audiences.isdisjoint(aud):
            raise InvalidAudience
        # RFC 7519 §4.1.4-§4.1.6, each with the leeway; an absent nbf or auth_time read as 0
        # above, which no clock is before.
        exp, nbf, iat, auth_time = dates
        now = self._clock()
        leeway = self.leeway
        if now >= exp + leeway:
            raise TokenExpired
        if now + leeway < nbf:
            raise TokenNotYetValid
        if c.ISSUED_AT in claims:
            if iat > now + leeway:
                raise IssuedInFuture
            if exp - iat > self.max_lifetime:
                raise LifetimeTooLong(f"the passport lives longer than {self.max_lifetime:g} s")
        elif exp - now > self.max_lifetime + leeway:
            raise LifetimeTooLong(f"the passport lives longer than {self.max_lifetime:g} s")
        if auth_time > now + leeway:
            # OpenID Connect Core §2: when the user authenticated; a future one would
            # satisfy any max_age (RFC 9470 §3) without any authentication behind it.
            raise InvalidClaim("the 'auth_time' claim is in the future")
