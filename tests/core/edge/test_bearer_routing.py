"""OIDC and introspection share ``Authorization: Bearer``: JWTs go to the first, opaque tokens
to the second, each against its real server on 127.0.0.1."""

from __future__ import annotations

import pytest

from passport_core import (
    Edge,
    EdgeRequest,
    IntrospectionAuthenticator,
    InvalidCredential,
    Key,
    KeyRing,
    Minter,
    MissingCredential,
    OIDCAuthenticator,
)
from tests.core.conftest import JWKSServer
from tests.core.edge.conftest import EDGE_ISSUER, Mint, issue, times
from tests.core.edge.idp import CLIENT_ID, CLIENT_SECRET, IdP

API = "https://api.test"
OPAQUE = "opaque-Access-Token-0123456789abcdef"


@pytest.fixture
def oidc(provider: JWKSServer) -> OIDCAuthenticator:
    return OIDCAuthenticator(provider.base_url, audience=API, timeout=0.5)


@pytest.fixture
def both(oidc: OIDCAuthenticator, idp: IdP, edge_ring: KeyRing) -> Edge:
    introspection = IntrospectionAuthenticator(
        idp.endpoint, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout=1.0
    )
    return Edge(
        Minter(edge_ring, issuer=EDGE_ISSUER),
        authenticators=[oidc, introspection],
        audiences=["orders"],
        use_cache=False,
    )


def bearer(token: str) -> EdgeRequest:
    return EdgeRequest.from_headers({"Authorization": f"Bearer {token}"})


def access_token(provider: JWKSServer, idp_key: Key, **claims: str) -> str:
    body = {"iss": provider.base_url, "sub": "jwt-user", "aud": API, "client_id": "web"}
    return issue(idp_key, {**body, "jti": "at-1", **times(), **claims})


def test_a_jwt_goes_to_oidc_and_an_opaque_token_to_introspection(
    both: Edge, provider: JWKSServer, idp: IdP, idp_key: Key, mint: Mint
) -> None:
    idp.tokens[OPAQUE] = {"active": True, "sub": "opaque-user"}
    assert mint(both, bearer(access_token(provider, idp_key))).subject == "jwt-user"
    assert idp.introspections() == 0
    assert mint(both, bearer(OPAQUE)).subject == "opaque-user"
    assert idp.introspections() == 1


def test_a_bad_jwt_is_refused_by_oidc_and_never_introspected(
    both: Edge, provider: JWKSServer, idp: IdP, idp_key: Key, mint: Mint
) -> None:
    with pytest.raises(InvalidCredential):
        mint(both, bearer(access_token(provider, idp_key, aud="https://elsewhere.test")))
    assert idp.introspections() == 0


def test_an_opaque_token_at_an_oidc_only_edge_is_a_401(
    oidc: OIDCAuthenticator, edge_ring: KeyRing, mint: Mint
) -> None:
    edge = Edge(Minter(edge_ring, issuer=EDGE_ISSUER), authenticators=[oidc], audiences=["o"])
    with pytest.raises(MissingCredential) as info:
        mint(edge, bearer(OPAQUE))
    assert info.value.status == 401


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("aGVhZA.Ym9keQ.c2ln", True),
        ("aGVhZA.Ym9keQ.", True),  # an unsecured JWS: the JWT authenticator refuses it
        ("opaque", False),
        ("a.b", False),
        ("a.b.c.d.e", False),  # JWE compact form: not a signed JWT
        ("a+b.c/d.e=", False),
        (".Ym9keQ.c2ln", False),
    ],
)
def test_only_the_compact_jws_shape_is_read(
    oidc: OIDCAuthenticator, value: str, shaped: bool
) -> None:
    assert (oidc.credential(bearer(value)) == value) is shaped
