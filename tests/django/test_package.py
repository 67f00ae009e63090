"""The package's public surface, and importing it before Django is configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import passport_django

ROOT = Path(__file__).resolve().parents[2]


def test_the_public_names_are_locked() -> None:
    assert passport_django.__all__ == [
        "PassportHttpRequest",
        "PassportMiddleware",
        "PassportRequiredMixin",
        "PassportUser",
        "arequest_passport",
        "async_outbound_client",
        "optional_passport",
        "outbound_client",
        "passport_required",
        "protect_urls",
        "request_passport",
        "require_permission",
        "require_policy",
        "require_role",
        "require_scope",
        "revocation_admin_urls",
        "token_exchange_urls",
    ]
    assert all(hasattr(passport_django, name) for name in passport_django.__all__)


def test_importing_needs_no_configured_settings() -> None:
    code = (
        "import passport_django, passport_django.drf, passport_django.checks, "
        "passport_django.apps, passport_django.views, passport_django.urls\n"
        "from django.conf import settings\n"
        "assert not settings.configured\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
