"""Django settings for tests/django only (applied by this folder's conftest.py).

Lower-case names are test constants, not settings.
"""

from __future__ import annotations

from passport_core import KeyRing

issuer = "https://edge.test"
audience = "orders"
#: signs the test passports; the service verifies with its public half and publishes it
ring = KeyRing.generate("EdDSA")

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES: dict[str, object] = {}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "passport_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "passport_django.middleware.PassportMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
ROOT_URLCONF = "tests.django.urls"
PASSPORT = {
    "ISSUER": issuer,
    "AUDIENCE": audience,
    "JWKS": ring.public_jwks(),
    "PUBLISH": ring,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["passport_django.drf.PassportAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "EXCEPTION_HANDLER": "passport_django.drf.exception_handler",
}
LOGGING_CONFIG = None


def configure() -> None:
    """Apply these settings (once per process) and set Django up; every test folder calls it."""
    import django  # noqa: PLC0415 - imported when configuring, not with the constants
    from django.conf import settings  # noqa: PLC0415

    if not settings.configured:
        values = {name: value for name, value in globals().items() if name.isupper()}
        settings.configure(**values)
    django.setup()
