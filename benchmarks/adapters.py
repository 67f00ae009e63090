"""Adapter benchmark: what Flask, Django and FastAPI pay per request, in-process.

Each framework's app is called directly (WSGI: ``app(environ, start_response)``
with a prepared environ; ASGI: ``await app(scope, receive, send)``), many
times per round, every contender interleaved in one process; the table gives
the median µs per request and the overhead against the same route in an app
without the adapter (``bare``). Rows, per framework:

* ``bare``: the route in an app without the adapter (the floor);
* ``open route``: the adapter installed, the route not asking for a passport
  (a valid one is sent, as every hop forwards it): should cost nothing;
* ``required, warm``: the route requires a passport, the same token each time;
* ``required, cold``: the same with the verifier's cache of verified tokens
  off (``cache_size=0``), where the core supports it: every request verifies;
* ``optional, no token``: an optional-passport route, nothing sent;
* FastAPI only: ``plain Depends`` (a dependency that does nothing, in the bare
  app: what FastAPI's dependency solver costs any dependency-based adapter) and
  ``required, warm, PassportRoute`` (the route protected by its route class,
  verified before the solver runs).

Every route answers the same short text, so the difference is the adapter.
The last column counts the objects per request left in reference cycles (freed
only by the cyclic garbage collector, whose every run scans a server's whole
heap): an adapter must add none to its framework's own.
Run with ``python -m benchmarks adapters`` (``--frameworks flask django`` to
pick). Real servers under a load generator are ``benchmarks/servers.py``.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations at runtime,
# and the dependency types are imported inside a function.
import argparse
import asyncio
import gc
import io
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from benchmarks.report import Results
from passport_core import KeyRing, Minter, PassportConfig

ISSUER = "https://edge.bench"
AUDIENCE = "orders"
HEADER = "X-Passport"
FRAMEWORKS = ("flask", "django", "fastapi")

#: a contender runs ``number`` requests and returns the seconds they took
Batch = Callable[[int], float]
#: the rows of one framework, by label, in table order
Rows = dict[str, Batch]

BARE = "bare (no adapter)"
OPEN = "adapter, open route (token sent)"
WARM = "required, warm (same token)"
COLD = "required, cold (cache off)"
OPTIONAL = "optional, no token"
#: FastAPI only: what any ``Depends`` costs, the floor under a dependency-based adapter
PLAIN_DEPENDS = "plain Depends, no auth (reference)"
#: FastAPI only: the route protected by its router's route class instead of a dependency
ROUTE_CLASS = "required, warm, PassportRoute"


def _settings(ring: KeyRing, *, cold: bool) -> dict[str, Any]:
    """Core settings of the benchmarked service; ``cold`` turns the verified-token cache off."""
    settings: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks": ring.public_jwks(),
    }
    if cold:
        settings["cache_size"] = 0
    return settings


def _has_cache() -> bool:
    return "cache_size" in PassportConfig.setting_names()


def _answer(subject: str | None) -> str:
    return f"ok {subject or '-'}"


# -- WSGI -----------------------------------------------------------------------------------


def _environ(path: str, token: str | None) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if token is not None:
        environ["HTTP_" + HEADER.upper().replace("-", "_")] = token
    return environ


def _wsgi(app: Callable[..., Iterable[bytes]], path: str, token: str | None) -> Batch:
    """A batch of GETs of ``path`` through the WSGI ``app``; each must answer 200."""
    prepared = _environ(path, token)

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"GET {path} answered {status}")

    def batch(number: int) -> float:
        start = time.perf_counter()
        for _ in range(number):
            environ = prepared.copy()
            environ["wsgi.input"] = io.BytesIO()
            body = app(environ, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return time.perf_counter() - start

    return batch


def _flask_app(settings: Mapping[str, Any] | None) -> Any:
    from flask import Flask, g  # noqa: PLC0415 - only when Flask is benchmarked

    from passport_flask import (  # noqa: PLC0415
        PassportExtension,
        optional_passport,
        passport_required,
    )

    app = Flask("bench")
    if settings is not None:
        app.config.update({f"PASSPORT_{name.upper()}": value for name, value in settings.items()})
        PassportExtension(app)

    @app.get("/open")
    def open_route() -> str:
        return _answer(None)

    if settings is not None:

        @app.get("/required")
        @passport_required
        def required() -> str:
            return _answer(g.passport.subject)

        @app.get("/optional")
        @optional_passport
        def optional() -> str:
            return _answer(None if g.passport is None else g.passport.subject)

    return app


def _flask(ring: KeyRing, token: str) -> Rows:
    bare = _flask_app(None)
    app = _flask_app(_settings(ring, cold=False))
    rows = {
        BARE: _wsgi(bare, "/open", token),
        OPEN: _wsgi(app, "/open", token),
        WARM: _wsgi(app, "/required", token),
    }
    if _has_cache():
        rows[COLD] = _wsgi(_flask_app(_settings(ring, cold=True)), "/required", token)
    rows[OPTIONAL] = _wsgi(app, "/optional", None)
    return rows


def _django_setup() -> None:
    import django  # noqa: PLC0415 - only when Django is benchmarked
    from django.conf import settings  # noqa: PLC0415

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="benchmark-only-not-secret",  # noqa: S106 - no sessions, nothing signed
            ALLOWED_HOSTS=["localhost"],
            USE_TZ=True,
            DATABASES={},
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
            ROOT_URLCONF="benchmarks.adapters",  # replaced below, never imported
        )
        django.setup()


class _URLConf:
    """A URLconf needs only ``urlpatterns`` (and to be hashable): no module to import."""

    def __init__(self, urlpatterns: list[Any]) -> None:
        self.urlpatterns = urlpatterns


def _django_urls() -> _URLConf:
    from django.http import HttpRequest, HttpResponse  # noqa: PLC0415
    from django.urls import path  # noqa: PLC0415

    from passport_django import (  # noqa: PLC0415
        optional_passport,
        passport_required,
        request_passport,
    )

    def open_route(request: HttpRequest) -> HttpResponse:
        return HttpResponse(_answer(None), content_type="text/plain")

    @passport_required
    def required(request: HttpRequest) -> HttpResponse:
        found = request_passport(request)
        return HttpResponse(_answer(found.subject if found else None), content_type="text/plain")

    @optional_passport
    def optional(request: HttpRequest) -> HttpResponse:
        found = request_passport(request)
        return HttpResponse(_answer(found.subject if found else None), content_type="text/plain")

    return _URLConf(
        [path("open", open_route), path("required", required), path("optional", optional)]
    )


def _django(ring: KeyRing, token: str) -> Rows:
    _django_setup()
    from django.core.handlers.wsgi import WSGIHandler  # noqa: PLC0415
    from django.test import override_settings  # noqa: PLC0415

    def upper(settings: Mapping[str, Any]) -> dict[str, Any]:
        return {name.upper(): value for name, value in settings.items()}

    warm, cold = upper(_settings(ring, cold=False)), upper(_settings(ring, cold=True))
    common = override_settings(ROOT_URLCONF=_django_urls(), PASSPORT=warm)
    common.enable()  # for the life of the benchmark process
    with override_settings(MIDDLEWARE=[]):
        bare = WSGIHandler()
    with override_settings(MIDDLEWARE=["passport_django.middleware.PassportMiddleware"]):
        app = WSGIHandler()

    def under(passport: dict[str, Any], batch: Batch) -> Batch:
        # Django's PASSPORT is process-wide: switch it for this contender's batch only
        # (an untimed request first builds the gate of those settings).
        def run(number: int) -> float:
            with override_settings(PASSPORT=passport):
                batch(1)
                return batch(number)

        return run

    rows = {
        BARE: _wsgi(bare, "/open", token),
        OPEN: _wsgi(app, "/open", token),
        WARM: _wsgi(app, "/required", token),
    }
    if _has_cache():
        rows[COLD] = under(cold, _wsgi(app, "/required", token))
    rows[OPTIONAL] = _wsgi(app, "/optional", None)
    return rows


# -- ASGI -----------------------------------------------------------------------------------


def _asgi(app: Any, path: str, token: str | None, loop: asyncio.AbstractEventLoop) -> Batch:
    """A batch of GETs of ``path`` through the ASGI ``app`` on ``loop``; each must answer 200."""
    headers = [(b"host", b"localhost")]
    if token is not None:
        headers.append((HEADER.lower().encode(), token.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"GET {path} answered {message['status']}")

    async def run(number: int) -> float:
        start = time.perf_counter()
        for _ in range(number):
            # A fresh ``state`` per request, as servers give (Starlette keeps request.state there).
            await app({**scope, "state": {}}, receive, send)
        return time.perf_counter() - start

    def batch(number: int) -> float:
        return loop.run_until_complete(run(number))

    return batch


def _fastapi_app(settings: Mapping[str, Any] | None) -> Any:
    from fastapi import (  # noqa: PLC0415
        Depends,
        FastAPI,
        Request,
    )
    from fastapi.responses import PlainTextResponse  # noqa: PLC0415

    from passport_core import get_passport_or_raise  # noqa: PLC0415
    from passport_fastapi import (  # noqa: PLC0415
        OptionalPassportDep,
        PassportDep,
        PassportRoute,
        setup_passport,
    )

    app = FastAPI()
    if settings is not None:
        setup_passport(app, **settings)

    async def nothing(request: Request) -> None:
        return None

    @app.get("/depends", response_class=PlainTextResponse, dependencies=[Depends(nothing)])
    async def depends_route() -> str:
        return _answer(None)

    # Async routes: a sync one runs in a worker thread, whose hand-off would dwarf the adapter.
    @app.get("/open", response_class=PlainTextResponse)
    async def open_route() -> str:
        return _answer(None)

    if settings is not None:

        async def route_class() -> str:
            return _answer(get_passport_or_raise().subject)

        app.router.add_api_route(
            "/route-class",
            route_class,
            response_class=PlainTextResponse,
            route_class_override=PassportRoute,
        )

        @app.get("/required", response_class=PlainTextResponse)
        async def required(passport: PassportDep) -> str:
            return _answer(passport.subject)

        @app.get("/optional", response_class=PlainTextResponse)
        async def optional(passport: OptionalPassportDep) -> str:
            return _answer(None if passport is None else passport.subject)

    return app


def _fastapi(ring: KeyRing, token: str) -> Rows:
    loop = asyncio.new_event_loop()
    bare = _fastapi_app(None)
    app = _fastapi_app(_settings(ring, cold=False))
    rows = {
        BARE: _asgi(bare, "/open", token, loop),
        PLAIN_DEPENDS: _asgi(bare, "/depends", token, loop),
        OPEN: _asgi(app, "/open", token, loop),
        WARM: _asgi(app, "/required", token, loop),
        ROUTE_CLASS: _asgi(app, "/route-class", token, loop),
    }
    if _has_cache():
        rows[COLD] = _asgi(_fastapi_app(_settings(ring, cold=True)), "/required", token, loop)
    rows[OPTIONAL] = _asgi(app, "/optional", None, loop)
    return rows


BUILDERS: dict[str, Callable[[KeyRing, str], Rows]] = {
    "flask": _flask,
    "django": _django,
    "fastapi": _fastapi,
}


#: requests over which the cyclic garbage of each row is counted
GARBAGE_REQUESTS = 100


def garbage_per_request(batch: Batch, number: int = GARBAGE_REQUESTS) -> float:
    """Objects per request that only the cyclic collector frees (reference cycles).

    Freed by reference counting, a request costs nothing more; left in a cycle, it is
    scanned by every collection, each one longer as a server's heap grows, so an adapter
    must add none to what its framework leaves.
    """
    gc.collect()
    gc.disable()
    try:
        batch(number)
        return gc.collect() / number
    finally:
        gc.enable()


def measure(
    frameworks: Sequence[str], rounds: int, number: int, alg: str = "EdDSA"
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Median seconds per request, by framework and row (all contenders interleaved),
    and each row's cyclic garbage per request."""
    ring = KeyRing.generate(alg)
    token = Minter(ring, issuer=ISSUER).mint(
        "user-42",
        audience=AUDIENCE,
        roles=["admin", "staff"],
        scopes=["orders:read", "orders:write"],
        profile={"name": "Ada", "email": "ada@example.test", "locale": "en"},
        tenant="acme",
    )
    contenders = {
        (framework, label): batch
        for framework in frameworks
        for label, batch in BUILDERS[framework](ring, token).items()
    }
    for batch in contenders.values():
        batch(min(number, 50))  # warm up, and prove every route answers 200
    garbage: dict[str, dict[str, float]] = {}
    for (framework, label), batch in contenders.items():
        garbage.setdefault(framework, {})[label] = garbage_per_request(batch)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in contenders}
    for _ in range(rounds):
        for key, batch in contenders.items():
            samples[key].append(batch(number) / number)
    results: dict[str, dict[str, float]] = {}
    for (framework, label), values in samples.items():
        results.setdefault(framework, {})[label] = statistics.median(values)
    return results, garbage


