"""Verify-path benchmark: service-passport against the raw primitive, PyJWT and joserfc.

The machine is shared and noisy, so absolute numbers mean little: every
contender runs interleaved in the same process and the report gives ratios
to the raw ``cryptography`` signature check, which is the floor any JWT
library pays. Run with ``nox -s bench`` or ``python -m benchmarks verify``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable, Sequence

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from passport_core import KeyRing, Minter, Verifier
from passport_core.token.encoding import b64url_decode

ISSUER = "https://edge.bench"
AUDIENCE = "orders"


def _timeit(func: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def _contenders(alg: str) -> dict[str, Callable[[], object]]:
    ring = KeyRing.generate(alg)
    token = Minter(ring, issuer=ISSUER).mint(
        "user-42",
        audience=AUDIENCE,
        roles=["admin", "staff"],
        scopes=["orders:read", "orders:write"],
        profile={"name": "Ada", "email": "ada@example.test", "locale": "en"},
        tenant="acme",
    )
    ours = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE)
    header_b64, payload_b64, sig_b64 = token.split(".")
    signing_input = f"{header_b64}.{payload_b64}".encode()
    signature = b64url_decode(sig_b64)
    public = ring.active.public().jwk.get_op_key("verify")
    pem = ring.active.to_pem(private=False)

    if isinstance(public, ed25519.Ed25519PublicKey):

        def raw() -> object:
            public.verify(signature, signing_input)  # type: ignore[union-attr]
            return None

        pyjwt_alg = "EdDSA"
    else:
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: PLC0415
            encode_dss_signature,
        )

        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )

        def raw() -> object:
            public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg,union-attr]
            return None

        pyjwt_alg = "ES256"

    pyjwt_key = pyjwt.PyJWK.from_dict(ring.active.to_jwk()).key
    jose_keys = KeySet.import_key_set(ring.public_jwks())

    def with_pyjwt() -> object:
        return pyjwt.decode(
            token,
            pyjwt_key,
            algorithms=[pyjwt_alg],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )

    def with_joserfc() -> object:
        decoded = jose_jwt.decode(token, jose_keys, algorithms=[alg])
        jose_jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
        ).validate(decoded.claims)
        return decoded

    del pem
    return {
        "cryptography (raw signature only)": raw,
        "service-passport Verifier.verify": lambda: ours.verify(token),
        "PyJWT decode": with_pyjwt,
        "joserfc jwt.decode + claims": with_joserfc,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the verify benchmark; ``argv`` as on the command line (default: ``sys.argv``)."""
    # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519"; the comparison stays fair.
    warnings.filterwarnings("ignore", message=".*RFC 9864.*")
    parser = argparse.ArgumentParser(prog="python -m benchmarks verify", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--alg", choices=["EdDSA", "ES256"], default="EdDSA")
    args = parser.parse_args(argv)
    contenders = _contenders(args.alg)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for func in contenders.values():
        func()  # warm up and prove each contender accepts the token
    for _ in range(args.rounds):
        for name, func in contenders.items():
            samples[name].append(_timeit(func, args.number))
    floor = statistics.median(samples["cryptography (raw signature only)"])
    print(f"verify one passport ({args.alg}), median of {args.rounds} rounds x {args.number}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<36} {median * 1e6:8.1f} us   x{median / floor:5.2f} of raw")


if __name__ == "__main__":
    main()
