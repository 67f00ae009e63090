"""The ``passport`` command: keys, JWKS, minting, inspecting and verifying passports.

Every failure is reported as one line, ``passport: error: ...``, on stderr
with exit status 1 (2 for a usage error, as argparse does); never a
traceback, and never the token itself: tokens are named by fingerprint.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from passport_core import claims as c
from passport_core.errors import (
    MalformedToken,
    MissingToken,
    PassportError,
    TokenTooLarge,
)
from passport_core.keys import ALGORITHMS, Key, generate_key, load_jwks, load_key, public_jwks
from passport_core.mint.minter import DEFAULT_TTL, Minter
from passport_core.passport import Passport
from passport_core.token.compact import split_compact
from passport_core.token.encoding import json_loads_object
from passport_core.token.fingerprint import fingerprint
from passport_core.token.values import is_number
from passport_core.verify.verifier import Verifier

__all__ = ["CLIError", "build_parser", "main"]

PROG = "passport"
#: inspect and verify refuse to read more than this: a passport is a few KiB
MAX_TOKEN_BYTES = 64 * 1024
#: key and JWKS files are small; a bigger file is a mistake, not a key
MAX_FILE_BYTES = 1024 * 1024
BANNER = "UNVERIFIED — signature not checked: anyone can write these contents."
#: algorithms a bare PEM key is loaded as unless told otherwise
_PEM_NATURAL_ALGS = frozenset({"EdDSA", "ES256", "ES384", "ES512", "RS256"})
#: claims that have their own ``mint`` option
_DEDICATED = {
    c.ROLES: "--role",
    c.SCOPE: "--scope",
    c.PERMISSIONS: "--permission",
    c.TENANT: "--tenant",
    c.PROFILE: "--profile",
}


class CLIError(Exception):
    """A failure shown to the user as one line."""


Handler = Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- input / output


def _read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CLIError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise CLIError(f"{what} {path!r} is larger than {MAX_FILE_BYTES // 1024} KiB")
    return data


def _read_token(value: str) -> str:
    """The token from the command line, or from stdin when it is ``-``."""
    if value == "-":
        raw = sys.stdin.buffer.read(MAX_TOKEN_BYTES + 1)
        if len(raw) > MAX_TOKEN_BYTES:
            raise TokenTooLarge(f"the input is larger than {MAX_TOKEN_BYTES // 1024} KiB")
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedToken("the passport is not ASCII") from exc
    token = value.strip()
    if not token:
        raise MissingToken("no passport was given")
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenTooLarge(f"the passport is larger than {MAX_TOKEN_BYTES // 1024} KiB")
    return token


def _write_private(path: str, text: str, *, force: bool) -> None:
    """Write secret material readable by the owner only (mode 0600)."""
    if not force:
        try:
            # O_EXCL: never replace a file (or follow a symlink) that is already there.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CLIError(f"{path!r} already exists; pass --force to replace it") from None
        except OSError as exc:
            raise CLIError(f"cannot write {path!r}: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    # --force: write a 0600 temporary file beside the target and swap it in atomically.
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".passport-key-")
    except OSError as exc:
        raise CLIError(f"cannot write {path!r}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CLIError(f"cannot write {path!r}: {exc.strerror or exc}") from exc


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _in_file(path: str, exc: PassportError) -> PassportError:
    """The same error, with the file it came from in front of the message."""
    return type(exc)(f"{path}: {exc.message}")


# --------------------------------------------------------------------------- keys


def _is_jwks(data: bytes) -> bool:
    if not data.lstrip().startswith(b"{"):
        return False
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and "keys" in parsed


def _load_key_file(path: str, alg: str | None) -> list[Key]:
    """Every key in a JWK, JWKS or PEM file (private or public)."""
    data = _read_file(path, "key file")
    try:
        if _is_jwks(data):
            return load_jwks(data, public_only=False)
        return [load_key(data, alg=alg)]
    except PassportError as exc:
        raise _in_file(path, exc) from None


def _signing_key(path: str, alg: str | None) -> Key:
    keys = _load_key_file(path, alg)
    if len(keys) != 1:
        raise CLIError(f"{path!r} holds a key set; mint needs a file with exactly one key")
    key = keys[0]
    if not key.is_private:
        raise CLIError(f"{path!r} holds a public key; minting needs the private key")
    return key


def _verification_keys(source: str, *, timeout: float, allow_insecure: bool) -> list[Key]:
    if source.startswith(("https://", "http://")):
        # Imported here: only a URL needs httpx, so the other commands start faster.
        from passport_core.keys.remote import fetch_jwks  # noqa: PLC0415

        return fetch_jwks(source, timeout=timeout, allow_insecure=allow_insecure)
    data = _read_file(source, "JWKS file")
    try:
        if _is_jwks(data):
            return load_jwks(data)
        key = load_key(data)
    except PassportError as exc:
        raise _in_file(source, exc) from None
    if key.is_private:
        raise CLIError(
            f"{source!r} holds private key material; verify with the public JWKS "
            f"(passport jwks {source} > jwks.json)"
        )
    return [key]


# --------------------------------------------------------------------------- time display


def _duration(seconds: float) -> str:
    """``59 s``, ``4 min 59 s``, ``2 h 5 min``, ``3 d 4 h``: the two largest units."""
    remaining = round(abs(seconds))
    parts: list[str] = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if remaining >= size or (size == 1 and not parts):
            parts.append(f"{remaining // size} {unit}")
            remaining %= size
        elif parts:
            break
        if len(parts) == 2:
            break
    return " ".join(parts)


def _relative(when: float, now: float) -> str:
    delta = when - now
    return f"in {_duration(delta)}" if delta >= 0 else f"{_duration(delta)} ago"


def _describe_time(value: Any, now: float) -> str:
    if not is_number(value):
        return f"{json.dumps(value)[:40]}  (not a NumericDate)"
    try:
        stamp = datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{value}  (out of range)"
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC  ({_relative(value, now)})"


# --------------------------------------------------------------------------- commands


def _cmd_keygen(args: argparse.Namespace) -> int:
    alg: str = args.alg
    if args.format == "pem":
        if alg.startswith("HS"):
            raise CLIError(f"{alg} keys are shared secrets with no PEM form; use --format jwk")
        if args.kid is not None:
            raise CLIError("a PEM file cannot record a kid; use --format jwk to keep --kid")
    key = generate_key(alg, kid=args.kid)
    if args.format == "pem":
        text = key.to_pem(private=True).decode("ascii")
    else:
        text = json.dumps(key.to_jwk(private=True), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        _write_private(args.out, text, force=args.force)
        print(f"wrote private {alg} key {key.kid} to {args.out} (mode 0600)", file=sys.stderr)
    if args.format == "pem" and alg not in _PEM_NATURAL_ALGS:
        print(
            f"note: PEM does not record the algorithm; pass --alg {alg} when you use this key",
            file=sys.stderr,
        )
    return 0


def _cmd_jwks(args: argparse.Namespace) -> int:
    keys: list[Key] = []
    seen: dict[str, str] = {}
    for path in args.keyfiles:
        for key in _load_key_file(path, args.alg):
            if key.is_symmetric:
                raise CLIError(
                    f"{path!r} holds an {key.alg} shared secret, which cannot be published; "
                    "a JWKS carries public keys only"
                )
            if key.kid in seen:
                raise CLIError(f"kid {key.kid!r} appears in both {seen[key.kid]!r} and {path!r}")
            seen[key.kid] = path
            keys.append(key)
    _print_json(public_jwks(keys))
    return 0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_claims(items: Sequence[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CLIError(f"--claim needs name=JSON, e.g. --claim 'plan=\"gold\"', got {name!r}")
        if name in _DEDICATED:
            raise CLIError(f"--claim {name}: use {_DEDICATED[name]} instead")
        if name in claims:
            raise CLIError(f"--claim {name} is given twice")
        try:
            claims[name] = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise CLIError(
                f"--claim {name}: the value is not valid JSON "
                f"(a string needs quotes: --claim '{name}=\"text\"')"
            ) from None
    return claims


def _cmd_mint(args: argparse.Namespace) -> int:
    key = _signing_key(args.key, args.alg)
    extra = _parse_claims(args.claim)
    actor = extra.pop(c.ACTOR, None)
    profile = None
    if args.profile is not None:
        try:
            profile = json_loads_object(args.profile.encode("utf-8"), "--profile value")
        except MalformedToken as exc:
            raise CLIError(exc.message) from None
    scopes = [scope for value in args.scope for scope in value.split()]
    token = Minter(key, issuer=args.issuer).mint(
        args.sub,
        audience=args.aud,
        ttl=args.ttl,
        roles=args.role,
        scopes=scopes,
        permissions=args.permission,
        tenant=args.tenant,
        profile=profile,
        actor=actor,
        claims=extra,
    )
    print(token)
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    token = _read_token(args.token)
    parts = split_compact(token)
    header, payload, signature = parts.header, parts.payload, parts.signature
    if args.json:
        print(BANNER, file=sys.stderr)
        _print_json({"header": header, "payload": payload})
        return 0
    now = time.time()
    print(BANNER)
    print("Use `passport verify` to check the signature, issuer, audience and lifetime.")
    print("\nHeader")
    _print_json(header)
    print("\nPayload")
    _print_json(payload)
    times = [name for name in (c.ISSUED_AT, c.NOT_BEFORE, c.EXPIRES_AT) if name in payload]
    if times:
        print("\nTimes")
        for name in times:
            print(f"  {name:<4} {_describe_time(payload[name], now)}")
    exp = payload.get(c.EXPIRES_AT)
    if is_number(exp):
        state = (
            f"EXPIRED {_relative(exp, now)}"
            if exp <= now
            else f"not expired (ends {_relative(exp, now)})"
        )
    else:
        state = "no usable 'exp': a verifier refuses it"
    print(f"\nStatus       {state}")
    print(f"Signature    {len(signature)} bytes, not checked")
    print(f"Fingerprint  {fingerprint(token)}")
    return 0


def _summary(passport: Passport, now: float) -> list[tuple[str, str]]:
    rows = [
        ("subject", passport.subject),
        ("issuer", passport.issuer),
        ("audience", ", ".join(passport.audience)),
        ("roles", ", ".join(sorted(passport.roles)) or "-"),
        ("scopes", " ".join(sorted(passport.scopes)) or "-"),
        ("permissions", ", ".join(sorted(passport.permissions)) or "-"),
        ("tenant", passport.tenant or "-"),
    ]
    if passport.profile:
        rows.append(("profile", json.dumps(dict(passport.profile), ensure_ascii=False)))
    if passport.actor:
        rows.append(("acted by", " <- ".join(actor.subject for actor in passport.actor)))
    if passport.issued_at is not None:
        rows.append(("issued", _describe_time(passport.issued_at.timestamp(), now)))
    rows.append(("expires", _describe_time(passport.expires_at.timestamp(), now)))
    rows.append(("key", f"{passport.kid} ({passport.header.get('alg')})"))
    rows.append(("fingerprint", fingerprint(passport.token)))
    return rows


def _cmd_verify(args: argparse.Namespace) -> int:
    token = _read_token(args.token)
    keys = _verification_keys(args.jwks, timeout=args.timeout, allow_insecure=args.allow_insecure)
    verifier = Verifier(
        keys=keys,
        issuer=args.issuer,
        audience=args.aud,
        typ=args.typ or None,
        leeway=args.leeway,
    )
    passport = verifier.verify(token)
    if args.json:
        _print_json({"header": dict(passport.header), "claims": dict(passport.claims)})
        return 0
    print("✓ valid passport: signature, issuer, audience and lifetime checked")
    for label, value in _summary(passport, time.time()):
        print(f"  {label:<12} {value}")
    return 0


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


# --------------------------------------------------------------------------- parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more seconds: {text!r}")
    return value


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

Pass a token as - to read it from stdin: arguments show up in process listings.
"""


