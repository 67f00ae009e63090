"""The package's public surface is locked: a change to it is a deliberate, reviewed change."""

from __future__ import annotations

import passport_flask


def test_the_public_names_are_locked() -> None:
    assert passport_flask.__all__ == [
        "CONFIG_PREFIX",
        "EXTENSION_NAME",
        "JWKS_ENDPOINT",
        "PassportExtension",
        "async_outbound_client",
        "current_passport",
        "optional_passport",
        "outbound_client",
        "passport_required",
        "protect",
        "require_permission",
        "require_policy",
        "require_role",
        "require_scope",
        "revocation_admin_blueprint",
        "token_exchange_blueprint",
        "verify_request",
    ]
    assert all(hasattr(passport_flask, name) for name in passport_flask.__all__)
