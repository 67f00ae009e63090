"""The ``PASSPORT`` setting, read through one typed shadow object.

Keys are upper-case, like every Django setting; each maps to the lower-case
field of :class:`passport_core.PassportConfig` of the same name::

    PASSPORT = {
        "ISSUER": "https://edge.example",
        "AUDIENCE": "orders",
        "JWKS_URL": "https://edge.example/.well-known/jwks.json",
        "ALLOWED_HOSTS": ["billing.internal"],  # outbound forwarding, not Django's ALLOWED_HOSTS
    }

The built configuration and gate are cached (a ``JWKS_URL`` key cache lives as
long as the gate) and dropped whenever Django's ``setting_changed`` signal
reports ``PASSPORT``, so ``override_settings(PASSPORT=...)`` takes effect.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from passport_core import ConfigurationError, Gate, MissingToken, PassportConfig, PassportError

__all__ = ["SETTING", "PassportSettings", "conf", "config_from_setting", "setting_key"]

#: the name of the one settings dict
SETTING = "PASSPORT"


def setting_key(name: str) -> str:
    """How a Django project writes a core setting: ``PASSPORT["AUDIENCE"]``."""
    return f'{SETTING}["{name.upper()}"]'


def config_from_setting(value: Any) -> PassportConfig:
    """Build core's configuration from the value of ``settings.PASSPORT``.

    Raises :class:`~passport_core.ConfigurationError` for a missing or
    non-mapping value, a key that is not upper-case, or any setting core refuses.
    """
    if value is None:
        raise ConfigurationError(f"the {SETTING} setting is missing")
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"the {SETTING} setting must be a dict")
    lowered: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or key != key.upper():
            raise ConfigurationError(
                f"{SETTING} keys are upper-case like every Django setting: {key!r}"
            )
        lowered[key.lower()] = item
    try:
        return PassportConfig.from_mapping(lowered)
    except ConfigurationError as error:
        raise error.restated(setting_key) from error


class PassportSettings:
    """Lazily built, cached view of ``settings.PASSPORT``; safe to share between threads.

    Reads take no lock (an attribute read is atomic); only building takes it, once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: PassportConfig | None = None
        self._gate: Gate | None = None

    @property
    def raw(self) -> Any:
        """The ``PASSPORT`` setting as written, ``None`` when absent."""
        return getattr(settings, SETTING, None)

    @property
    def config(self) -> PassportConfig:
        """Core's configuration; raises :class:`~passport_core.ConfigurationError` when wrong."""
        config = self._config  # read without the lock: every request passes here
        if config is None:
            with self._lock:
                if self._config is None:
                    self._config = config_from_setting(self.raw)
                config = self._config
        return config

    @property
    def gate(self) -> Gate:
        """The gate every request goes through (built once, reused for its key cache)."""
        gate = self._gate
        if gate is not None:
            return gate
        config = self.config
        with self._lock:
            if self._gate is not None:
                return self._gate
            try:
                gate = config.build_gate()
            except ConfigurationError as error:
                raise error.restated(setting_key) from error
            if self._config is config:  # not reloaded while building: keep it
                self._gate = gate
            return gate

    @property
    def realm(self) -> str | None:
        """The challenge realm, or ``None`` (also when the setting is broken)."""
        try:
            return self.config.realm
        except ConfigurationError:
            return None

    def missing(self) -> PassportError:
        """What a required view answers when nothing was sent: ``missing_token``, or
        ``missing_credential`` where the topmost service mints (``EDGE``)."""
        try:
            return self.gate.missing()
        except ConfigurationError:
            return MissingToken()  # broken settings are reported where the gate is used

    def reload(self) -> None:
        """Forget the cached configuration; the next use reads the setting again."""
        with self._lock:
            self._gate = None
            self._config = None


#: the one shadow object the middleware, decorators and views read
conf = PassportSettings()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        conf.reload()


setting_changed.connect(_on_setting_changed, dispatch_uid="passport_django.conf.reload")
