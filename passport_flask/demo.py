"""The Flask hop of ``passport demo``: ``python -m passport_flask.demo --help``.

It verifies the passport with the edge's JWKS (fetched over HTTP, cached),
reports what it saw, and forwards the same passport to the next hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, g
from werkzeug.serving import make_server

from passport_core.demo.hop import (
    announce,
    call_next,
    hop_report,
    key_settings,
    parse_service_args,
)
from passport_flask import PassportExtension, outbound_client, passport_required, require_role

__all__ = ["build_app", "main"]


def build_app(argv: Sequence[str] | None = None) -> Flask:
    """The demo service as configured by the orchestrator's arguments."""
    options = parse_service_args(argv)
    app = Flask(__name__)
    app.config.update(
        PASSPORT_ISSUER=options.issuer,
        PASSPORT_AUDIENCE=options.name,
        PASSPORT_ALLOWED_HOSTS=list(options.allowed_hosts),
    )
    app.config.update({f"PASSPORT_{name.upper()}": v for name, v in key_settings(options).items()})
    PassportExtension(app)

    @app.get("/orders")
    @passport_required
    def orders() -> dict[str, Any]:
        with outbound_client() as client:
            next_hop = call_next(client, options, "/orders")
        return hop_report(options.name, g.passport, next_hop)

    @app.get("/admin")
    @require_role("admin")
    def admin() -> dict[str, Any]:
        with outbound_client() as client:
            next_hop = call_next(client, options, "/admin")
        return hop_report(options.name, g.passport, next_hop)

    return app


def main(argv: Sequence[str] | None = None) -> None:
    server = make_server("127.0.0.1", 0, build_app(argv), threaded=True)
    announce(f"http://127.0.0.1:{server.server_port}")
    server.serve_forever()


if __name__ == "__main__":
    main()
