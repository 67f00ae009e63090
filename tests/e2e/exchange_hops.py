"""The processes of the exchange e2e: ``python -m tests.e2e.exchange_hops <role> ...``.

``fastapi`` / ``flask`` / ``django`` each serve one hop that verifies its
passport, reports it, and calls the next hop through the adapter's outbound
client, which exchanges the passport for the next hop's audience
(``exchange_*`` settings), bound to the hop's own key (``proof_key``: the token
service binds what it issues to the key of the request's DPoP proof, and the
outbound client proves each call with it). A hop's report includes the raw token
and proof it received: a test service, so the test can replay a captured passport.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import uvicorn
from fastapi import FastAPI, Request

from passport_core import Passport, load_key_file
from passport_core.demo.hop import announce
from passport_fastapi import AsyncOutboundClient, PassportDep, setup_passport


def report(
    name: str, passport: Passport, proof: str | None, next_hop: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "service": name,
        "bound": "cnf" in passport.claims,
        "proof": proof,
        "sub": passport.subject,
        "iss": passport.issuer,
        "aud": list(passport.audience),
        "actors": [actor.subject for actor in passport.actor],
        "token": passport.token,
        "next": next_hop,
    }


def answer(response: httpx.Response) -> dict[str, Any]:
    try:
        return {"status": response.status_code, "body": response.json()}
    except ValueError:
        return {"status": response.status_code, "body": {"detail": response.text[:200]}}


def settings(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {
        "issuer": args.issuer,
        "audience": args.name,
        "jwks_file": args.jwks_file,
    }
    if args.next:
        values.update(
            exchange_url=args.exchange_url,
            exchange_key_file=args.exchange_key_file,
            exchange_audiences={httpx.URL(args.next).netloc.decode(): args.next_audience},
            proof_key=load_key_file(args.exchange_key_file),
        )
    return values


async def serve_asgi(app: Any) -> None:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    announce(f"http://127.0.0.1:{port}")
    await task


def fastapi_hop(args: argparse.Namespace) -> None:
    app = FastAPI()
    setup_passport(app, **settings(args))

    @app.get("/chain")
    async def chain(request: Request, passport: PassportDep, client: AsyncOutboundClient) -> Any:
        nxt = answer(await client.get(f"{args.next}/chain")) if args.next else None
        return report(args.name, passport, request.headers.get("dpop"), nxt)

    asyncio.run(serve_asgi(app))


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def serve_wsgi(app: Any) -> None:
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    announce(f"http://127.0.0.1:{server.server_port}")
    server.serve_forever()


def flask_hop(args: argparse.Namespace) -> None:
    from flask import Flask, g, request  # noqa: PLC0415

    from passport_flask import PassportExtension, outbound_client, passport_required  # noqa: PLC0415

    app = Flask(__name__)
    app.config.update({f"PASSPORT_{k.upper()}": v for k, v in settings(args).items()})
    PassportExtension(app)

    @app.get("/chain")
    @passport_required
    def chain() -> Any:
        nxt = None
        if args.next:
            with outbound_client() as client:
                nxt = answer(client.get(f"{args.next}/chain"))
        return report(args.name, g.passport, request.headers.get("dpop"), nxt)

    serve_wsgi(app)


urlpatterns: list[object] = []


def django_hop(args: argparse.Namespace) -> None:
    from django.conf import settings as django_settings  # noqa: PLC0415

    django_settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["passport_django"],
        MIDDLEWARE=["passport_django.middleware.PassportMiddleware"],
        DATABASES={},
        PASSPORT={k.upper(): v for k, v in settings(args).items()},
    )
    import django  # noqa: PLC0415

    django.setup()
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415
    from django.http import HttpRequest, JsonResponse  # noqa: PLC0415
    from django.urls import path  # noqa: PLC0415

    from passport_django import outbound_client, passport_required, request_passport  # noqa: PLC0415

    @passport_required
    def chain(request: HttpRequest) -> JsonResponse:
        passport = request_passport(request)
        assert passport is not None
        nxt = None
        if args.next:
            with outbound_client() as client:
                nxt = answer(client.get(f"{args.next}/chain"))
        return JsonResponse(report(args.name, passport, request.headers.get("dpop"), nxt))

    urlpatterns.append(path("chain", chain))
    serve_wsgi(get_wsgi_application())


def write_private(path: Path, key: Any) -> str:
    path.write_text(json.dumps(key.to_jwk(private=True)))
    return str(path)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["fastapi", "flask", "django"])
    parser.add_argument("--name", required=True)
    parser.add_argument("--issuer")
    parser.add_argument("--jwks-file")
    parser.add_argument("--exchange-url")
    parser.add_argument("--exchange-key-file")
    parser.add_argument("--next")
    parser.add_argument("--next-audience")
    args = parser.parse_args(argv)
    roles = {"fastapi": fastapi_hop, "flask": flask_hop, "django": django_hop}
    roles[args.role](args)


if __name__ == "__main__":
    main(sys.argv[1:])
