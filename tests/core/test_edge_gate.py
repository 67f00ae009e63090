"""The topmost service mints: :class:`EdgeGate` behind the gate interface, and the
``edge`` setting of :class:`PassportConfig`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from passport_core import (
    APIKey,
    APIKeyAuthenticator,
    ConfigurationError,
    Edge,
    EdgeGate,
    EdgeRequest,
    Gate,
    HeaderGetter,
    Identity,
    InvalidCredential,
    KeyRing,
    Minter,
    MissingCredential,
    PassportConfig,
    PassportGate,
    Verifier,
    api_key_digest,
    minted_passport,
)

ISSUER, AUDIENCE = "https://edge.test", "orders"
RING = KeyRing.generate("EdDSA")
KEYS = {api_key_digest("k-alice"): APIKey(api_key_digest("k-alice"), "alice")}


class SeesHeaders:
    """Reads its credential from any header named in a request, passports included."""

    name = "sees"

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def credential(self, request: EdgeRequest) -> str | None:
        values = request.get_header("X-Passport")
        self.seen.append(values[0] if values else None)
        found = request.get_header("X-User")
        return found[0] if found else None

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        return Identity(credential, self.name)

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        return Identity(credential, self.name)


def _edge(*authenticators: object) -> Edge:
    chosen = authenticators or (APIKeyAuthenticator(KEYS.get),)
    return Edge(
        Minter(RING, issuer=ISSUER),
        authenticators=chosen,  # type: ignore[arg-type]
        audiences=[AUDIENCE, "billing"],
    )


def _get(values: dict[str, str]) -> HeaderGetter:
    def get(name: str) -> Sequence[str]:
        return [v for k, v in values.items() if k.lower() == name.lower()]

    return get


def test_the_passport_is_the_one_the_edge_signed() -> None:
    gate = EdgeGate(_edge())
    passport = gate.authenticate(_get({"X-API-Key": "k-alice"}))
    assert passport is not None
    verified = Verifier(keys=RING.public_jwks(), issuer=ISSUER, audience=AUDIENCE).verify(
        passport.token
    )
    assert passport == verified
    assert isinstance(gate, Gate)
    assert gate.missing is MissingCredential


def test_minted_passport_reads_a_cached_token_too() -> None:
    edge = _edge()
    request = EdgeRequest.from_headers({"X-API-Key": "k-alice"})
    first, second = edge.mint(request), edge.mint(request)
    assert second.cached
    assert minted_passport(first) == minted_passport(second)


def test_required_and_optional_like_a_passport_gate() -> None:
    gate = EdgeGate(_edge())
    with pytest.raises(MissingCredential):
        gate.authenticate(_get({}))
    assert gate.authenticate(_get({}), required=False) is None
    with pytest.raises(InvalidCredential):
        gate.authenticate(_get({"X-API-Key": "guessed"}), required=False)
    assert asyncio.run(gate.aauthenticate(_get({}), required=False)) is None
    found = asyncio.run(gate.aauthenticate(_get({"X-API-Key": "k-alice"})))
    assert found is not None
    assert found.subject == "alice"


def test_a_client_sent_passport_never_reaches_the_authenticators() -> None:
    sees = SeesHeaders()
    gate = EdgeGate(_edge(sees))
    passport = gate.authenticate(_get({"X-Passport": "forged", "X-User": "bob"}))
    assert passport is not None
    assert passport.subject == "bob"
    assert sees.seen == [None]
    assert gate.presented(_get({"X-User": "bob"}))
    assert not gate.presented(_get({"X-Passport": "forged"}))


def test_extra_strip_headers_never_reach_the_authenticators() -> None:
    # Audit gap 5: a client-sent companion header is hidden like a client-sent passport.
    class SeesCompanion(SeesHeaders):
        def credential(self, request: EdgeRequest) -> str | None:
            values = request.get_header("X-Passport-Profile")
            self.seen.append(values[0] if values else None)
            return super().credential(request)

    sees = SeesCompanion()
    edge = Edge(
        Minter(RING, issuer=ISSUER),
        authenticators=[sees],
        audiences=[AUDIENCE],
        extra_strip_headers=["X-Passport-Profile"],
    )
    passport = EdgeGate(edge).authenticate(_get({"X-Passport-Profile": "forged", "X-User": "bob"}))
    assert passport is not None
    assert passport.subject == "bob"
    assert sees.seen == [None, None]


def test_the_audience_minted_for() -> None:
    passport = EdgeGate(_edge(), audience="billing").authenticate(_get({"X-API-Key": "k-alice"}))
    assert passport is not None
    assert passport.audience == ("billing",)
    with pytest.raises(ConfigurationError) as caught:
        EdgeGate(_edge(), audience="inventory")
    assert caught.value.setting == "edge_audience"


def test_the_edge_setting_builds_a_minting_gate_without_keys() -> None:
    edge = _edge()
    config = PassportConfig.from_mapping({"edge": edge, "edge_audience": "billing"})
    assert config.problems() == []
    gate = config.build_gate()
    assert isinstance(gate, EdgeGate)
    assert (gate.edge, gate.audience) == (edge, "billing")
    assert isinstance(
        PassportConfig.from_mapping(
            {"keys": RING, "issuer": ISSUER, "audience": AUDIENCE}
        ).build_gate(),
        PassportGate,
    )


EDGE = _edge()


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"edge": 3}, "edge"),
        ({"edge": "no-colon"}, "edge"),
        ({"edge": "tests.core.nowhere:EDGE"}, "edge"),
        ({"edge": "tests.core.test_edge_gate:KEYS"}, "edge"),
        ({"edge": EDGE, "verifier": Verifier(keys=RING, issuer=ISSUER, audience=AUDIENCE)}, "edge"),
        (
            {"keys": RING, "issuer": ISSUER, "audience": AUDIENCE, "edge_audience": "x"},
            "edge_audience",
        ),
    ],
)
def test_bad_edge_settings_name_the_setting(settings: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PassportConfig.from_mapping(settings).build_gate()
    assert caught.value.setting == setting


def test_an_import_path_names_the_edge() -> None:
    gate = PassportConfig.from_mapping({"edge": "tests.core.test_edge_gate:EDGE"}).build_gate()
    assert isinstance(gate, EdgeGate)
    assert gate.edge is EDGE
