"""Finding the passport in a request's headers, the same way in every framework."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core.errors import ConfigurationError, DuplicateToken, MalformedToken

__all__ = [
    "DEFAULT_HEADER",
    "HeaderGetter",
    "TokenLocation",
    "asgi_header_getter",
    "asgi_token",
    "environ_header_getter",
    "environ_token",
    "extract_token",
]

#: the header a passport travels in unless configured otherwise
DEFAULT_HEADER = "X-Passport"

#: returns every value of one request header (empty when absent)
HeaderGetter = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class TokenLocation:
    """Where a service reads passports from.

    :param header: the dedicated header (default ``X-Passport``); ``None`` to
        read only ``Authorization``.
    :param bearer: also accept ``Authorization: Bearer <passport>`` (RFC 6750), or
        ``Authorization: DPoP <passport>`` (RFC 9449 §7.1).
    """

    header: str | None = DEFAULT_HEADER
    bearer: bool = False

    def __post_init__(self) -> None:
        if self.header is None and not self.bearer:
            raise ConfigurationError(
                "read passports from a header ({header}), from Authorization: Bearer "
                "({bearer}), or both",
                settings=("header", "bearer"),
            )
        if self.header is not None and (not self.header or not self.header.isascii()):
            raise ConfigurationError(
                "{header} must be a non-empty ASCII header name", setting="header"
            )
        if self.header is not None and self.header.lower() == "authorization":
            raise ConfigurationError(
                "use {bearer}=True to read the Authorization header",
                setting="header",
                settings=("bearer",),
            )


#: RFC 9110 §5.6.3: the only whitespace HTTP knows
_OWS = " \t"
#: RFC 9110 §5.6.2 tchar: a letter after "Bearer" from this set names another scheme
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def _sent_twice(header: str) -> DuplicateToken:
    return DuplicateToken(f"the {header} header was sent more than once")


def _single(values: Sequence[str], what: str) -> str | None:
    present = [value.strip(_OWS) for value in values]
    if not present:
        return None
    # Servers fold repeated headers into one value joined by commas; a compact
    # JWS never contains a comma, so a comma means the header was sent twice.
    if len(present) > 1 or "," in present[0]:
        raise _sent_twice(what)
    return present[0]


def _bearer_credentials(value: str) -> str | None:
    """The token of a ``Bearer`` (or RFC 9449 §7.1 ``DPoP``) value; ``None`` when the value
    is another scheme's."""
    value = value.strip(_OWS)
    scheme = value[:6].lower()
    if scheme == "bearer":
        rest = value[6:]
    elif scheme[:4] == "dpop":
        # A sender-constrained passport travels as "DPoP <passport>", its proof beside it;
        # the gate asks for that proof whatever the scheme (a bound passport sent as
        # Bearer is checked just the same).
        rest = value[4:]
    else:
        return None
    if rest and rest[0] not in _OWS:
        if rest[0] in _TOKEN_CHARS:
            return None  # a scheme that merely starts with "Bearer"
        raise MalformedToken("the Authorization header is not 'Bearer <token>'")
    credentials = rest.strip(_OWS)
    if "," in credentials:
        # Authorization sent twice and folded: "Bearer a, Bearer b".
        raise DuplicateToken("the Authorization header was sent more than once")
    if not credentials or any(ch in credentials for ch in _OWS):
        raise MalformedToken("the Authorization header is not 'Bearer <token>'")
    return credentials


def _from_authorization(values: Sequence[str]) -> str | None:
    # Other schemes (Basic, Digest, AWS SigV4...) may carry commas: not ours to judge.
    tokens = [token for token in map(_bearer_credentials, values) if token is not None]
    if len(tokens) > 1:
        raise DuplicateToken("the Authorization header was sent more than once")
    return tokens[0] if tokens else None


_ENVIRON_KEYS: dict[str, str] = {}


def environ_header_getter(environ: Mapping[str, Any]) -> HeaderGetter:
    """Every value of a header, read from a WSGI environ or Django's ``request.META``.

    PEP 3333 (CGI) names a request header ``HTTP_`` + its name upper-cased with ``-``
    as ``_``, and folds repeated headers into one comma-joined value. Reading the
    environ directly spares the header object a framework would build per request.
    """

    def get(name: str) -> list[str]:
        value = environ.get(_ENVIRON_KEYS.get(name) or _environ_key(name))
        return [] if value is None else [value]

    return get


