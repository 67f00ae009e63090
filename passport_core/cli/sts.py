"""``passport sts --config sts.toml``: run the RFC 8693 token service under uvicorn.

``--check`` reads and checks the file, loads the ring and every key, and prints
the effective configuration instead of serving.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from passport_core.cli._io import CLIError, command, print_json
from passport_core.cli._server import SERVER_INSTALL_HINT, add_server_arguments
from passport_core.exchange.config import StsConfig

__all__ = ["add_commands"]


def _cmd_sts(args: argparse.Namespace) -> int:
    config = StsConfig.load(args.config)
    app = config.endpoint()  # builds everything: a bad setting fails here, before serving
    if args.check:
        print_json(config.describe())
        return 0
    if importlib.util.find_spec("uvicorn") is None:
        raise CLIError(f"passport sts needs uvicorn; install it with: {SERVER_INSTALL_HINT}")
    import uvicorn  # noqa: PLC0415 - optional: the [edge] extra

    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"passport sts: token endpoint on http://{host}:{args.port}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level=args.log_level,
    )
    return 0


def add_commands(commands: Any) -> None:
    """Add ``sts`` to the ``passport`` subcommands."""
    parser = command(
        commands,
        "sts",
        _cmd_sts,
        "run the RFC 8693 token service (and Txn-Token Service) from sts.toml",
        "Reads sts.toml (issuer, ring file, trusted issuers, clients and their keys or\n"
        "certificate subjects, audiences, the [tls] header a TLS-terminating proxy forwards,\n"
        "[txn_tokens] for the Transaction Tokens draft's Txn-Token Service),\n"
        "checks every setting (an unknown key is an error naming it), and serves the token\n"
        "endpoint (any path, POST) and its JWKS with uvicorn (the [edge] extra).\n"
        "--check prints the effective configuration and exits.\n",
    )
    add_server_arguments(parser, "sts.toml", 8090)
