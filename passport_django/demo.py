"""The Django hop of ``passport demo``: ``python -m passport_django.demo --help``.

It verifies the passport with the edge's JWKS (fetched over HTTP, cached),
reports what it saw, and, when it is not the last hop, forwards it.
Configures Django itself, so run it as its own process.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from passport_core.demo.hop import (
    ServiceOptions,
    announce,
    call_next,
    hop_report,
    key_settings,
    parse_service_args,
)

__all__ = ["main"]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The orchestrator prints its own, token-free account."""


def _configure(options: ServiceOptions) -> None:
    from django.conf import settings  # noqa: PLC0415 - configure before anything imports it

    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["passport_django"],
        MIDDLEWARE=["passport_django.middleware.PassportMiddleware"],
        DATABASES={},
        PASSPORT={
            "ISSUER": options.issuer,
            "AUDIENCE": options.name,
            "ALLOWED_HOSTS": list(options.allowed_hosts),
            **{name.upper(): value for name, value in key_settings(options).items()},
        },
    )
    import django  # noqa: PLC0415

    django.setup()


urlpatterns: list[object] = []


def _routes(options: ServiceOptions) -> None:
    from django.http import HttpRequest, JsonResponse  # noqa: PLC0415
    from django.urls import path  # noqa: PLC0415

    from passport_django import (  # noqa: PLC0415
        outbound_client,
        passport_required,
        request_passport,
        require_role,
    )

    def report(request: HttpRequest, route: str) -> JsonResponse:
        passport = request_passport(request)
        assert passport is not None  # noqa: S101 - the decorators guarantee it
        with outbound_client() as client:
            next_hop = call_next(client, options, route)
        return JsonResponse(hop_report(options.name, passport, next_hop))

    @passport_required
    def orders(request: HttpRequest) -> JsonResponse:
        return report(request, "/orders")

    @require_role("admin")
    def admin(request: HttpRequest) -> JsonResponse:
        return report(request, "/admin")

    urlpatterns.extend([path("orders", orders), path("admin", admin)])


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_service_args(argv)
    _configure(options)
    _routes(options)
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    announce(f"http://127.0.0.1:{server.server_port}")
    server.serve_forever()


if __name__ == "__main__":
    main()
