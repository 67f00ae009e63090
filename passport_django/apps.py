"""The Django app: add ``"passport_django"`` to ``INSTALLED_APPS`` to get the system checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["PassportAppConfig"]


class PassportAppConfig(AppConfig):
    """Registers the start-up checks (named so it never clashes with core's ``PassportConfig``)."""

    name = "passport_django"
    label = "passport_django"
    verbose_name = "Service passport"

    def ready(self) -> None:
        from passport_django.checks import (  # noqa: PLC0415 - import once the apps are loaded
            check_drf,
            check_middleware,
            check_settings,
        )

        checks.register(check_settings)
        checks.register(check_middleware)
        checks.register(check_drf)
