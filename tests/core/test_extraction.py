"""Finding the passport in request headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport_core import (
    ConfigurationError,
    DuplicateToken,
    MalformedToken,
    PassportError,
    TokenLocation,
    asgi_header_getter,
    asgi_token,
    environ_header_getter,
    environ_token,
    extract_token,
)


def headers(**values: list[str]) -> object:
    """A case-insensitive header getter over ``name=[values]`` (underscores become dashes)."""
    table = {name.replace("_", "-").lower(): vals for name, vals in values.items()}

    def get(name: str) -> Sequence[str]:
        return table.get(name.lower(), [])

    return get


def test_reads_the_default_header() -> None:
    assert extract_token(headers(X_Passport=["a.b.c"]), TokenLocation()) == "a.b.c"


def test_absent_is_none() -> None:
    assert extract_token(headers(), TokenLocation()) is None


def test_surrounding_whitespace_is_ignored() -> None:
    assert extract_token(headers(X_Passport=["  a.b.c "]), TokenLocation()) == "a.b.c"


@pytest.mark.parametrize(
    "values",
    [["a.b.c", "d.e.f"], ["a.b.c", "a.b.c"], ["a.b.c, d.e.f"], ["a.b.c,d.e.f"]],
    ids=["two-values", "same-twice", "folded-with-space", "folded"],
)
def test_a_header_sent_twice_is_refused(values: list[str]) -> None:
    with pytest.raises(DuplicateToken) as caught:
        extract_token(headers(X_Passport=values), TokenLocation())
    assert caught.value.code == "duplicate_token"
    assert caught.value.status == 401


def test_custom_header_name() -> None:
    location = TokenLocation(header="X-Service-Passport")
    assert extract_token(headers(X_Service_Passport=["t.t.t"]), location) == "t.t.t"
    assert extract_token(headers(X_Passport=["t.t.t"]), location) is None


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "DPoP", "dpop"])
def test_bearer_when_enabled(scheme: str) -> None:
    location = TokenLocation(bearer=True)
    assert extract_token(headers(Authorization=[f"{scheme} a.b.c"]), location) == "a.b.c"


def test_bearer_ignored_unless_enabled() -> None:
    assert extract_token(headers(Authorization=["Bearer a.b.c"]), TokenLocation()) is None


def test_other_authorization_schemes_are_not_ours() -> None:
    location = TokenLocation(bearer=True)
    assert extract_token(headers(Authorization=["Basic dXNlcjpwYXNz"]), location) is None
    assert extract_token(headers(Authorization=["DPoPish a.b.c"]), location) is None


@pytest.mark.parametrize(
    "value", ["Bearer", "Bearer ", "Bearer a.b.c extra", "DPoP", "DPoP a.b.c extra", "DPoP\x00a"]
)
def test_broken_bearer_is_malformed(value: str) -> None:
    with pytest.raises(MalformedToken):
        extract_token(headers(Authorization=[value]), TokenLocation(bearer=True))


def test_both_places_at_once_is_a_duplicate() -> None:
    getter = headers(X_Passport=["a.b.c"], Authorization=["Bearer a.b.c"])
    with pytest.raises(DuplicateToken):
        extract_token(getter, TokenLocation(bearer=True))


def test_bearer_only() -> None:
    location = TokenLocation(header=None, bearer=True)
    getter = headers(X_Passport=["x.x.x"], Authorization=["Bearer a.b.c"])
    assert extract_token(getter, location) == "a.b.c"


@pytest.mark.parametrize(
    "kwargs",
    [{"header": None, "bearer": False}, {"header": ""}, {"header": "Authorization"}],
)
def test_bad_locations_are_configuration_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        TokenLocation(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        'Digest username="a", realm="r", nonce="n", uri="/", response="x"',
        "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c",
        "BearerToken abc",
    ],
    ids=["digest", "sigv4", "scheme-starting-with-bearer"],
)
def test_other_schemes_with_commas_are_not_duplicates(value: str) -> None:
    assert extract_token(headers(Authorization=[value]), TokenLocation(bearer=True)) is None


@pytest.mark.parametrize("value", ["Bearer\ta.b.c", "Bearer   a.b.c", "\tBearer a.b.c\t"])
def test_http_whitespace_around_bearer(value: str) -> None:
    assert extract_token(headers(Authorization=[value]), TokenLocation(bearer=True)) == "a.b.c"


@pytest.mark.parametrize("value", ["Bearer\xa0a.b.c", "Bearer\x00a.b.c"])
def test_odd_separators_are_malformed_not_anonymous(value: str) -> None:
    with pytest.raises(MalformedToken):
        extract_token(headers(Authorization=[value]), TokenLocation(bearer=True))


@pytest.mark.parametrize(
    "values", [["Bearer a.b.c, Bearer d.e.f"], ["Bearer a.b.c", "bearer d.e.f"]]
)
def test_bearer_sent_twice_is_a_duplicate(values: list[str]) -> None:
    with pytest.raises(DuplicateToken):
        extract_token(headers(Authorization=values), TokenLocation(bearer=True))


def test_non_http_whitespace_is_not_stripped_from_the_header() -> None:
    assert extract_token(headers(X_Passport=["\xa0a.b.c"]), TokenLocation()) == "\xa0a.b.c"


def test_headers_read_from_a_wsgi_environ() -> None:
    """PEP 3333 names: HTTP_ + upper case, '-' as '_'; repeats arrive folded into one value."""
    get = environ_header_getter({"HTTP_X_PASSPORT": "a.b.c", "HTTP_AUTHORIZATION": "Bearer t"})

    assert list(get("X-Passport")) == ["a.b.c"]
    assert list(get("x-passport")) == ["a.b.c"]
    assert list(get("Authorization")) == ["Bearer t"]
    assert list(get("X-Other")) == []
    location = TokenLocation(header="X-Passport", bearer=True)
    with pytest.raises(DuplicateToken):
        extract_token(get, location)


def test_headers_read_from_an_asgi_scope() -> None:
    """ASGI: names lower-cased bytes, each repeat its own pair, values decoded as latin-1."""
    scope_headers = [
        (b"host", b"svc"),
        (b"x-passport", b"a.b.c"),
        (b"authorization", b"Bearer t"),
    ]
    get = asgi_header_getter(scope_headers)

    assert get("X-Passport") == ["a.b.c"]
    assert get("x-passport") == ["a.b.c"]
    assert get("Authorization") == ["Bearer t"]
    assert get("X-Other") == []
    assert extract_token(get, TokenLocation()) == "a.b.c"
    twice = asgi_header_getter([(b"x-passport", b"a.b.c"), (b"x-passport", b"d.e.f")])
    with pytest.raises(DuplicateToken):
        extract_token(twice, TokenLocation())
    assert asgi_header_getter([(b"x-other", b"caf\xe9")])("X-Other") == ["café"]


def test_a_repeated_header_is_refused_on_the_short_path_too() -> None:
    # the dedicated header alone: the getter is asked once, and a repeat still refused
    asked: list[str] = []

    def get(name: str) -> list[str]:
        asked.append(name)
        return ["a.b.c", "d.e.f"]

    with pytest.raises(DuplicateToken):
        extract_token(get, TokenLocation())
    assert asked == ["X-Passport"]


def _outcome(read: Callable[[], str | None]) -> object:
    try:
        return read()
    except PassportError as error:
        return type(error), str(error)


_FIELDS = st.sampled_from([b"x-passport", b"authorization", b"host", b"x-other", b"X-Passport"])
_VALUES = st.sampled_from(
    [
        b"a.b.c",
        b" a.b.c\t",
        b"",
        b" \t",
        b"a.b.c, d.e.f",
        b"a.b.c,",
        b"Bearer a.b.c",
        b"bearer  a.b.c ",
        b"DPoP x.y.z",
        b"caf\xe9",
    ]
)


_LOCATIONS = st.sampled_from(
    [
        TokenLocation(),
        TokenLocation(header="X-Other"),
        TokenLocation(header="x-PASSPORT"),
        TokenLocation(bearer=True),
        TokenLocation(header=None, bearer=True),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    scope_headers=st.lists(st.tuples(_FIELDS, _VALUES), max_size=5),
    location=_LOCATIONS,
)
def test_an_asgi_headers_list_is_read_as_its_header_getter_reads_it(
    scope_headers: list[tuple[bytes, bytes]], location: TokenLocation
) -> None:
    """``asgi_token`` (the warm path's reading, in place) answers and refuses exactly as
    ``extract_token`` over ``asgi_header_getter``."""
    assert _outcome(lambda: asgi_token(scope_headers, location)) == _outcome(
        lambda: extract_token(asgi_header_getter(scope_headers), location)
    )


@settings(max_examples=300, deadline=None)
@given(
    environ=st.dictionaries(
        st.sampled_from(["HTTP_X_PASSPORT", "HTTP_AUTHORIZATION", "HTTP_X_OTHER", "HTTP_HOST"]),
        _VALUES.map(lambda value: value.decode("latin-1")),
        max_size=4,
    ),
    location=_LOCATIONS,
)
def test_an_environ_is_read_as_its_header_getter_reads_it(
    environ: dict[str, str], location: TokenLocation
) -> None:
    """``environ_token`` (Django's middleware asks it of every request) answers and refuses
    exactly as ``extract_token`` over ``environ_header_getter``."""
    assert _outcome(lambda: environ_token(environ, location)) == _outcome(
        lambda: extract_token(environ_header_getter(environ), location)
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HTTP_HOST": "svc", "HTTP_X_PASSPORT": " a.b.c\t"}, "a.b.c"),
        ({"HTTP_X_PASSPORTS": "a.b.c", "X_PASSPORT": "a.b.c"}, None),
        ({"HTTP_X_PASSPORT": " "}, None),
        ({"HTTP_X_PASSPORT": "a.b.c,a.b.c"}, DuplicateToken),  # sent twice, folded
    ],
)
def test_environ_token_reads_the_cgi_name_of_the_header(
    environ: dict[str, str], expected: object
) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected, match="more than once"):
            environ_token(environ, TokenLocation())
    else:
        assert environ_token(environ, TokenLocation()) == expected


@pytest.mark.parametrize(
    ("scope_headers", "expected"),
    [
        ([(b"host", b"svc"), (b"x-passport", b" a.b.c\t")], "a.b.c"),
        ([], None),
        ([(b"x-passport", b"")], None),
        ([(b"x-passport", b"a.b.c"), (b"x-passport", b"a.b.c")], DuplicateToken),
        ([(b"x-passport", b"a.b.c, a.b.c")], DuplicateToken),
    ],
)
@pytest.mark.parametrize("once", [False, True], ids=["list", "iterator"])
def test_asgi_token_reads_the_dedicated_header_in_place(
    scope_headers: list[tuple[bytes, bytes]], expected: object, once: bool
) -> None:
    """The ASGI spec promises an iterable: read once, a repeat is still refused."""

    def given() -> Any:
        return iter(scope_headers) if once else scope_headers

    if isinstance(expected, type):
        with pytest.raises(expected):
            asgi_token(given(), TokenLocation())
    else:
        assert asgi_token(given(), TokenLocation()) == expected
