"""System checks: a misconfigured service fails at start-up, not at its first request.

=========================  =====================================================
id                         problem
=========================  =====================================================
``passport_django.E001``   the ``PASSPORT`` setting is missing
``passport_django.E002``   no ``AUDIENCE``
``passport_django.E003``   no key setting, several, or a ``JWKS_FILE`` that does not exist
``passport_django.E004``   ``PassportMiddleware`` is not in ``MIDDLEWARE``
``passport_django.E005``   no ``ISSUER``
``passport_django.E006``   ``PASSPORT`` is not a dict, has an unknown or lower-case key,
                           or a value core refuses
``passport_django.E007``   the keys or key URL cannot be used (weak key, private key...)
``passport_django.E008``   any other problem core reports
``passport_django.W001``   ``PassportMiddleware`` comes before ``AuthenticationMiddleware``,
                           which would then replace the passport's ``request.user``
``passport_django.W002``   DRF authenticates with ``PassportAuthentication`` but its
                           ``EXCEPTION_HANDLER`` is not ``passport_django.drf.exception_handler``,
                           so DRF refuses with ``{"detail": ...}``, not problem details
=========================  =====================================================

The sentences come from :meth:`passport_core.PassportConfig.problems`; this
module only gives them stable ids and Django-flavoured hints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from passport_core import ConfigProblem, ConfigurationError
from passport_django.conf import SETTING, config_from_setting, setting_key
from passport_django.middleware import PassportMiddleware

__all__ = ["check_drf", "check_middleware", "check_settings"]

_KEYS_HINT = f'Set exactly one of "JWKS", "JWKS_FILE", "JWKS_URL" or "KEYS" in {SETTING}.'

#: core problem code -> (check id, hint)
_PROBLEM_IDS: dict[str, tuple[str, str]] = {
    "missing_audience": ("E002", f'Add "AUDIENCE": "<this service>" to {SETTING}.'),
    "missing_keys": ("E003", _KEYS_HINT),
    "several_keys": ("E003", _KEYS_HINT),
    "missing_jwks_file": ("E003", "Point JWKS_FILE at a readable JWKS file."),
    "missing_issuer": ("E005", f'Add "ISSUER": "<the edge that mints>" to {SETTING}.'),
}

_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
_OUR_MIDDLEWARE = f"{PassportMiddleware.__module__}.{PassportMiddleware.__name__}"


def _error(message: str, code: str, hint: str | None = None) -> Error:
    return Error(message, hint=hint, id=f"passport_django.{code}")


def _in_django_terms(found: ConfigProblem | ConfigurationError) -> str:
    # Core names its settings as data; a Django project wrote them PASSPORT["AUDIENCE"].
    text = found.render(setting_key)
    return text if found.settings else f"{SETTING}: {text}"


def _classify(problem: ConfigProblem) -> Error:
    code, hint = _PROBLEM_IDS.get(problem.code, ("E008", ""))
    return _error(_in_django_terms(problem), code, hint or None)


def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    """Every problem of the ``PASSPORT`` setting."""
    raw = getattr(settings, SETTING, None)
    if raw is None:
        return [
            _error(
                f"the {SETTING} setting is missing",
                "E001",
                f'Add {SETTING} = {{"ISSUER": ..., "AUDIENCE": ..., "JWKS_URL": ...}} to settings.',
            )
        ]
    try:
        config = config_from_setting(raw)
    except ConfigurationError as error:
        return [
            _error(
                _in_django_terms(error),
                "E006",
                f"{SETTING} is a dict whose keys are the upper-case names of core's settings.",
            )
        ]
    errors = [_classify(problem) for problem in config.problems()]
    if errors:
        return errors
    try:
        config.build_gate()
    except ConfigurationError as error:
        return [_error(_in_django_terms(error), "E007")]
    return []


def _position(middleware: Sequence[str], wanted: type[Any] | str) -> int | None:
    for index, path in enumerate(middleware):
        if isinstance(wanted, str):
            if path == wanted:
                return index
            continue
        try:
            found = import_string(path)
        except ImportError:
            continue  # Django itself reports middleware it cannot import
        if isinstance(found, type) and issubclass(found, wanted):
            return index
    return None


def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``PassportMiddleware`` (or a subclass) is installed, after ``AuthenticationMiddleware``."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    ours = _position(middleware, PassportMiddleware)
    if ours is None:
        return [
            _error(
                f"{_OUR_MIDDLEWARE} is not in MIDDLEWARE",
                "E004",
                f"Add {_OUR_MIDDLEWARE!r} to MIDDLEWARE, after {_AUTH_MIDDLEWARE!r} if you use it.",
            )
        ]
    auth = _position(middleware, _AUTH_MIDDLEWARE)
    if auth is not None and auth > ours:
        return [
            Warning(
                f"{_OUR_MIDDLEWARE} comes before AuthenticationMiddleware, "
                "which then replaces the passport's request.user",
                hint=f"Move {_OUR_MIDDLEWARE!r} after {_AUTH_MIDDLEWARE!r}.",
                id="passport_django.W001",
            )
        ]
    return []


_DRF_AUTHENTICATION = "passport_django.drf.PassportAuthentication"
_DRF_HANDLER = "passport_django.drf.exception_handler"


def check_drf(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """DRF with passport authentication refuses the way the rest of the service does."""
    drf = getattr(settings, "REST_FRAMEWORK", None)
    if not isinstance(drf, dict):
        return []
    classes = drf.get("DEFAULT_AUTHENTICATION_CLASSES") or ()
    if _DRF_AUTHENTICATION not in classes or drf.get("EXCEPTION_HANDLER") == _DRF_HANDLER:
        return []
    return [
        Warning(
            "DRF authenticates with PassportAuthentication but answers refusals with its own "
            "exception handler, not with the problem details every other view sends",
            hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = {_DRF_HANDLER!r}.',
            id="passport_django.W002",
        )
    ]
