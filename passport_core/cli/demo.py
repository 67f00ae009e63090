"""``passport demo`` and ``passport walkthrough``: the pattern shown end to end."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from passport_core.cli._io import CLIError, command
from passport_core.keys import ALGORITHMS

__all__ = ["add_commands"]


def _cmd_walkthrough(args: argparse.Namespace) -> int:
    from passport_core.demo.walkthrough import run_walkthrough  # noqa: PLC0415 - demo only

    return 0 if run_walkthrough(sys.stdout, alg=args.alg) else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    # starts servers; demo only
    from passport_core.demo import INSTALL_HINT, missing_requirements, run_demo  # noqa: PLC0415

    missing = missing_requirements()
    if missing:
        # Before any process starts: a child's ImportError would be far less clear.
        needed = ", ".join(missing)
        raise CLIError(f"passport demo needs {needed}; install them with: {INSTALL_HINT}")
    return 0 if run_demo(sys.stdout) else 1


def add_commands(commands: Any) -> None:
    """Add demo and walkthrough to the ``passport`` subcommands."""
    algs = list(ALGORITHMS)

    command(
        commands,
        "demo",
        _cmd_demo,
        "run an edge and FastAPI, Flask and Django services on 127.0.0.1 and show the chain",
        "Starts real servers on loopback (needs the [demo] extra), sends requests for an admin\n"
        "and a non-admin through edge -> FastAPI -> Flask -> Django, shows what each hop saw and\n"
        "decided, and the 403 and 401 answers to denials, tampering and forgery. Stops every\n"
        "process it started; exits 0 if every step behaved as expected.\n",
    )
    walkthrough = command(
        commands,
        "walkthrough",
        _cmd_walkthrough,
        "walk through minting, verifying, policies, attacks and rotation, in-process",
        "Needs no web framework; exits 0 if every step behaved as expected.\n",
    )
    walkthrough.add_argument(
        "--alg",
        choices=[alg for alg in algs if not alg.startswith("HS")],
        metavar="ALG",
        default="EdDSA",
        help="algorithm of the demo keys (default EdDSA)",
    )
