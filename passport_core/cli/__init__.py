"""The ``passport`` command: keys, JWKS, key rings, minting, inspecting and verifying passports.

Every failure is reported as one line, ``passport: error: ...``, on stderr
with exit status 1 (2 for a usage error, as argparse does); never a
traceback, and never the token itself: tokens are named by fingerprint.

One module per command group: :mod:`.keys` (keygen, jwks, ring),
:mod:`.tokens` (mint, inspect, verify), :mod:`.demo` (demo, walkthrough),
:mod:`.edge` (edge), :mod:`.sts` (sts), :mod:`.revoke` (revoke);
:mod:`._io` holds what they share.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence

from passport_core.cli import demo, edge, keys, revoke, sts, tokens
from passport_core.cli._io import PROG, CLIError, Handler
from passport_core.errors import PassportError

__all__ = ["CLIError", "build_parser", "main"]

_EXAMPLES = """\
examples:
  passport keygen --alg EdDSA --kid edge-1 --out edge-key.json
  passport jwks edge-key.json > jwks.json
  passport mint --key edge-key.json --issuer https://edge.example --sub alice \\
      --aud orders --role admin --scope orders:read > token.txt
  passport inspect - < token.txt
  passport verify - --jwks jwks.json --issuer https://edge.example --aud orders < token.txt
  passport demo
  passport walkthrough
  passport edge --config edge.toml --port 8080   # the edge: gateway and/or mint endpoint
  passport edge --config edge.toml --check       # validate, print the effective settings
  passport sts --config sts.toml --port 8090     # the RFC 8693 token service
  passport revoke --redis redis://127.0.0.1:6379/0 --issuer https://edge.example \\
      --subject alice                            # log alice out everywhere (docs/revocation.md)

rotating keys (docs/rotation.md), each step refused until it is safe:
  passport ring init --out ring.json          # one active key
  passport ring prepare ring.json             # publish the next key; serve the new JWKS
  passport ring promote ring.json             # after publish_delay: the next key signs
  passport ring prune ring.json               # after max_token_lifetime + leeway
  passport ring status ring.json
  passport jwks ring.json > jwks.json         # active + next + retiring, public halves
  passport mint --key ring.json --issuer https://edge.example --sub alice --aud orders
  passport ring retire ring.json KID --force  # a leaked key: revoke what it signed now

Pass a token as - to read it from stdin: arguments show up in process listings.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``passport`` command."""
    from passport_core import __version__  # noqa: PLC0415 - avoids an import cycle

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Service passports from the command line: make keys, publish the public JWKS,\n"
            "rotate keys in stages, mint passports, and inspect or verify them."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    keys.add_commands(commands)
    tokens.add_commands(commands)
    demo.add_commands(commands)
    edge.add_commands(commands)
    sts.add_commands(commands)
    revoke.add_commands(commands)
    return parser


# --------------------------------------------------------------------------- entry point


def _fail(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def _tolerant_streams() -> None:
    # A terminal that cannot show ✓ or — must not turn output into a traceback.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``passport`` command; returns the exit status."""
    _tolerant_streams()
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        status = handler(args)
        sys.stdout.flush()  # a closed pipe must fail here, not in the interpreter's exit flush
    except PassportError as exc:
        return _fail(f"{exc.code}: {exc.message}")
    except CLIError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a flush error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - a command line tool ends with one line, not a traceback
        return _fail(f"unexpected {type(exc).__name__}; please report this")
    return status
