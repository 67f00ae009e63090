"""What every ``passport`` command that serves shares: its arguments and the uvicorn hint."""

from __future__ import annotations

import argparse

__all__ = ["SERVER_INSTALL_HINT", "add_server_arguments", "port_number"]

SERVER_INSTALL_HINT = (
    'python -m pip install "service-passport[edge]"  (from a checkout: -e ".[edge]")'
)


def port_number(text: str) -> int:
    """An ``argparse`` type: a TCP port (0 lets the system choose)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return port


def add_server_arguments(parser: argparse.ArgumentParser, file: str, port: int) -> None:
    """``--config`` (the ``file`` to run), ``--host``, ``--port``, ``--check``, ``--log-level``."""
    parser.add_argument("--config", required=True, metavar="FILE", help=f"the {file} to run")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port_number, default=port, help="port to listen on")
    parser.add_argument(
        "--check", action="store_true", help="validate and print the configuration, do not serve"
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level",
    )
