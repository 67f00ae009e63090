"""protect_urls: one guard for every view of an included URL group."""

from __future__ import annotations

import pytest

from passport_django import protect_urls
from tests.django.conftest import Get, Mint


@pytest.mark.parametrize("path", ["/group/any/", "/group/deep/inner/"])
def test_every_view_of_a_group_needs_a_passport(get: Get, mint: Mint, path: str) -> None:
    refused = get(path)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert get(path, mint("alice")).status_code == 200


@pytest.mark.parametrize("path", ["/admin-group/any/", "/admin-group/deep/inner/"])
def test_a_group_policy_applies_to_nested_includes(get: Get, mint: Mint, path: str) -> None:
    assert get(path).status_code == 401
    denied = get(path, mint("bob", roles=["staff"]))
    assert denied.status_code == 403
    assert 'error="insufficient_scope"' in denied["WWW-Authenticate"]
    assert get(path, mint("alice", roles=["admin"])).status_code == 200


def test_include_by_module_name_keeps_namespace() -> None:
    patterns, app_name, namespace = protect_urls(("passport_django.urls", "jwks", "keys"))
    assert (app_name, namespace) == ("jwks", "keys")
    assert patterns, "the module's urlpatterns were wrapped"
