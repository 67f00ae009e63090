"""What every ``passport`` command shares: reading files and tokens, private writes, printing.

Nothing here prints key material or a token: files are named by path, tokens by fingerprint.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from passport_core.errors import MalformedToken, MissingToken, PassportError, TokenTooLarge
from passport_core.keys import Key, KeyRing, load_jwks, load_key
from passport_core.token.values import is_number

PROG = "passport"
#: inspect and verify refuse to read more than this: a passport is a few KiB
MAX_TOKEN_BYTES = 64 * 1024
#: key and JWKS files are small; a bigger file is a mistake, not a key
MAX_FILE_BYTES = 1024 * 1024
#: the member that marks a JWKS as a key ring file (see KeyRing.to_document)
RING_MEMBER = "passport_ring"


class CLIError(Exception):
    """A failure shown to the user as one line."""


Handler = Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- input / output


def read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CLIError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise CLIError(f"{what} {path!r} is larger than {MAX_FILE_BYTES // 1024} KiB")
    return data


def read_token(value: str) -> str:
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


def write_private(path: str, text: str, *, force: bool) -> None:
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


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def in_file(path: str, exc: PassportError) -> PassportError:
    """The same error, with the file it came from in front of the message."""
    return type(exc)(f"{path}: {exc.message}")


# --------------------------------------------------------------------------- key files


def is_jwks(data: bytes) -> bool:
    if not data.lstrip().startswith(b"{"):
        return False
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and "keys" in parsed


def ring_document(data: bytes) -> dict[str, Any] | None:
    """The parsed JSON if ``data`` is a key ring file (a JWKS with ``passport_ring``)."""
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) and RING_MEMBER in parsed else None


def load_ring(path: str) -> KeyRing:
    """The key ring saved at ``path`` (by ``passport ring init`` or ``KeyRing.save``)."""
    document = ring_document(read_file(path, "key ring"))
    if document is None:
        raise CLIError(f"{path!r} is not a key ring file; create one with `passport ring init`")
    try:
        return KeyRing.from_document(document)
    except PassportError as exc:
        raise in_file(path, exc) from None


def save_ring(ring: KeyRing, path: str) -> None:
    try:
        ring.save(path)
    except PassportError as exc:
        raise in_file(path, exc) from None


def load_key_file(path: str, alg: str | None) -> list[Key]:
    """Every key in a JWK, JWKS, PEM or key ring file (private or public).

    Of a key ring, the keys it publishes now: active, next and retiring.
    """
    data = read_file(path, "key file")
    try:
        document = ring_document(data)
        if document is not None:
            return list(KeyRing.from_document(document).keys)
        if is_jwks(data):
            return load_jwks(data, public_only=False)
        return [load_key(data, alg=alg)]
    except PassportError as exc:
        raise in_file(path, exc) from None


def signing_ring(path: str, alg: str | None) -> KeyRing | Key:
    """A key ring file as its ring (its active key signs), or the one private key of a file."""
    data = read_file(path, "key file")
    if ring_document(data) is not None:
        return load_ring(path)
    keys = load_key_file(path, alg)
    if len(keys) != 1:
        raise CLIError(f"{path!r} holds a key set; mint needs a file with exactly one key")
    key = keys[0]
    if not key.is_private:
        raise CLIError(f"{path!r} holds a public key; minting needs the private key")
    return key


def verification_keys(source: str, *, timeout: float, allow_insecure: bool) -> list[Key]:
    if source.startswith(("https://", "http://")):
        # Imported here: only a URL needs httpx, so the other commands start faster.
        from passport_core.keys.remote import fetch_jwks  # noqa: PLC0415

        return fetch_jwks(source, timeout=timeout, allow_insecure=allow_insecure)
    data = read_file(source, "JWKS file")
    try:
        if is_jwks(data):
            return load_jwks(data)
        key = load_key(data)
    except PassportError as exc:
        raise in_file(source, exc) from None
    if key.is_private:
        raise CLIError(
            f"{source!r} holds private key material; verify with the public JWKS "
            f"(passport jwks {source} > jwks.json)"
        )
    return [key]


# --------------------------------------------------------------------------- time display


def duration(seconds: float) -> str:
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


def relative(when: float, now: float) -> str:
    delta = when - now
    return f"in {duration(delta)}" if delta >= 0 else f"{duration(delta)} ago"


def describe_time(value: Any, now: float) -> str:
    if not is_number(value):
        return f"{json.dumps(value)[:40]}  (not a NumericDate)"
    try:
        stamp = datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{value}  (out of range)"
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC  ({relative(value, now)})"


# --------------------------------------------------------------------------- argument types


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more seconds: {text!r}")
    return value


def command(
    commands: Any, name: str, handler: Handler | None, help_text: str, epilog: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if handler is not None:  # a group (``ring``) has handlers on its steps only
        parser.set_defaults(handler=handler)
    return parser
