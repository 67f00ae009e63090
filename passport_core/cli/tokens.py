"""``passport mint``, ``passport inspect`` and ``passport verify``: passports themselves."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from passport_core import claims as c
from passport_core.cli._io import (
    CLIError,
    command,
    describe_time,
    positive_seconds,
    print_json,
    read_token,
    relative,
    seconds,
    signing_ring,
    verification_keys,
)
from passport_core.errors import MalformedToken
from passport_core.keys import ALGORITHMS, KeyRing
from passport_core.mint.minter import DEFAULT_TTL, Minter
from passport_core.passport import Passport
from passport_core.token.compact import split_compact
from passport_core.token.encoding import json_loads_object
from passport_core.token.fingerprint import fingerprint
from passport_core.token.values import is_number
from passport_core.verify.verifier import Verifier

__all__ = ["BANNER", "add_commands"]

BANNER = "UNVERIFIED — signature not checked: anyone can write these contents."
#: the longest --ttl, unless a key ring allows less
_MAX_TTL = 3600.0
#: claims that have their own ``mint`` option
_DEDICATED = {
    c.ROLES: "--role",
    c.SCOPE: "--scope",
    c.PERMISSIONS: "--permission",
    c.TENANT: "--tenant",
    c.PROFILE: "--profile",
}


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
    keys = signing_ring(args.key, args.alg)
    max_ttl = _MAX_TTL
    if isinstance(keys, KeyRing):
        max_ttl = min(max_ttl, keys.max_token_lifetime)
    extra = _parse_claims(args.claim)
    actor = extra.pop(c.ACTOR, None)
    profile = None
    if args.profile is not None:
        try:
            profile = json_loads_object(args.profile.encode("utf-8"), "--profile value")
        except MalformedToken as exc:
            raise CLIError(exc.message) from None
    scopes = [scope for value in args.scope for scope in value.split()]
    token = Minter(
        keys, issuer=args.issuer, max_ttl=max_ttl, default_ttl=min(DEFAULT_TTL, max_ttl)
    ).mint(
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
    token = read_token(args.token)
    parts = split_compact(token)
    header, payload, signature = parts.header, parts.payload, parts.signature
    if args.json:
        print(BANNER, file=sys.stderr)
        print_json({"header": header, "payload": payload})
        return 0
    now = time.time()
    print(BANNER)
    print("Use `passport verify` to check the signature, issuer, audience and lifetime.")
    print("\nHeader")
    print_json(header)
    print("\nPayload")
    print_json(payload)
    times = [name for name in (c.ISSUED_AT, c.NOT_BEFORE, c.EXPIRES_AT) if name in payload]
    if times:
        print("\nTimes")
        for name in times:
            print(f"  {name:<4} {describe_time(payload[name], now)}")
    exp = payload.get(c.EXPIRES_AT)
    if is_number(exp):
        state = (
            f"EXPIRED {relative(exp, now)}"
            if exp <= now
            else f"not expired (ends {relative(exp, now)})"
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
        rows.append(("issued", describe_time(passport.issued_at.timestamp(), now)))
    rows.append(("expires", describe_time(passport.expires_at.timestamp(), now)))
    rows.append(("key", f"{passport.kid} ({passport.header.get('alg')})"))
    rows.append(("fingerprint", fingerprint(passport.token)))
    return rows


def _cmd_verify(args: argparse.Namespace) -> int:
    token = read_token(args.token)
    keys = verification_keys(args.jwks, timeout=args.timeout, allow_insecure=args.allow_insecure)
    verifier = Verifier(
        keys=keys,
        issuer=args.issuer,
        audience=args.aud,
        typ=args.typ or None,
        leeway=args.leeway,
    )
    passport = verifier.verify(token)
    if args.json:
        print_json({"header": dict(passport.header), "claims": dict(passport.claims)})
        return 0
    print("✓ valid passport: signature, issuer, audience and lifetime checked")
    for label, value in _summary(passport, time.time()):
        print(f"  {label:<12} {value}")
    return 0


def add_commands(commands: Any) -> None:
    """Add mint, inspect and verify to the ``passport`` subcommands."""
    algs = list(ALGORITHMS)

    mint = command(
        commands,
        "mint",
        _cmd_mint,
        "mint (sign) a passport and print it",
        "examples:\n"
        "  passport mint --key edge-key.json --issuer https://edge.example --sub alice \\\n"
        "      --aud orders --aud billing --role admin --scope 'orders:read orders:write' \\\n"
        '      --tenant acme --profile \'{"name": "Alice"}\' --claim \'plan="gold"\' --ttl 120\n',
    )
    mint.add_argument(
        "--key",
        required=True,
        metavar="KEYFILE",
        help="private key (JWK or PEM), or a key ring file (its active key signs)",
    )
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
        type=positive_seconds,
        metavar="SECONDS",
        help=f"lifetime (default {DEFAULT_TTL:g}, at most 3600)",
    )

    inspect = command(
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

    verify = command(
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
        "--leeway", type=seconds, default=30.0, metavar="S", help="clock skew (default 30)"
    )
    verify.add_argument(
        "--typ",
        default=c.TOKEN_TYPE,
        metavar="TYP",
        help=f"required typ header (default {c.TOKEN_TYPE}; '' accepts any)",
    )
    verify.add_argument(
        "--timeout", type=positive_seconds, default=3.0, metavar="S", help="JWKS fetch timeout"
    )
    verify.add_argument(
        "--allow-insecure",
        action="store_true",
        help="allow http:// to a non-loopback host (never in production)",
    )
    verify.add_argument("--json", action="store_true", help="print header and claims as JSON")
