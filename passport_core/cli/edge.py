"""``passport edge --config edge.toml``: run the edge (gateway and/or mint endpoint) under uvicorn.

``--check`` reads and checks the file, loads the ring, builds every part, and
prints the effective configuration (no secret in it) instead of serving.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

from passport_core.cli._io import CLIError, command, print_json
from passport_core.edge.config import EdgeConfig

__all__ = ["EDGE_INSTALL_HINT", "add_commands"]

EDGE_INSTALL_HINT = (
    'python -m pip install "service-passport[edge]"  (from a checkout: -e ".[edge]")'
)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return port


def _cmd_edge(args: argparse.Namespace) -> int:
    # "module:function" references in the file are found where the operator says (as uvicorn).
    sys.path.insert(0, os.path.abspath(args.app_dir))
    config = EdgeConfig.load(args.config)
    app = config.gateway()  # builds everything: a bad setting fails here, before serving
    if args.check:
        print_json(config.describe(app.edge.minter.key_ring))
        return 0
    if importlib.util.find_spec("uvicorn") is None:
        raise CLIError(f"passport edge needs uvicorn; install it with: {EDGE_INSTALL_HINT}")
    import uvicorn  # noqa: PLC0415 - optional: the [edge] extra

    shapes = " and ".join(sorted(config.modes))
    print(f"passport edge: {shapes} on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        lifespan="on",
        # The outermost hop: a client's X-Forwarded-For must not become its address.
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level=args.log_level,
    )
    return 0


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
    parser.add_argument("--config", required=True, metavar="FILE", help="the edge.toml to run")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8080, help="port to listen on")
    parser.add_argument(
        "--check", action="store_true", help="validate and print the configuration, do not serve"
    )
    parser.add_argument(
        "--app-dir",
        default=".",
        metavar="DIR",
        help="where the file's 'module:function' references are imported from (default .)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level",
    )
