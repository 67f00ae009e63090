"""Mint benchmark: Minter.mint against a hand-written signer, PyJWT and joserfc.

Every row signs the same 15-claim passport (fresh ``iat``/``exp``/``jti`` each
call). The hand-written signer (``benchmarks/reference.py``) builds the claims,
encodes them with orjson and base64url and signs with the primitive: the "1.00".
``python -m benchmarks mint --help``.
"""

from __future__ import annotations

import argparse
import secrets
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import reference
from benchmarks.report import Results, interleaved_medians, micros, ratio, table
from benchmarks.sample import (
    AUDIENCE,
    ISSUER,
    SUBJECT,
    Sample,
    common_data,
    make_sample,
    mint,
)

MINT_ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")
HAND_WRITTEN = "hand-written signer"
OURS = "service-passport Minter.mint"


#: the common data every signer signs, built once as the hand-written signer's is: each call
#: pays only for what changes per passport (times, ``jti``)
_DATA = common_data()


def _claims() -> dict[str, Any]:
    data = _DATA
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": SUBJECT,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": secrets.token_urlsafe(16),
        "roles": data["roles"],
        "scope": " ".join(data["scopes"]),
        "permissions": data["permissions"],
        "tenant": data["tenant"],
        "profile": data["profile"],
        "amr": data["auth_methods"],
        "acr": data["auth_context"],
        "auth_time": now - 60,
    }


def _pyjwt(sample: Sample) -> Callable[[], object] | None:
    try:
        import jwt  # noqa: PLC0415
    except ImportError:
        return None
    key = jwt.PyJWK.from_dict(sample.key.to_jwk(private=True)).key
    headers = {"typ": "passport+jwt", "kid": sample.key.kid}
    return lambda: jwt.encode(_claims(), key, algorithm=sample.alg, headers=headers)


def _ours(sample: Sample) -> Callable[[], object]:
    minter = sample.minter
    return lambda: mint(minter, data=_DATA)


def _joserfc(sample: Sample) -> Callable[[], object]:
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import JWKRegistry  # noqa: PLC0415

    key = JWKRegistry.import_key(sample.key.to_jwk(private=True))
    header = {"alg": sample.alg, "typ": "passport+jwt", "kid": sample.key.kid}
    return lambda: jwt.encode(header, _claims(), key, algorithms=[sample.alg])


def run_alg(alg: str, *, rounds: int, number: int, results: Results) -> None:
    """Measure every signer on ``alg``; print its table, record its figures."""
    sample = make_sample(alg)
    verify = sample.verifier().verify
    funcs: dict[str, Callable[[], object]] = {
        HAND_WRITTEN: reference.minimal_signer(sample),
        OURS: _ours(sample),
        "joserfc jwt.encode": _joserfc(sample),
    }
    pyjwt = _pyjwt(sample)
    if pyjwt is not None:
        funcs["PyJWT encode"] = pyjwt
    for func in funcs.values():
        token = func()
        assert isinstance(token, str)
        verify(token)  # every signer's passport passes our verifier: the same work was done
    medians = interleaved_medians(funcs, rounds=rounds, number=number)
    hand = medians[HAND_WRITTEN]
    lines = []
    for name in (*funcs, *(() if pyjwt else ("PyJWT encode",))):
        seconds = medians.get(name)
        note = "" if name in funcs else "not installed"
        lines.append([name, micros(seconds), ratio(seconds, hand), note])
        results.add(
            "mint",
            alg=alg,
            contender=name,
            us=None if seconds is None else seconds * 1e6,
            x_hand_written=None if seconds is None else seconds / hand,
            note=note,
        )
    title = f"mint one passport ({alg}), median of {rounds} rounds x {number}"
    print(table(title, ["signer", "µs", "x hand-written", "note"], lines))


def main(
    argv: Sequence[str] | None = None, *, results: Results | None = None, quick: bool = False
) -> None:
    """Run the mint benchmark; ``argv`` as on the command line."""
    warnings.filterwarnings("ignore", message=".*RFC 9864.*")  # joserfc on "EdDSA"
    parser = argparse.ArgumentParser(prog="python -m benchmarks mint", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5 if quick else 11)
    parser.add_argument("--number", type=int, default=100 if quick else 500, help="calls per round")
    parser.add_argument("--alg", nargs="+", choices=MINT_ALGORITHMS, default=list(MINT_ALGORITHMS))
    args = parser.parse_args(argv)
    results = Results() if results is None else results
    results.configure("mint", rounds=args.rounds, number=args.number)
    for alg in args.alg:
        run_alg(alg, rounds=args.rounds, number=args.number, results=results)
