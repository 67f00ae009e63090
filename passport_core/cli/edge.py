"""``passport edge --config edge.toml``: run the edge (gateway and/or mint endpoint) under uvicorn.

``--check`` reads and checks the file, loads the ring, builds every part, and
prints the effective configuration (no secret in it) instead of serving. With
both modes, the gateway listens on ``--host``/``--port`` and the mint endpoint
on the file's ``[mint_listener]``: two uvicorn servers in one event loop, both
stopped by one SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from passport_core.cli._io import CLIError, command, print_json
from passport_core.cli._server import SERVER_INSTALL_HINT, add_server_arguments
from passport_core.edge.config import EdgeConfig, Listener
from passport_core.edge.gateway import EdgeGateway

__all__ = ["add_commands"]


def _cmd_edge(args: argparse.Namespace) -> int:
    # "module:function" references in the file are found where the operator says (as uvicorn).
    sys.path.insert(0, os.path.abspath(args.app_dir))
    config = EdgeConfig.load(args.config)
    apps = config.apps()  # builds everything: a bad setting fails here, before serving
    if args.check:
        print_json(config.describe(apps.main.edge.minter.key_ring))
        return 0
    if importlib.util.find_spec("uvicorn") is None:
        raise CLIError(f"passport edge needs uvicorn; install it with: {SERVER_INSTALL_HINT}")
    main = Listener(args.host, args.port)
    served: list[tuple[str, EdgeGateway, Listener]] = [
        ("gateway" if "gateway" in config.modes else "mint", apps.main, main)
    ]
    if apps.mint is not None and config.mint_listener is not None:
        served.append(("mint endpoint", apps.mint, config.mint_listener))
    shapes = "; ".join(f"{name} on {listener.url}" for name, _, listener in served)
    print(f"passport edge: {shapes}", flush=True)
    asyncio.run(_serve([(app, listener) for _, app, listener in served], args.log_level))
    return 0


async def _serve(apps: list[tuple[EdgeGateway, Listener]], log_level: str) -> None:
    """Serve every app on its listener until SIGTERM/SIGINT, then stop them all."""
    import uvicorn  # noqa: PLC0415 - optional: the [edge] extra

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # One handler below stops every server: each uvicorn.Server would otherwise
            # replace the previous one's, and only the last would hear the signal.
            yield

    servers = [
        Server(
            uvicorn.Config(
                app,
                host=listener.host,
                port=listener.port,
                lifespan="on",
                # The outermost hop: a client's X-Forwarded-For must not become its address.
                proxy_headers=False,
                server_header=False,
                access_log=False,
                log_level=log_level,
            )
        )
        for app, listener in apps
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    tasks = [asyncio.ensure_future(server.serve()) for server in servers]
    try:
        # One server that ends (a port in use) ends them all: no half an edge.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    for task in tasks:
        error = task.exception()
        if error is not None:
            raise error


def add_commands(commands: Any) -> None:
    """Add ``edge`` to the ``passport`` subcommands."""
    parser = command(
        commands,
        "edge",
        _cmd_edge,
        "run the edge from edge.toml: a gateway minting passports, a mint endpoint, or both",
        "Reads edge.toml (issuer, ring file, authenticators, enrichers, audiences, routes,\n"
        "mode), checks every setting (an unknown key is an error naming it), and serves with\n"
        "uvicorn (the [edge] extra). The ring file is followed: `passport ring` steps on it\n"
        "show at once. --check prints the effective configuration, without secrets, and exits.\n",
    )
    add_server_arguments(parser, "edge.toml", 8080)
    parser.add_argument(
        "--app-dir",
        default=".",
        metavar="DIR",
        help="where the file's 'module:function' references are imported from (default .)",
    )
