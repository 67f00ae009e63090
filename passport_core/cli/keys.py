"""``passport keygen``, ``passport jwks`` and ``passport ring``: keys, their JWKS, staged rotation.

``passport ring`` drives a :class:`~passport_core.KeyRing` saved in a file
(mode 0600, private keys included): ``init``, ``prepare``, ``promote``,
``retire``, ``prune`` and ``status``. Each step refuses to run before it is
safe unless ``--force`` is given; ``docs/rotation.md`` is the runbook.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from passport_core.cli._io import (
    CLIError,
    command,
    describe_time,
    load_key_file,
    load_ring,
    positive_seconds,
    print_json,
    save_ring,
    seconds,
    write_private,
)
from passport_core.keys import (
    ALGORITHMS,
    DEFAULT_MAX_TOKEN_LIFETIME,
    DEFAULT_PUBLISH_DELAY,
    DEFAULT_RETIRE_LEEWAY,
    Key,
    KeyRing,
    RingKey,
    generate_key,
    public_jwks,
)

__all__ = ["add_commands"]

#: algorithms a bare PEM key is loaded as unless told otherwise
_PEM_NATURAL_ALGS = frozenset({"EdDSA", "ES256", "ES384", "ES512", "RS256"})


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
        write_private(args.out, text, force=args.force)
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
        for key in load_key_file(path, args.alg):
            if key.is_symmetric:
                raise CLIError(
                    f"{path!r} holds an {key.alg} shared secret, which cannot be published; "
                    "a JWKS carries public keys only"
                )
            if key.kid in seen:
                raise CLIError(f"kid {key.kid!r} appears in both {seen[key.kid]!r} and {path!r}")
            seen[key.kid] = path
            keys.append(key)
    print_json(public_jwks(keys))
    return 0


# --------------------------------------------------------------------------- ring


def _when(value: float | None, now: float) -> str:
    return "-" if value is None else describe_time(value, now)


def _cmd_ring_init(args: argparse.Namespace) -> int:
    if args.alg.startswith("HS"):
        raise CLIError(f"{args.alg} keys are shared secrets: a ring publishes public keys")
    ring = KeyRing(
        generate_key(args.alg, kid=args.kid),
        publish_delay=args.publish_delay,
        max_token_lifetime=args.max_token_lifetime,
        leeway=args.leeway,
    )
    text = json.dumps(ring.to_document(), indent=2) + "\n"
    write_private(args.out, text, force=args.force)
    print(
        f"wrote key ring {args.out} (mode 0600): active {ring.active.alg} key {ring.active.kid}",
        file=sys.stderr,
    )
    return 0


def _cmd_ring_prepare(args: argparse.Namespace) -> int:
    ring = load_ring(args.ring)
    new = generate_key(args.alg or ring.active.alg, kid=args.kid)
    ring.prepare(new)
    save_ring(ring, args.ring)
    promote_at = ring.promote_at
    assert promote_at is not None  # noqa: S101 - prepare() just set the next key
    print(
        f"prepared {new.alg} key {new.kid}: published now, not signing; "
        f"promote it from {describe_time(promote_at, time.time())}"
    )
    return 0


def _cmd_ring_promote(args: argparse.Namespace) -> int:
    ring = load_ring(args.ring)
    old = ring.active.kid
    new = ring.promote(force=args.force)
    save_ring(ring, args.ring)
    retiring = next(entry for entry in ring.status() if entry.kid == old)
    assert retiring.retire_at is not None  # noqa: S101 - promote() retires the old key
    print(
        f"promoted {new.kid}: it signs from now; {old} retiring, published until "
        f"{describe_time(retiring.retire_at, time.time())}"
    )
    return 0


def _cmd_ring_retire(args: argparse.Namespace) -> int:
    ring = load_ring(args.ring)
    ring.retire(args.kid, force=args.force)
    save_ring(ring, args.ring)
    print(f"retired {args.kid}: no longer published")
    return 0


def _cmd_ring_prune(args: argparse.Namespace) -> int:
    ring = load_ring(args.ring)
    pruned = ring.prune()
    save_ring(ring, args.ring)
    print(f"pruned {', '.join(pruned)}" if pruned else "nothing to prune")
    return 0


def _status_row(entry: RingKey) -> dict[str, Any]:
    return {
        "kid": entry.kid,
        "alg": entry.alg,
        "state": entry.state,
        "published_since": entry.published_at,
        "signs_from": entry.signs_from,
        "signs_until": entry.signs_until,
        "retires_at": entry.retire_at,
    }


def _cmd_ring_status(args: argparse.Namespace) -> int:
    ring = load_ring(args.ring)
    now = time.time()
    entries = ring.status()
    if args.json:
        print_json(
            {
                "publish_delay": ring.publish_delay,
                "max_token_lifetime": ring.max_token_lifetime,
                "leeway": ring.leeway,
                "promote_at": ring.promote_at,
                "keys": [_status_row(entry) for entry in entries],
            }
        )
        return 0
    print(
        f"key ring {args.ring}: publish_delay {ring.publish_delay:g} s, "
        f"retiring keys kept {ring.retire_after:g} s "
        f"(max_token_lifetime {ring.max_token_lifetime:g} s + leeway {ring.leeway:g} s)"
    )
    for entry in entries:
        print(f"\n  {entry.kid}  {entry.alg}  {entry.state}")
        print(f"    published since  {_when(entry.published_at, now)}")
        print(f"    signs from       {_when(entry.signs_from, now)}")
        print(f"    signs until      {_when(entry.signs_until, now)}")
        print(f"    retires at       {_when(entry.retire_at, now)}")
    promote_at = ring.promote_at
    if promote_at is None:
        step = "passport ring prepare: publish the next key"
    elif promote_at > now:
        step = f"passport ring promote, from {describe_time(promote_at, now)}"
    else:
        step = "passport ring promote: every verifier can have seen the next key"
    print(f"\nnext step: {step}")
    return 0


def add_commands(commands: Any) -> None:
    """Add keygen, jwks and ring to the ``passport`` subcommands."""
    algs = list(ALGORITHMS)

    keygen = command(
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

    jwks = command(
        commands,
        "jwks",
        _cmd_jwks,
        "print the public JWKS of one or more keys",
        "Only public members are printed. Shared secrets (HS*) are refused: they cannot\n"
        "be published. Each KEYFILE holds a JWK, a JWK Set or a PEM key.\n\n"
        "examples:\n"
        "  passport jwks edge-key.json > jwks.json\n"
        "  passport jwks current.json retiring.json > jwks.json   # during a rotation\n"
        "  passport jwks ring.json > jwks.json   # a key ring: active, next and retiring keys\n",
    )
    jwks.add_argument("keyfiles", nargs="+", metavar="KEYFILE")
    jwks.add_argument(
        "--alg",
        choices=algs,
        metavar="ALG",
        help="algorithm of PEM keys that are not EdDSA, ES*, or RS256 (e.g. PS256)",
    )

    ring = command(
        commands,
        "ring",
        None,
        "rotate keys in stages with a key ring file",
        "A key ring file holds the active key (signs), the next key (published, not\n"
        "signing yet) and retiring keys (published until every passport they signed\n"
        "has expired), with their times. It holds private keys: mode 0600.\n\n"
        "examples:\n"
        "  passport ring init --out ring.json\n"
        "  passport ring prepare ring.json          # publish the next key\n"
        "  passport ring promote ring.json          # after publish_delay: it signs\n"
        "  passport ring prune ring.json            # drop retiring keys past their time\n"
        "  passport ring status ring.json\n"
        "  passport jwks ring.json > jwks.json      # active + next + retiring, public\n"
        "  passport mint --key ring.json ...        # signs with the active key\n",
    )
    steps = ring.add_subparsers(title="steps", metavar="STEP", required=True)
    init = command(
        steps,
        "init",
        _cmd_ring_init,
        "create a key ring file with one fresh active key",
        "The defaults are safe for verifiers with today's defaults: publish_delay is\n"
        "the JWKS max-age, leeway the largest a Verifier accepts.\n",
    )
    init.add_argument("--out", required=True, metavar="FILE", help="created with mode 0600")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    init.add_argument(
        "--alg",
        choices=[alg for alg in algs if not alg.startswith("HS")],
        default="EdDSA",
        metavar="ALG",
        help="algorithm of the key (default EdDSA)",
    )
    init.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    init.add_argument(
        "--publish-delay",
        type=seconds,
        default=DEFAULT_PUBLISH_DELAY,
        metavar="S",
        help="seconds between prepare and promote: at least the verifiers' JWKS cache "
        f"lifetime (default {DEFAULT_PUBLISH_DELAY:g}, the JWKS max-age)",
    )
    init.add_argument(
        "--max-token-lifetime",
        type=positive_seconds,
        default=DEFAULT_MAX_TOKEN_LIFETIME,
        metavar="S",
        help=f"the longest passport minted (default {DEFAULT_MAX_TOKEN_LIFETIME:g})",
    )
    init.add_argument(
        "--leeway",
        type=seconds,
        default=DEFAULT_RETIRE_LEEWAY,
        metavar="S",
        help=f"the verifiers' clock-skew leeway (default {DEFAULT_RETIRE_LEEWAY:g})",
    )
    prepare = command(
        steps,
        "prepare",
        _cmd_ring_prepare,
        "publish a fresh next key; nothing signs with it yet",
        "Serve the ring's JWKS at once; promote after publish_delay.\n",
    )
    prepare.add_argument("ring", metavar="RING", help="the key ring file")
    prepare.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    prepare.add_argument(
        "--alg",
        choices=[alg for alg in algs if not alg.startswith("HS")],
        metavar="ALG",
        help="algorithm of the new key (default: the active key's)",
    )
    promote = command(
        steps,
        "promote",
        _cmd_ring_promote,
        "make the next key active once publish_delay has passed; the old one retires",
        "Refused before publish_delay has passed since prepare: verifiers that cached the\n"
        "JWKS before the next key was published would answer unknown_kid.\n"
        "--force promotes anyway (an emergency: accept those rejections).\n",
    )
    promote.add_argument("ring", metavar="RING", help="the key ring file")
    promote.add_argument("--force", action="store_true", help="promote before publish_delay")
    retire = command(
        steps,
        "retire",
        _cmd_ring_retire,
        "stop publishing a retiring key (or withdraw the next key)",
        "Refused before the key's retire time unless --force: passports it signed would\n"
        "fail. --force is how a leaked key is revoked.\n",
    )
    retire.add_argument("ring", metavar="RING", help="the key ring file")
    retire.add_argument("kid", metavar="KID", help="the key to retire")
    retire.add_argument("--force", action="store_true", help="retire before its time")
    prune = command(
        steps,
        "prune",
        _cmd_ring_prune,
        "drop the retiring keys whose retire time has passed",
        "Safe at any time, e.g. from cron.\n",
    )
    prune.add_argument("ring", metavar="RING", help="the key ring file")
    status = command(
        steps,
        "status",
        _cmd_ring_status,
        "show every key of a ring: state, published since, signs from/until, retires at",
        "No key material is shown.\n",
    )
    status.add_argument("ring", metavar="RING", help="the key ring file")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
