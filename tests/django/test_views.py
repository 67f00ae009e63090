"""The JWKS view at /.well-known/jwks.json."""

from __future__ import annotations

from typing import Any

from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from passport_core import JWKS_PATH, Verifier, load_jwks
from passport_django.views import jwks
from tests.django import settings as test_settings
from tests.django.conftest import Get, Mint
from tests.django.test_middleware import assert_problem


def test_the_jwks_is_served_at_the_well_known_path(get: Get) -> None:
    assert reverse("passport:jwks") == JWKS_PATH
    response = get(JWKS_PATH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response.json() == test_settings.ring.public_jwks()


def test_the_served_jwks_has_public_keys_only_and_verifies_passports(
    client: Client, mint: Mint
) -> None:
    published = client.get(JWKS_PATH).json()
    assert all("d" not in key for key in published["keys"])
    load_jwks(published)  # core refuses private members in a public set
    verifier = Verifier(keys=published, issuer=test_settings.issuer, audience="orders")
    assert verifier.verify(mint("alice")).subject == "alice"


def test_a_rotated_key_ring_publishes_both_keys(
    client: Client, passport_settings: dict[str, Any]
) -> None:
    ring = type(test_settings.ring).generate()
    retiring = ring.active.kid
    ring.prepare()  # an immediate rotation: this test is about what follows
    ring.promote(force=True)
    with override_settings(PASSPORT={**passport_settings, "PUBLISH": ring}):
        kids = {key["kid"] for key in client.get(JWKS_PATH).json()["keys"]}
    assert kids == {retiring, ring.active.kid}


def test_a_service_that_does_not_mint_answers_404(
    client: Client, passport_settings: dict[str, Any]
) -> None:
    del passport_settings["PUBLISH"]
    with override_settings(PASSPORT=passport_settings):
        assert client.get(JWKS_PATH).status_code == 404


def test_only_safe_methods_are_allowed(client: Client) -> None:
    assert client.head(JWKS_PATH).status_code == 200
    assert client.post(JWKS_PATH).status_code == 405


def test_broken_settings_answer_a_problem_not_a_traceback(rf: RequestFactory) -> None:
    with override_settings(PASSPORT={"issuer": "x"}):
        response = jwks(rf.get(JWKS_PATH))
    assert_problem(response, 500, "configuration_error")