def _command(
    commands: Any, name: str, handler: Handler, help_text: str, epilog: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``passport`` command."""
    from passport_core import __version__  # noqa: PLC0415 - avoids an import cycle

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Service passports from the command line: make keys, publish the public JWKS,\n"
            "mint passports, and inspect or verify them."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    algs = list(ALGORITHMS)

    keygen = _command(
        commands,
        "keygen",
        _cmd_keygen,
        "generate a private signing key",
        "The key is printed as a JWK (with kid and alg) unless --format pem is given.\n"
        "HMAC keys (HS256/384/512) are shared secrets and exist only as JWK.\n\n"
        "examples:\n"
        "  passport keygen                                  # EdDSA, JWK on stdout\n"
        "  passport keygen --alg ES256 --kid edge-2025-01 --out edge-key.json\n"
        "  passport keygen --alg RS256 --format pem --out edge-key.pem\n",
    )
    keygen.add_argument(
        "--alg",
        choices=algs,
        default="EdDSA",
        metavar="ALG",
        help=f"one of {', '.join(algs)} (default EdDSA)",
    )
    keygen.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    keygen.add_argument(
        "--format", choices=("jwk", "pem"), default="jwk", help="output format (default jwk)"
    )
    keygen.add_argument(
        "--out", metavar="FILE", help="write to FILE, created with mode 0600, instead of stdout"
    )
    keygen.add_argument("--force", action="store_true", help="replace FILE if it exists")

    jwks = _command(
        commands,
        "jwks",
        _cmd_jwks,
        "print the public JWKS of one or more keys",
        "Only public members are printed. Shared secrets (HS*) are refused: they cannot\n"
        "be published. Each KEYFILE holds a JWK, a JWK Set or a PEM key.\n\n"
        "examples:\n"
        "  passport jwks edge-key.json > jwks.json\n"
        "  passport jwks current.json retiring.json > jwks.json   # during a rotation\n",
    )
    jwks.add_argument("keyfiles", nargs="+", metavar="KEYFILE")
    jwks.add_argument(
        "--alg",
        choices=algs,
        metavar="ALG",
        help="algorithm of PEM keys that are not EdDSA, ES*, or RS256 (e.g. PS256)",
    )

    mint = _command(
        commands,
        "mint",
        _cmd_mint,
        "mint (sign) a passport and print it",
        "examples:\n"
        "  passport mint --key edge-key.json --issuer https://edge.example --sub alice \\\n"
        "      --aud orders --aud billing --role admin --scope 'orders:read orders:write' \\\n"
        '      --tenant acme --profile \'{"name": "Alice"}\' --claim \'plan="gold"\' --ttl 120\n',
    )
    mint.add_argument("--key", required=True, metavar="KEYFILE", help="private key (JWK or PEM)")
    mint.add_argument(
        "--alg",
        choices=algs,
        metavar="ALG",
        help="algorithm of a PEM key that is not EdDSA, ES*, or RS256 (e.g. PS256)",
    )
    mint.add_argument("--issuer", required=True, metavar="ISS", help="the iss claim")
    mint.add_argument("--sub", required=True, help="the subject (sub claim)")
    mint.add_argument(
        "--aud", required=True, action="append", metavar="AUD", help="audience; repeatable"
    )
    mint.add_argument("--role", action="append", default=[], metavar="R", help="repeatable")
    mint.add_argument(
        "--scope", action="append", default=[], metavar="S", help="repeatable, or space separated"
    )
    mint.add_argument("--permission", action="append", default=[], metavar="P", help="repeatable")
    mint.add_argument("--tenant", metavar="T")
    mint.add_argument("--profile", metavar="JSON", help="common data, a JSON object")
    mint.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="extra claim with a JSON value; repeatable",
    )
    mint.add_argument(
        "--ttl",
        type=_positive_seconds,
        metavar="SECONDS",
        help=f"lifetime (default {DEFAULT_TTL:g}, at most 3600)",
    )

    inspect = _command(
        commands,
        "inspect",
        _cmd_inspect,
        "decode a passport WITHOUT verifying it",
        "Shows header, payload and times. Nothing is checked but the encoding:\n"
        "use `passport verify` before trusting anything shown.\n\n"
        "examples:\n"
        "  passport inspect - < token.txt\n"
        "  passport inspect --json - < token.txt | jq .payload\n",
    )
    inspect.add_argument("token", metavar="TOKEN", help="the passport, or - for stdin")
    inspect.add_argument(
        "--json", action="store_true", help="print header and payload as JSON only"
    )

    verify = _command(
        commands,
        "verify",
        _cmd_verify,
        "verify a passport against a JWKS",
        "Exit status 0 if the passport is valid; otherwise 1 and\n"
        "`passport: error: <code>: <message>` on stderr.\n\n"
        "examples:\n"
        "  passport verify - --jwks jwks.json --issuer https://edge.example --aud orders"
        " < token.txt\n"
        '  passport verify "$TOKEN" --issuer https://edge.example --aud orders \\\n'
        "      --jwks https://edge.example/.well-known/jwks.json\n",
    )
    verify.add_argument("token", metavar="TOKEN", help="the passport, or - for stdin")
    verify.add_argument(
        "--jwks", required=True, metavar="FILE_OR_URL", help="public JWKS file or https URL"
    )
    verify.add_argument("--issuer", required=True, metavar="ISS", help="the trusted issuer")
    verify.add_argument(
        "--aud", required=True, action="append", metavar="AUD", help="accepted audience; repeatable"
    )
    verify.add_argument(
        "--leeway", type=_seconds, default=30.0, metavar="S", help="clock skew (default 30)"
    )
    verify.add_argument(
        "--typ",
        default=c.TOKEN_TYPE,
        metavar="TYP",
        help=f"required typ header (default {c.TOKEN_TYPE}; '' accepts any)",
    )
    verify.add_argument(
        "--timeout", type=_positive_seconds, default=3.0, metavar="S", help="JWKS fetch timeout"
    )
    verify.add_argument(
        "--allow-insecure",
        action="store_true",
        help="allow http:// to a non-loopback host (never in production)",
    )
    verify.add_argument("--json", action="store_true", help="print header and claims as JSON")

    _command(
        commands,
        "demo",
        _cmd_demo,
        "run an edge and FastAPI, Flask and Django services on 127.0.0.1 and show the chain",
        "Starts real servers on loopback (needs the [all] extra), sends requests for an admin\n"
        "and a non-admin through edge -> FastAPI -> Flask -> Django, shows what each hop saw and\n"
        "decided, and the 403 and 401 answers to denials, tampering and forgery. Stops every\n"
        "process it started; exits 0 if every step behaved as expected.\n",
    )
    walkthrough = _command(
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
