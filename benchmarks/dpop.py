"""DPoP benchmark: what a sender-constrained passport costs the receiving service.

Rows, per proof algorithm: the gate on a bound passport without binding checks
(the verified-token cache warm, as in a steady service), the gate with the proof
check (RFC 9449 §4.3: parse, embedded key, signature, htm/htu/iat/ath, replay
cache), the proof check alone, and what the sender pays to make one proof.
Every timed gate call gets a fresh proof, made before the clock starts.
``python -m benchmarks dpop --help``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence

from benchmarks.report import Results, interleaved_medians, micros, ratio, table
from passport_core import (
    Key,
    KeyRing,
    Minter,
    PassportGate,
    ProofBinding,
    ProofVerifier,
    RequestTarget,
    Verifier,
    confirmation,
    generate_key,
    jwk_thumbprint,
    make_proof,
)

PROOF_ALGORITHMS = ("EdDSA", "ES256", "RS256")
URL = "https://orders.example/orders/7"
TARGET = RequestTarget("GET", URL)
ISSUER = "https://edge.example"
BASE = "gate, binding off (unbound passport)"
WITH_PROOF = "gate + DPoP proof check"
PROOF_ONLY = "proof check alone"
MAKE = "make_proof (sender)"


def _proofs(key: Key, token: str, count: int) -> Iterator[str]:
    # Made before the clock starts: each timed check takes the next, never a replay.
    proofs = [make_proof(key, "GET", URL, token=token) for _ in range(count)]
    return iter(proofs)


def run_alg(alg: str, *, rounds: int, number: int, results: Results) -> None:
    """Measure the proof check with an ``alg`` holder key; print its table."""
    ring = KeyRing.generate("EdDSA")
    holder = generate_key(alg)
    minter = Minter(ring, issuer=ISSUER)
    verifier = Verifier(keys=ring, issuer=ISSUER, audience="orders")
    unbound = minter.mint("alice", audience="orders")
    bound = minter.mint("alice", audience="orders", cnf=confirmation(holder))
    calls = max(1, rounds) * max(1, number) + 1
    gate_proofs = _proofs(holder, bound, calls)
    alone_proofs = _proofs(holder, bound, calls)
    plain = PassportGate(verifier)
    checked = PassportGate(verifier, binding=ProofBinding("optional"))
    checker = ProofVerifier()
    jkt = jwk_thumbprint(holder)

    def headers(token: str, proofs: Iterator[str] | None) -> Callable[[str], list[str]]:
        def get(name: str) -> list[str]:
            if name == "X-Passport":
                return [token]
            return [next(proofs)] if proofs is not None and name == "DPoP" else []

        return get

    unbound_headers = headers(unbound, None)
    bound_headers = headers(bound, gate_proofs)
    funcs: dict[str, Callable[[], object]] = {
        BASE: lambda: plain.authenticate(unbound_headers, target=TARGET),
        WITH_PROOF: lambda: checked.authenticate(bound_headers, target=TARGET),
        PROOF_ONLY: lambda: checker.verify([next(alone_proofs)], TARGET, token=bound, jkt=jkt),
        MAKE: lambda: make_proof(holder, "GET", URL, token=bound),
    }
    medians = interleaved_medians(funcs, rounds=rounds, number=number)
    base = medians[BASE]
    lines = []
    for name, seconds in medians.items():
        lines.append([name, micros(seconds), ratio(seconds, base)])
        results.add("dpop", alg=alg, contender=name, us=seconds * 1e6, x_base=seconds / base)
    title = f"DPoP proof check ({alg} holder key), median of {rounds} rounds x {number}"
    print(table(title, ["path", "µs", "x gate without proof"], lines))


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the DPoP benchmark; ``argv`` as on the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks dpop", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5 if quick else 11)
    parser.add_argument("--number", type=int, default=100 if quick else 500, help="calls per round")
    parser.add_argument(
        "--alg", nargs="+", choices=PROOF_ALGORITHMS, default=list(PROOF_ALGORITHMS)
    )
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    results.configure("dpop", rounds=args.rounds, number=args.number)
    for alg in args.alg:
        run_alg(alg, rounds=args.rounds, number=args.number, results=results)