def _environ_key(name: str) -> str:
    return _ENVIRON_KEYS.setdefault(name, "HTTP_" + name.upper().replace("-", "_"))


_ASGI_NAMES: dict[str, bytes] = {}


def asgi_header_getter(headers: Sequence[tuple[bytes, bytes]]) -> HeaderGetter:
    """Every value of a header, read from an ASGI scope's ``headers`` list.

    The ASGI spec gives header names lower-cased and values as bytes, each
    repeat of a header as its own pair; values decode as latin-1 (RFC 9110 §5.5),
    as Starlette's ``Headers`` do. Reading the list directly spares the header
    object a framework would build per request.
    """

    def get(name: str) -> list[str]:
        key = _ASGI_NAMES.get(name)
        if key is None:
            key = _ASGI_NAMES.setdefault(name, name.lower().encode("latin-1"))
        # A loop, not a comprehension: no function object and frame per call (this runs on
        # every request of every protected route, and finds one value or none).
        found: list[str] = []
        for field, value in headers:
            if field == key:
                found.append(value.decode("latin-1"))
        return found

    return get


def extract_token(get_header: HeaderGetter, location: TokenLocation) -> str | None:
    """The passport in the request, ``None`` when there is none.

    Raises :class:`DuplicateToken` when the passport is presented more than
    once, including once in each of the two places.
    """
    header = location.header
    if header is not None and not location.bearer:
        # The usual location, the dedicated header alone: the same rules as below without
        # the list of places (this runs on every request of every protected route). Two
        # values, or one folded with a comma, go on to the general path, which refuses them.
        values = get_header(header)
        if not values:
            return None
        if len(values) == 1:
            only = values[0].strip(_OWS)
            if "," not in only:
                return only or None
        _single(values, header)  # two values, or one folded: DuplicateToken
    found: list[str] = []
    if location.header is not None:
        value = _single(get_header(location.header), location.header)
        if value:
            found.append(value)
    if location.bearer:
        token = _from_authorization(get_header("Authorization"))
        if token:
            found.append(token)
    if len(found) > 1:
        raise DuplicateToken("the passport was presented in two headers")
    return found[0] if found else None


def environ_token(environ: Mapping[str, Any], location: TokenLocation) -> str | None:
    """:func:`extract_token` over a WSGI environ or Django's ``request.META`` (as
    :func:`environ_header_getter` reads it), with the same result and the same refusals.

    The dedicated header alone, the usual location, is read in place: no header getter is
    built (Django's middleware asks this of every request, also on routes that never look at
    the passport). A location that reads ``Authorization`` goes to :func:`extract_token`.
    """
    header = location.header
    if header is None or location.bearer:
        return extract_token(environ_header_getter(environ), location)
    value = environ.get(_ENVIRON_KEYS.get(header) or _environ_key(header))
    if value is None:
        return None
    token: str = value.strip(_OWS)
    if "," in token:
        raise _sent_twice(header)  # a repeated header, folded by the server: see _single
    return token or None


def asgi_token(headers: Sequence[tuple[bytes, bytes]], location: TokenLocation) -> str | None:
    """:func:`extract_token` over an ASGI scope's ``headers`` list (as :func:`asgi_header_getter`
    reads it), with the same result and the same refusals.

    The dedicated header alone, the usual location, is read in place, in one pass: no header
    getter is built (an async adapter's warm path runs this on every request). A location that
    reads ``Authorization`` goes to :func:`extract_token`.
    """
    header = location.header
    if header is None or location.bearer:
        return extract_token(asgi_header_getter(headers), location)
    key = _ASGI_NAMES.get(header)
    if key is None:
        key = _ASGI_NAMES.setdefault(header, header.lower().encode("latin-1"))
    found: bytes | None = None
    for field, value in headers:
        if field == key:
            if found is not None:
                raise _sent_twice(header)
            found = value
    if found is None:
        return None
    token = found.decode("latin-1").strip(_OWS)
    if "," in token:
        raise _sent_twice(header)  # folded by a proxy: see _single
    return token or None
