"""``passport revoke``: take passports back before they expire.

What to revoke: one passport (``--jti``, or ``--token`` to read its ``iss``, ``jti``
and ``exp``), every passport of a subject (``--subject``) or of one sign-in
(``--session``, the ``sid`` claim) issued before ``--before`` (default: now).
Where: the shared store itself (``--redis``), or the revocation admin endpoint
(``--admin``, with the operator's passport); ``--print`` only prints the entry.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx

from passport_core import claims as c
from passport_core.cli._io import CLIError, command, positive_seconds, print_json, read_token
from passport_core.errors import ConfigurationError
from passport_core.http.urls import checked_url
from passport_core.revocation.entry import DEFAULT_LIFETIME, Revocation
from passport_core.token.compact import split_compact
from passport_core.token.values import is_number

__all__ = ["add_commands"]

_TIMEOUT = 5.0
#: a token given as this is read from stdin (arguments show up in process listings)
_STDIN = "-"


def _when(text: str) -> float:
    """``now``, a NumericDate, or ``-SECONDS`` (that long ago)."""
    if text == "now":
        return time.time()
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not 'now', a NumericDate or -SECONDS: {text!r}"
        ) from None
    return time.time() + value if value < 0 else value


def _from_token(token: str, issuer: str | None) -> Revocation:
    # Unverified on purpose: revoking a passport grants nothing, and an operator may
    # hold one signed by a key that has since been retired.
    payload = split_compact(token).payload
    jti, iss, exp = payload.get(c.JWT_ID), payload.get(c.ISSUER), payload.get(c.EXPIRES_AT)
    if not isinstance(jti, str) or not jti or not isinstance(iss, str) or not iss:
        raise CLIError("the passport has no jti or iss: revoke its --subject instead")
    if issuer is not None and issuer != iss:
        raise CLIError(f"the passport's iss is {iss!r}, not --issuer {issuer!r}")
    if not is_number(exp):
        raise CLIError("the passport has no numeric exp")
    if exp <= time.time():
        raise CLIError("the passport has expired already: nothing accepts it")
    return Revocation.passport(iss, jti, expires=float(exp) + 30.0)


def _revocation(args: argparse.Namespace) -> Revocation:
    if args.token is not None:
        return _from_token(read_token(args.token), args.issuer)
    if not args.issuer:
        raise CLIError("--issuer is required (whose passports to revoke)")
    now = time.time()
    if args.jti is not None:
        return Revocation.passport(args.issuer, args.jti, expires=now + args.lifetime)
    before = now if args.before is None else args.before
    if before + args.lifetime <= now:
        raise CLIError("--before is so long ago that no passport it names is still alive")
    if args.subject is not None:
        return Revocation.subject(args.issuer, args.subject, before=before, lifetime=args.lifetime)
    return Revocation.session(args.issuer, args.session, before=before, lifetime=args.lifetime)


def _admin_body(revocation: Revocation) -> dict[str, Any]:
    body: dict[str, Any] = {revocation.kind: revocation.value, "iss": revocation.issuer}
    if revocation.kind == "jti":
        body["expires"] = revocation.expires
    else:
        body["before"] = revocation.before
    return body


def _post(url: str, operator: str, revocation: Revocation) -> dict[str, Any]:
    target = checked_url(url, allow_insecure=False, what="--admin", error=ConfigurationError)
    try:
        answer = httpx.post(
            target,
            json=_admin_body(revocation),
            headers={"authorization": f"Bearer {operator}"},
            timeout=_TIMEOUT,
            follow_redirects=False,  # the operator's passport goes to this URL only
        )
    except httpx.HTTPError as exc:
        raise CLIError(f"the admin endpoint cannot be reached: {type(exc).__name__}") from None
    try:
        document = answer.json()
    except ValueError:
        document = None
    if answer.status_code != 201 or not isinstance(document, dict):
        code = document.get("code") if isinstance(document, dict) else None
        raise CLIError(f"the admin endpoint refused: {answer.status_code} {code or ''}".rstrip())
    return document


def _write_redis(url: str, revocation: Revocation) -> None:
    from passport_core.revocation.redis_store import RedisRevocations  # noqa: PLC0415

    store = RedisRevocations.from_url(url)
    try:
        store.revoke(revocation)
    finally:
        store.close()


def _cmd_revoke(args: argparse.Namespace) -> int:
    if args.admin is not None and args.token == _STDIN and args.operator_token == _STDIN:
        raise CLIError("--token - and --operator-token - both read stdin: pass one of them inline")
    revocation = _revocation(args)
    if args.redis is not None:
        _write_redis(args.redis, revocation)
        print_json(json.loads(revocation.to_json()))
    elif args.admin is not None:
        print_json(_post(args.admin, read_token(args.operator_token), revocation))
    else:
        print_json(json.loads(revocation.to_json()))
        return 0
    print(
        f"passport revoke: {revocation.kind} revoked until {revocation.expires:.0f}",
        file=sys.stderr,
    )
    return 0


def add_commands(commands: Any) -> None:
    """Add ``revoke`` to the ``passport`` subcommands."""
    parser = command(
        commands,
        "revoke",
        _cmd_revoke,
        "revoke a passport, a subject's or a session's passports before they expire",
        "examples:\n"
        "  passport revoke --redis redis://127.0.0.1:6379/0 --issuer https://edge.example \\\n"
        "      --subject alice                        # log alice out everywhere, now\n"
        "  passport revoke --redis redis://... --token - < stolen.txt   # that one passport\n"
        "  passport revoke --admin https://ops.example/admin/revocations \\\n"
        "      --operator-token - --issuer https://edge.example --session s-42 < op.txt\n"
        "The entry lives only as long as a passport it names could (--lifetime).\n",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--jti", help="one passport, by its jti")
    what.add_argument("--token", metavar="-", help="one passport: - reads it from stdin")
    what.add_argument("--subject", help="every passport of this sub issued before --before")
    what.add_argument("--session", help="every passport of this sid issued before --before")
    parser.add_argument("--issuer", help="whose passports (their iss)")
    parser.add_argument(
        "--before", type=_when, help="cut-off: now (default), a NumericDate or -SECONDS"
    )
    parser.add_argument(
        "--lifetime",
        type=positive_seconds,
        default=DEFAULT_LIFETIME,
        help=f"the longest a passport lives, leeway included (default {DEFAULT_LIFETIME:g} s)",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--redis", metavar="URL", help="the shared store: redis://host:port/db")
    where.add_argument("--admin", metavar="URL", help="the revocation admin endpoint")
    where.add_argument("--print", action="store_true", help="only print the entry")
    parser.add_argument(
        "--operator-token",
        metavar="-",
        default=_STDIN,
        help="with --admin: the operator's passport (default -: read from stdin)",
    )
