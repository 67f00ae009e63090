"""The FastAPI hop of ``passport demo``: ``python -m passport_fastapi.demo --help``.

It verifies the passport with the edge's JWKS (fetched over HTTP, cached),
reports what it saw, and forwards the same passport to the next hop.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI

from passport_core.demo.hop import (
    acall_next,
    announce,
    hop_report,
    key_settings,
    parse_service_args,
)
from passport_fastapi import AsyncOutboundClient, PassportDep, require_role, setup_passport

__all__ = ["build_app", "main"]


def build_app(argv: Sequence[str] | None = None) -> FastAPI:
    """The demo service as configured by the orchestrator's arguments."""
    options = parse_service_args(argv)
    app = FastAPI(title=f"passport demo: {options.name}")
    setup_passport(
        app,
        issuer=options.issuer,
        audience=options.name,
        allowed_hosts=list(options.allowed_hosts),
        **key_settings(options),
    )

    @app.get("/orders")
    async def orders(passport: PassportDep, client: AsyncOutboundClient) -> dict[str, Any]:
        return hop_report(options.name, passport, await acall_next(client, options, "/orders"))

    @app.get("/admin", dependencies=[Depends(require_role("admin"))])
    async def admin(passport: PassportDep, client: AsyncOutboundClient) -> dict[str, Any]:
        return hop_report(options.name, passport, await acall_next(client, options, "/admin"))

    return app


def main(argv: Sequence[str] | None = None) -> None:
    app = build_app(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listen before announcing: until uvicorn has started (slow on a loaded machine),
    # connections then wait in the backlog instead of being refused.
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    announce(f"http://127.0.0.1:{sock.getsockname()[1]}")
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    main()
