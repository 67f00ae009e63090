"""setup_passport: configuration errors, the OpenAPI security scheme and the JWKS endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI

from passport_core import JWKS_PATH, ConfigurationError, KeyRing, PassportConfig
from passport_fastapi import OptionalPassportDep, PassportDep, passport, setup_passport
from tests.fastapi.testapp import AUDIENCE, ISSUER, AppFactory, Mint, TestClient


def test_accepts_a_config_object(ring: KeyRing, mint: Mint) -> None:
    app = FastAPI()
    config = PassportConfig(issuer=ISSUER, audience=(AUDIENCE,), jwks=ring.public_jwks())
    assert setup_passport(app, config) is config

    @app.get("/me")
    async def me(found: PassportDep) -> str:
        return found.subject

    with TestClient(app) as client:
        assert client.get("/me", headers={"X-Passport": mint("alice")}).json() == "alice"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "no 'issuer'"),
        ({"issuer": ISSUER, "jwks": {"keys": []}}, "no 'audience'"),
        ({"issuer": ISSUER, "audience": AUDIENCE}, "no keys"),
        ({"issuer": ISSUER, "audienc": AUDIENCE}, "unknown passport setting .audienc."),
    ],
)
def test_misconfiguration_fails_at_setup(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        setup_passport(FastAPI(), **settings)


def test_config_and_settings_together_are_refused(ring: KeyRing) -> None:
    config = PassportConfig(issuer=ISSUER, audience=(AUDIENCE,), jwks=ring.public_jwks())
    with pytest.raises(ConfigurationError, match="not both"):
        setup_passport(FastAPI(), config, realm="orders")


def test_second_setup_is_refused(app: FastAPI, ring: KeyRing) -> None:
    with pytest.raises(ConfigurationError, match="already called"):
        setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())


def test_dependency_without_setup_says_what_is_missing(mint: Mint) -> None:
    app = FastAPI()

    @app.get("/me", dependencies=[Depends(passport)])
    async def me() -> None:
        """Never reached."""

    with TestClient(app) as client, pytest.raises(ConfigurationError, match="setup_passport"):
        client.get("/me", headers={"X-Passport": mint()})


# --- OpenAPI ------------------------------------------------------------------------------------

HEADER_SCHEME = {"type": "apiKey", "in": "header", "name": "X-Passport"}
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        schema = client.get("/openapi.json").json()
    assert isinstance(schema, dict)
    return schema


def _without_description(scheme: dict[str, Any]) -> dict[str, Any]:
    assert scheme.pop("description")
    return scheme


@pytest.mark.parametrize(
    ("settings", "schemes"),
    [
        ({}, {"Passport": HEADER_SCHEME}),
        (
            {"header": "X-Internal-Passport"},
            {"Passport": {**HEADER_SCHEME, "name": "X-Internal-Passport"}},
        ),
        ({"header": None, "bearer": True}, {"Passport": BEARER_SCHEME}),
        ({"bearer": True}, {"Passport": HEADER_SCHEME, "PassportBearer": BEARER_SCHEME}),
    ],
    ids=["default header", "custom header", "bearer only", "header or bearer"],
)
def test_openapi_documents_where_the_passport_goes(
    make_app: AppFactory, settings: dict[str, Any], schemes: dict[str, Any]
) -> None:
    schema = _openapi(make_app(**settings))
    found = schema["components"]["securitySchemes"]
    assert {name: _without_description(scheme) for name, scheme in found.items()} == schemes
    expected: list[dict[str, list[str]]] = [{name: []} for name in schemes]
    for path in ["/me", "/me-sync", "/admin", "/admin-param", "/orders/list"]:
        assert schema["paths"][path]["get"]["security"] == expected, path
    # an optional passport: OpenAPI's empty requirement object is the "none" alternative
    for path in ["/maybe", "/maybe-sync", "/forward"]:
        assert schema["paths"][path]["get"]["security"] == [*expected, {}], path
    assert "security" not in schema["paths"]["/public"]["get"]
    # the passport never appears as a parameter FastAPI would validate (and answer 422 for)
    assert "parameters" not in schema["paths"]["/me"]["get"]


def test_openapi_schema_is_stable_across_calls(app: FastAPI) -> None:
    assert app.openapi() is app.openapi()
    assert _openapi(app) == app.openapi()


# --- JWKS ---------------------------------------------------------------------------------------


def test_jwks_is_served_when_publishing(make_app: AppFactory, ring: KeyRing) -> None:
    with TestClient(make_app(publish=ring)) as client:
        response = client.get(JWKS_PATH)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["content-type"] == "application/jwk-set+json"
    assert response.json() == ring.public_jwks()
    assert all("d" not in key for key in response.json()["keys"])


def test_a_ring_jwks_is_cached_no_longer_than_its_publish_delay(make_app: AppFactory) -> None:
    ring = KeyRing.generate("EdDSA", publish_delay=60)
    with TestClient(make_app(publish=ring)) as client:
        response = client.get(JWKS_PATH)
    assert response.headers["cache-control"] == "public, max-age=60"


def test_jwks_follows_rotation(make_app: AppFactory) -> None:
    ring = KeyRing.generate("EdDSA")
    with TestClient(make_app(publish=ring)) as client:
        before = {key["kid"] for key in client.get(JWKS_PATH).json()["keys"]}
        ring.prepare()  # an immediate rotation: this test is about what follows
        new = ring.promote(force=True)
        after = {key["kid"] for key in client.get(JWKS_PATH).json()["keys"]}
    assert after == before | {new.kid}


def test_jwks_is_public_even_when_the_whole_app_requires_a_passport(ring: KeyRing) -> None:
    app = FastAPI(dependencies=[Depends(passport)])
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks(), publish=ring)

    @app.get("/me")
    async def me() -> None:
        """Guarded by the app-wide dependency."""

    with TestClient(app) as client:
        assert client.get("/me").status_code == 401
        assert client.get(JWKS_PATH).json() == ring.public_jwks()


def test_no_jwks_without_publish(client: TestClient) -> None:
    assert client.get(JWKS_PATH).status_code == 404


def test_jwks_is_not_an_api_operation(make_app: AppFactory, ring: KeyRing) -> None:
    assert JWKS_PATH not in _openapi(make_app(publish=ring))["paths"]


def test_openapi_marks_optional_passports_in_included_routers_too(ring: KeyRing) -> None:
    # FastAPI 0.165 keeps an included router whole rather than copying its routes
    app = FastAPI()
    setup_passport(app, issuer=ISSUER, audience=AUDIENCE, jwks=ring.public_jwks())
    outer, inner = APIRouter(prefix="/outer"), APIRouter(prefix="/inner")

    @inner.get("/maybe")
    async def maybe(found: OptionalPassportDep) -> None: ...

    @inner.get("/me")
    async def me(found: PassportDep) -> None: ...

    outer.include_router(inner)
    app.include_router(outer)
    paths = app.openapi()["paths"]
    assert paths["/outer/inner/maybe"]["get"]["security"] == [{"Passport": []}, {}]
    assert paths["/outer/inner/me"]["get"]["security"] == [{"Passport": []}]
