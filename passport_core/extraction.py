"""Finding the passport in a request's headers, the same way in every framework."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from passport_core.errors import ConfigurationError, DuplicateToken, MalformedToken

__all__ = ["DEFAULT_HEADER", "HeaderGetter", "TokenLocation", "extract_token"]

#: the header a passport travels in unless configured otherwise
DEFAULT_HEADER = "X-Passport"

#: returns every value of one request header (empty when absent)
HeaderGetter = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class TokenLocation:
    """Where a service reads passports from.

    :param header: the dedicated header (default ``X-Passport``); ``None`` to
        read only ``Authorization``.
    :param bearer: also accept ``Authorization: Bearer <passport>`` (RFC 6750).
    """

    header: str | None = DEFAULT_HEADER
    bearer: bool = False

    def __post_init__(self) -> None:
        if self.header is None and not self.bearer:
            raise ConfigurationError("read passports from a header, from Bearer, or both")
        if self.header is not None and (not self.header or not self.header.isascii()):
            raise ConfigurationError("the passport header name must be non-empty ASCII")
        if self.header is not None and self.header.lower() == "authorization":
            raise ConfigurationError("use bearer=True to read the Authorization header")


def _single(values: Sequence[str], what: str) -> str | None:
    present = [value.strip() for value in values]
    if not present:
        return None
    # Servers fold repeated headers into one value joined by commas; a compact
    # JWS never contains a comma, so a comma means the header was sent twice.
    if len(present) > 1 or "," in present[0]:
        raise DuplicateToken(f"the {what} header was sent more than once")
    return present[0]


def _bearer(value: str) -> str | None:
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer":
        return None  # another scheme (Basic, ...) is not ours to judge
    credentials = credentials.strip()
    if not credentials or " " in credentials:
        raise MalformedToken("the Authorization header is not 'Bearer <token>'")
    return credentials


def extract_token(get_header: HeaderGetter, location: TokenLocation) -> str | None:
    """The passport in the request, ``None`` when there is none.

    Raises :class:`DuplicateToken` when the passport is presented more than
    once, including once in each of the two places.
    """
    found: list[str] = []
    if location.header is not None:
        value = _single(get_header(location.header), location.header)
        if value:
            found.append(value)
    if location.bearer:
        value = _single(get_header("Authorization"), "Authorization")
        token = _bearer(value) if value else None
        if token:
            found.append(token)
    if len(found) > 1:
        raise DuplicateToken("the passport was presented in two headers")
    return found[0] if found else None
