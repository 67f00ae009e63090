"""The package's public surface is locked: a change to it is a deliberate, reviewed change."""

from __future__ import annotations

import passport_fastapi


def test_the_public_names_are_locked() -> None:
    assert passport_fastapi.__all__ == [
        "BEARER_SCHEME_NAME",
        "SCHEME_NAME",
        "AsyncOutboundClient",
        "OptionalPassportDep",
        "OutboundClient",
        "PassportDep",
        "PassportRoute",
        "PassportScheme",
        "PolicyDependency",
        "async_outbound_client",
        "optional_passport",
        "outbound_client",
        "passport",
        "require_permission",
        "require_policy",
        "require_role",
        "require_scope",
        "setup_passport",
    ]
    assert all(hasattr(passport_fastapi, name) for name in passport_fastapi.__all__)
