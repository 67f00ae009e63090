"""The Flask extension: settings from ``app.config``, the per-request passport, error answers.

One :class:`PassportExtension` object may serve several apps
(application-factory pattern); what belongs to one app (its settings, its
gate) is kept per app, and request-time code finds it through
``current_app``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from contextvars import Token
from typing import Any, TypeAlias, cast

from flask import Flask, Response, current_app, g, request
from werkzeug.local import LocalProxy

from passport_core import (
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    ConfigurationError,
    Gate,
    HostAllowList,
    NoPassport,
    Passport,
    PassportConfig,
    PassportError,
    RequestTarget,
    environ_header_getter,
    get_passport,
    jwks_cache_control,
    problem_response,
    reset_passport,
    set_passport,
    warm_up_gate,
)

__all__ = [
    "CONFIG_PREFIX",
    "EXTENSION_NAME",
    "JWKS_ENDPOINT",
    "PassportExtension",
    "current_passport",
    "verify_request",
]

logger = logging.getLogger("passport_flask")

#: the key of ``app.extensions`` the extension registers itself under
EXTENSION_NAME = "passport"
#: the key of ``app.extensions`` holding the app's passport state
_STATE_NAME = "passport.state"
#: every setting is ``app.config[CONFIG_PREFIX + NAME]``, e.g. ``PASSPORT_AUDIENCE``
CONFIG_PREFIX = "PASSPORT_"
#: the endpoint name of the JWKS view (registered when ``PASSPORT_PUBLISH`` is set)
JWKS_ENDPOINT = "passport_jwks"

_SETTINGS = PassportConfig.setting_names()
# Namespaced keys in ``g``: the context token of this request and the thread that set it.
_G_CONTEXT = "_passport_flask_context"


def config_key(name: str) -> str:
    """The ``app.config`` key of a :class:`~passport_core.PassportConfig` setting."""
    return CONFIG_PREFIX + name.upper()


def _check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - _SETTINGS)
    if unknown:
        raise ConfigurationError(
            f"unknown passport setting(s) {', '.join(unknown)} given as keyword arguments; "
            f"known: {', '.join(sorted(_SETTINGS))}",
            setting=unknown[0],
        )
    return dict(overrides)


def _load_settings(config: Mapping[str, Any], overrides: Mapping[str, Any]) -> PassportConfig:
    values = {
        key[len(CONFIG_PREFIX) :].lower(): value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(CONFIG_PREFIX)
    }
    values.update(overrides)
    return PassportConfig.from_mapping(values)


class _AppState:
    """What one app needs at request time: its settings and its gate."""

    def __init__(self, settings: PassportConfig, gate: Gate) -> None:
        self.settings = settings
        self.gate = gate


class PassportExtension:
    """The Flask extension: verifies passports, puts them on ``g``, answers failures.

    ::

        passport = PassportExtension()   # module level, e.g. in extensions.py

        def create_app() -> Flask:
            app = Flask(__name__)
            app.config["PASSPORT_ISSUER"] = "https://edge.example"
            app.config["PASSPORT_AUDIENCE"] = "orders"
            app.config["PASSPORT_JWKS_URL"] = "https://edge.example/.well-known/jwks.json"
            passport.init_app(app)
            return app

    Settings are every :class:`~passport_core.PassportConfig` field, upper-cased
    with the ``PASSPORT_`` prefix (``PASSPORT_ISSUER``, ``PASSPORT_AUDIENCE``,
    ``PASSPORT_JWKS``, ``PASSPORT_JWKS_FILE``, ``PASSPORT_JWKS_URL``,
    ``PASSPORT_KEYS``, ``PASSPORT_HEADER``, ``PASSPORT_BEARER``,
    ``PASSPORT_ALLOWED_HOSTS``, ``PASSPORT_PUBLISH``, ``PASSPORT_REALM``...).
    Keyword arguments (lower-case names: ``PassportExtension(keys=ring)``) override the
    matching ``PASSPORT_*`` key for every app this extension is initialised on;
    ``init_app(app, **overrides)`` overrides for one app. Settings are read
    once, by :meth:`init_app`: an unknown ``PASSPORT_*`` key, a missing
    issuer, audience or key setting, or a bad value raises
    :class:`~passport_core.ConfigurationError` there, naming the key.

    Nothing is verified until a view asks for it: decorate views with
    :func:`~passport_flask.passport_required` and friends, or protect a whole
    blueprint with :func:`~passport_flask.protect`.

    Errors: :meth:`init_app` registers a handler that answers every
    :class:`~passport_core.PassportError` with ``application/problem+json``,
    the error's status (401, 403, 503...) and ``WWW-Authenticate``. To answer
    differently, register your own handler with ``app.register_error_handler``
    (or ``@app.errorhandler``) for ``PassportError`` — after ``init_app`` it
    replaces this one, before ``init_app`` it is kept — or for a subclass
    such as ``PermissionDenied`` to change only those; blueprint handlers win
    for their views as usual. Subclasses may override :meth:`error_response`.
    """

    def __init__(self, app: Flask | None = None, **overrides: Any) -> None:
        self._overrides = _check_overrides(overrides)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, **overrides: Any) -> None:
        """Read ``app``'s ``PASSPORT_*`` settings, register handlers and the JWKS view, load keys.

        The keys are loaded (and each one's verify run once) here, so the first
        request does not pay for it; a key server that is down is logged as a
        warning and retried by the first request that needs it.

        :raises ConfigurationError: the settings are wrong, or ``app`` already has
            a passport extension.
        """
        if EXTENSION_NAME in app.extensions:
            raise ConfigurationError(
                f"app {app.name!r} already has a passport extension: call init_app once per app"
            )
        state = self._build_state(app, {**self._overrides, **_check_overrides(overrides)})
        app.extensions[EXTENSION_NAME] = self
        # Where each request finds it: a dict read.
        app.extensions[_STATE_NAME] = state
        _default_passport_on_g(app)
        app.teardown_request(_end_request)
        # Keep a handler the app registered before init_app: the app's choice wins.
        if PassportError not in app.error_handler_spec[None][None]:
            app.register_error_handler(PassportError, self.error_response)
        if state.settings.publish is not None:
            app.add_url_rule(JWKS_PATH, JWKS_ENDPOINT, _jwks_view, methods=["GET"])
        # Keys loaded now, not by the first request; a key server that is down is
        # logged and left to that request, never a failed start-up.
        warm_up_gate(state.gate)

    @staticmethod
    def _build_state(app: Flask, overrides: Mapping[str, Any]) -> _AppState:
        try:
            settings = _load_settings(app.config, overrides)
            gate = settings.build_gate()
            # Fail now, not on the first outbound call or JWKS request.
            HostAllowList(settings.allowed_hosts)
            settings.published_jwks()
        except ConfigurationError as error:
            # Core names settings its way ('audience'); a Flask user wrote PASSPORT_AUDIENCE.
            raise error.restated(config_key, f"passport settings of app {app.name!r}: ") from error
        except (TypeError, ValueError, AttributeError) as error:
            # Core does not type-check every value yet; a wrong type surfaces here.
            raise ConfigurationError(
                f"passport settings of app {app.name!r}: a PASSPORT_* value has the wrong "
                f"type ({error})"
            ) from error
        return _AppState(settings, gate)

    def _state(self, app: Flask | None = None) -> _AppState:
        target = app if app is not None else _real_app()
        # Only an app this extension initialised: another instance's settings are not ours.
        owner = target.extensions.get(EXTENSION_NAME)
        if owner is None:
            raise _not_initialised(target)
        if owner is not self:
            raise ConfigurationError(
                f"app {target.name!r} was initialised by another PassportExtension: ask "
                f"app.extensions[{EXTENSION_NAME!r}] for its settings"
            )
        return cast(_AppState, target.extensions[_STATE_NAME])

    def settings(self, app: Flask | None = None) -> PassportConfig:
        """The settings in force for ``app`` (default: the current app)."""
        return self._state(app).settings

    def error_response(self, error: PassportError) -> Response:
        """The answer to ``error``: problem details, its status, ``WWW-Authenticate``."""
        if error.status >= 500:
            # Messages are safe to log: they never carry a token or key material.
            logger.error("passport error: code=%s: %s", error.code, error.message)
        problem = problem_response(error, realm=self.settings().realm)
        return current_app.response_class(
            problem.content,
            status=problem.status,
            headers=problem.headers,
            content_type=problem.content_type,
        )


def _default_passport_on_g(app: Flask) -> None:
    """``g.passport`` is ``None`` until a view asks: a class default, no per-request hook."""
    base = app.app_ctx_globals_class
    if "passport" not in vars(base):
        app.app_ctx_globals_class = cast(
            Any, type("PassportGlobals", (base,), {"passport": None, "__module__": __name__})
        )


def _real_app() -> Flask:
    # The proxied object: the per-app state is keyed by the app itself.
    return cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]


def _not_initialised(app: Flask) -> ConfigurationError:
    return ConfigurationError(
        f"passport_flask is not initialised on app {app.name!r}: "
        "create PassportExtension(app) or call passport.init_app(app) when you build the app"
    )


def app_state() -> _AppState:
    """The current app's passport state; a clear error if ``init_app`` was never called."""
    app = _real_app()
    state: _AppState | None = app.extensions.get(_STATE_NAME)
    if state is None:
        raise _not_initialised(app)
    return state


#: how to undo what one request made current in core's context (kept on ``g``): the passport
#: current before, the token of the change, the thread it was made in, and whether it was made
#: in an event loop. A tuple: a class of its own costs an ``__init__`` frame per request.
_Entered: TypeAlias = tuple[Passport | None, Token[Passport | None], int, bool]


def _enter(namespace: dict[str, Any], passport: Passport | None) -> None:
    """Keep ``passport`` as ``g.passport`` and make it current, ``namespace`` being ``g``'s.

    Written to ``g.__dict__``, which is what Flask's ``_AppCtxGlobals.__setattr__`` does,
    without its Python frame per attribute.
    """
    # Nothing happens per request until a view asks for its passport: only then is the
    # baseline taken, and only then has the teardown anything to undo.
    namespace["passport"] = passport
    if namespace.get(_G_CONTEXT) is not None:
        set_passport(passport)
    elif passport is not None or get_passport() is not None:
        baseline = get_passport()
        entered: _Entered = (
            baseline,
            set_passport(passport),
            threading.get_ident(),
            # An async view runs in asgiref's thread, on a copy of the request's context
            # that is copied back when it returns: the token is of that copy. asyncio's own
            # None-returning lookup: get_running_loop() would raise (and build) a
            # RuntimeError on every request of a sync view.
            asyncio._get_running_loop() is not None,
        )
        namespace[_G_CONTEXT] = entered


def _end_request(_exc: BaseException | None) -> None:
    # Every request pays this: one lookup when no view asked for a passport.
    # g's attributes, read without going through the proxy's __getattr__.
    namespace: dict[str, Any] = g._get_current_object().__dict__
    entered: _Entered | None = namespace.get(_G_CONTEXT)
    if entered is None:
        return
    # Restore the passport from before the request, where this is its context.
    baseline, token, thread, in_loop = entered
    if thread == threading.get_ident():
        reset_passport(token)
    elif in_loop:
        # Set in asgiref's thread, copied back to the request's: put the old value back.
        set_passport(baseline)
    else:
        # A copy of this request context (copy_current_request_context) being torn down
        # in another thread: the original request's teardown resets it.
        return
    del namespace[_G_CONTEXT]


def _request_target() -> RequestTarget:
    # request.url is Flask's view of the URL: behind a proxy, ProxyFix (or the server)
    # must set the public scheme and host, or no DPoP proof's htu matches.
    environ = request.environ
    return RequestTarget.of(
        request.method,
        request.scheme,
        request.host,
        request.root_path + request.path,
        raw_path=environ.get("RAW_URI") or environ.get("REQUEST_URI"),
    )


def verify_request(*, required: bool = True) -> Passport | None:
    """Verify the current request's passport, once per request, and make it current.

    Sets ``g.passport`` and the core context (:func:`passport_core.get_passport`,
    used by outbound clients) until the request ends. Returns the passport, or
    ``None`` when ``required`` is false and none was sent. A passport that is
    present but invalid is refused in both modes.

    :raises PassportError: a missing (when required) or invalid passport.
    """
    # app_state(), inlined: a protected view's every request is here. g's attributes, read
    # without going through the proxy's __getattr__.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state: _AppState | None = app.extensions.get(_STATE_NAME)
    if state is None:
        raise _not_initialised(app)
    namespace: dict[str, Any] = g._get_current_object().__dict__
    already: Passport | None = namespace.get("passport")
    if already is not None and _G_CONTEXT in namespace:
        return already
    # The proxied request: reading an attribute through the proxy first fails a lookup
    # (an AttributeError built and dropped) before werkzeug's __getattr__ answers.
    environ = request._get_current_object().environ  # type: ignore[attr-defined]
    headers = environ_header_getter(environ)
    passport = state.gate.authenticate(headers, required=required, target=_request_target)
    _enter(namespace, passport)
    return passport


def _current_passport() -> Passport:
    namespace: dict[str, Any] = g._get_current_object().__dict__
    passport: Passport | None = namespace.get("passport")
    if passport is None:
        raise NoPassport(
            "this request has no verified passport: protect the view with @passport_required "
            "(in optional views, test g.passport for None)"
        )
    return passport


# werkzeug's LocalProxy, reading the passport's public names in one frame. A plain LocalProxy
# answers current_passport.subject only after the lookup on the proxy failed (an
# AttributeError built, its message formatted, and dropped) and three frames of werkzeug; a
# view reads the passport on every request. LocalProxy has no public names of its own, so a
# public name is always the passport's (a bundle's and a subclass's too); every other name,
# and every operator, is LocalProxy's. No docstring: __doc__ is the passport's, as
# LocalProxy forwards it.
class _PassportProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()
    __doc__ = LocalProxy.__dict__["__doc__"]

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            return getattr(_current_passport(), name)
        return object.__getattribute__(self, name)


#: The verified passport of the current request (like Flask-Login's ``current_user``).
#: Raises :class:`~passport_core.NoPassport` (answered 500) where there is none.
current_passport = cast(Passport, _PassportProxy(_current_passport))


def _jwks_view() -> Response:
    jwks = app_state().settings.published_jwks()
    response = current_app.response_class(
        current_app.json.dumps(jwks), content_type=JWKS_CONTENT_TYPE
    )
    response.headers["Cache-Control"] = jwks_cache_control(app_state().settings.publish)
    return response