def report(
    results: Mapping[str, Mapping[str, float]],
    garbage: Mapping[str, Mapping[str, float]],
    rounds: int,
    number: int,
) -> None:
    """Print one table: µs per request, the overhead against ``bare``, and the cyclic
    garbage each request leaves."""
    print(f"per-request cost in-process, median of {rounds} rounds x {number} requests")
    print(
        f"  {'framework':<9} {'route':<34} {'us/req':>8} {'+us vs bare':>12} {'x bare':>7} "
        f"{'cyclic garbage/req':>19}"
    )
    for framework, rows in results.items():
        bare = rows[BARE]
        for label, seconds in rows.items():
            extra = (seconds - bare) * 1e6
            print(
                f"  {framework:<9} {label:<34} {seconds * 1e6:8.1f} {extra:+12.1f} "
                f"{seconds / bare:7.2f} {garbage[framework][label]:19.1f}"
            )


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the adapter benchmark; ``argv`` as on the command line (default: ``sys.argv``).

    ``results`` collects the figures for ``python -m benchmarks --json``; ``quick``
    takes small counts.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks adapters", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5 if quick else 31)
    parser.add_argument(
        "--number", type=int, default=200 if quick else 300, help="requests per round"
    )
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument("--alg", choices=["EdDSA", "ES256", "RS256"], default="EdDSA")
    args = parser.parse_args(argv)
    measured, garbage = measure(args.frameworks, args.rounds, args.number, args.alg)
    report(measured, garbage, args.rounds, args.number)
    if results is not None:
        results.configure("adapters", rounds=args.rounds, number=args.number, alg=args.alg)
        for framework, rows in measured.items():
            for label, seconds in rows.items():
                results.add(
                    "adapters",
                    framework=framework,
                    row=label,
                    us=seconds * 1e6,
                    cyclic_garbage_per_request=garbage[framework][label],
                )


if __name__ == "__main__":
    main()
