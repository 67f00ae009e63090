"""URL patterns to include in a service that mints::

    urlpatterns = [path("", include("passport_django.urls")), ...]

which serves the JWKS at ``/.well-known/jwks.json`` (``passport_core.JWKS_PATH``).
"""

from __future__ import annotations

from django.urls import path

from passport_core import JWKS_PATH
from passport_django.views import jwks

__all__ = ["app_name", "urlpatterns"]

app_name = "passport"

urlpatterns = [path(JWKS_PATH.lstrip("/"), jwks, name="jwks")]
