"""Verify benchmark: one 1.1 KB, 15-claim passport per algorithm, every contender side by side.

Rows, per algorithm:

* ``primitive``: ``cryptography``'s signature check alone (DER prepared in
  advance for ECDSA), the floor no JWT library goes below;
* ``PyNaCl`` (EdDSA only): libsodium's Ed25519 check, the faster primitive;
* ``hand-written``: the minimal complete verify of ``benchmarks/reference.py``,
  the "1.00" every other row is divided by;
* ``service-passport cold``: our Verifier with its verified-token cache off (a
  token seen for the first time); ``warm``: the same token again, default cache;
* joserfc, PyJWT, Authlib, python-jose, jwcrypto, then the Rust-backed oxyjwt
  and ryjwt: each as strict as it can be configured.

Every contender first proves it accepts the token and refuses it expired, with a
forged signature and without ``exp`` (else its row says ``LAX``); a library not
installed is listed as such. Medians of rounds, contenders interleaved round by
round. ``python -m benchmarks verify --help``.
"""

from __future__ import annotations

import argparse
import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import reference
from benchmarks.libraries import LIBRARIES, Unsupported
from benchmarks.report import Results, interleaved_medians, micros, ratio, table
from benchmarks.sample import ALGORITHMS, Sample, make_sample

PRIMITIVE = "cryptography primitive (signature only)"
PYNACL = "PyNaCl Ed25519 (signature only)"
HAND_WRITTEN = "hand-written minimal verify"
COLD = "service-passport cold (cache off)"
WARM = "service-passport warm (same token)"


@dataclass
class Contender:
    """One row: how it verifies, whether it checks claims, and what happened."""

    name: str
    verify: Callable[[str], object] | None
    full: bool = True
    note: str = ""


def forged(token: str) -> str:
    """``token`` with one character of its signature changed (not a padding bit)."""
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _refuses(verify: Callable[[str], object], token: str) -> bool:
    try:
        verify(token)
    except Exception:  # noqa: BLE001 - each library raises its own types
        return True
    return False


def prove(contender: Contender, sample: Sample) -> None:
    """Check the contender is honest on ``sample``; a failure becomes its note."""
    verify = contender.verify
    if verify is None:
        return
    try:
        verify(sample.token)
    except Exception as exc:  # noqa: BLE001
        contender.verify = None
        contender.note = f"refused the valid token: {type(exc).__name__}"
        return
    if not contender.full:
        return
    lax = [
        what
        for what, token in (
            ("an expired token", sample.expired),
            ("a forged signature", forged(sample.token)),
            ("a token without exp", reference.without_exp(sample)),
        )
        if not _refuses(verify, token)
    ]
    if lax:
        contender.note = "LAX: accepted " + " and ".join(lax)


def _ours(sample: Sample) -> list[Contender]:
    cold = sample.verifier(cache_size=0)
    warm = sample.verifier()
    return [Contender(COLD, cold.verify), Contender(WARM, warm.verify)]


def contenders(sample: Sample) -> list[Contender]:
    """Every row for ``sample``'s algorithm, proven honest."""
    rows = [Contender(PRIMITIVE, reference.primitive(sample), full=False)]
    if sample.alg == "EdDSA":
        try:
            rows.append(Contender(PYNACL, reference.pynacl(sample), full=False))
        except ImportError:
            rows.append(Contender(PYNACL, None, full=False, note="not installed"))
    rows.append(Contender(HAND_WRITTEN, reference.minimal_verify(sample)))
    rows.extend(_ours(sample))
    for library in LIBRARIES:
        try:
            rows.append(Contender(library.label, library.build(sample)))
        except ImportError:
            rows.append(Contender(library.label, None, note="not installed"))
        except Unsupported as exc:
            rows.append(Contender(library.label, None, note=f"unsupported: {exc}"))
    for row in rows:
        prove(row, sample)
    return rows


def run_alg(alg: str, *, rounds: int, number: int, results: Results) -> dict[str, float]:
    """Measure every contender on ``alg``; print its table, record its figures."""
    sample = make_sample(alg)
    rows = contenders(sample)
    timed = {
        row.name: functools.partial(row.verify, sample.token)
        for row in rows
        if row.verify is not None
    }
    medians = interleaved_medians(timed, rounds=rounds, number=number)
    floor, hand = medians.get(PRIMITIVE), medians.get(HAND_WRITTEN)
    lines = []
    for row in rows:
        seconds = medians.get(row.name)
        lines.append(
            [row.name, micros(seconds), ratio(seconds, hand), ratio(seconds, floor), row.note]
        )
        results.add(
            "verify",
            alg=alg,
            contender=row.name,
            us=None if seconds is None else seconds * 1e6,
            x_hand_written=None if seconds is None or not hand else seconds / hand,
            x_primitive=None if seconds is None or not floor else seconds / floor,
            note=row.note,
        )
    size = len(sample.token)
    title = f"verify one {size}-byte passport ({alg}), median of {rounds} rounds x {number}"
    print(table(title, ["contender", "µs", "x hand-written", "x primitive", "note"], lines))
    return medians


_SUMMARY = (PRIMITIVE, HAND_WRITTEN, COLD, WARM, "joserfc + claims registry", "PyJWT (require)")
_RUST = ("oxyjwt (Rust)", "ryjwt (Rust)")


def summary(by_alg: dict[str, dict[str, float]]) -> str:
    """The issue's view: µs (ratio to hand-written) per algorithm, our rows beside the others."""
    header = [
        "alg",
        "primitive",
        "hand-written",
        "sp cold",
        "sp warm",
        "joserfc",
        "PyJWT",
        "best Rust",
    ]
    lines = []
    for alg, medians in by_alg.items():
        hand = medians.get(HAND_WRITTEN)
        cells = [alg]
        for name in _SUMMARY:
            seconds = medians.get(name)
            cells.append("" if seconds is None else f"{micros(seconds)} ({ratio(seconds, hand)})")
        rust = [(medians[name], name) for name in _RUST if name in medians]
        if rust:
            seconds, name = min(rust)
            cells.append(f"{micros(seconds)} ({ratio(seconds, hand)}) {name.split()[0]}")
        else:
            cells.append("not installed")
        lines.append(cells)
    return table("verify summary: µs (x hand-written)", header, lines)


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the verify benchmark; ``argv`` as on the command line."""
    # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519"; the comparison stays fair.
    warnings.filterwarnings("ignore", message=".*RFC 9864.*")
    parser = argparse.ArgumentParser(prog="python -m benchmarks verify", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5 if quick else 11)
    parser.add_argument(
        "--number", type=int, default=200 if quick else 1000, help="calls per round"
    )
    parser.add_argument("--alg", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS))
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    results.configure("verify", rounds=args.rounds, number=args.number)
    by_alg = {
        alg: run_alg(alg, rounds=args.rounds, number=args.number, results=results)
        for alg in args.alg
    }
    print(summary(by_alg))


__all__ = ["main"]
