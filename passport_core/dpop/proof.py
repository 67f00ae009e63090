"""DPoP proofs (RFC 9449): made by the holder of a key, checked by the receiving service.

A sender-constrained passport names its holder's public key in ``cnf.jkt``
(RFC 9449 §6.1); with every request the holder sends a fresh proof, a JWS over
the request's method and URI (and the passport's hash) signed with that key, in
the ``DPoP`` header (§4.1). A stolen passport is then useless without the key.

Server nonces (§8, §9) are not implemented: freshness rests on ``iat`` within a
short window and on the replay cache.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_core.dpop.replay import MemoryReplayCache, ReplayCache
from passport_core.dpop.target import RequestTarget, normalize_htu
from passport_core.errors import (
    ConfigurationError,
    InvalidProof,
    MissingProof,
    PassportError,
    ProofReplayed,
)
from passport_core.keys.key import PRIVATE_MEMBERS, Key, load_key
from passport_core.keys.thumbprint import jwk_thumbprint
from passport_core.token.compact import split_compact
from passport_core.token.encoding import b64url_encode, json_dumps
from passport_core.token.values import is_number

__all__ = [
    "DPOP_HEADER",
    "PROOF_ALGORITHMS",
    "PROOF_TYPE",
    "ProofVerifier",
    "VerifiedProof",
    "access_token_hash",
    "confirmation",
    "make_proof",
]

#: the request header a proof travels in (RFC 9449 §4.1)
DPOP_HEADER = "DPoP"
#: the JOSE ``typ`` of a proof (RFC 9449 §4.2)
PROOF_TYPE = "dpop+jwt"
#: RFC 9449 §4.2: asymmetric algorithms only; never ``none`` nor a MAC
PROOF_ALGORITHMS = frozenset(
    {"EdDSA", "Ed25519", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512"}
    | {"PS256", "PS384", "PS512"}
)
#: a proof carries one public key and a few short claims: an RSA-4096 proof is ~2.3 KB
MAX_PROOF_BYTES = 4096
_MAX_JTI = 256
#: embedded keys already loaded, by their exact JWK: a holder signs every proof with one key
_MAX_KEYS = 1024


def access_token_hash(token: str) -> str:
    """``ath``: base64url SHA-256 of the ASCII passport (RFC 9449 §4.2)."""
    return b64url_encode(hashlib.sha256(token.encode("ascii", "replace")).digest())


def confirmation(key: Key | Mapping[str, Any] | VerifiedProof) -> dict[str, str]:
    """The ``cnf`` claim that binds a passport to ``key`` (RFC 9449 §6.1, RFC 7800 §3.1).

    ``key`` is a :class:`~passport_core.Key`, a public JWK, or a proof already
    verified (a token service binds the passport it issues to the proof's key)::

        minter.mint("user-42", audience="orders", cnf=confirmation(client_key))
    """
    if isinstance(key, VerifiedProof):
        return {"jkt": key.jkt}
    return {"jkt": jwk_thumbprint(key)}


def _public_jwk(key: Key) -> dict[str, Any]:
    jwk = key.to_jwk()  # public members only
    for member in ("kid", "use", "key_ops"):
        jwk.pop(member, None)
    return jwk


def make_proof(
    key: Key,
    method: str,
    url: str,
    *,
    token: str | None = None,
    jti: str | None = None,
    iat: float | None = None,
) -> str:
    """A DPoP proof for one request (RFC 9449 §4.2), signed with the private ``key``.

    ``url`` may carry a query and fragment: ``htu`` leaves them out. With
    ``token`` (the passport sent beside it) the proof carries its hash, ``ath``.
    Every call makes a new ``jti``: a proof is for one request only.
    """
    if not key.is_private or key.is_symmetric or key.alg not in PROOF_ALGORITHMS:
        raise ConfigurationError("a DPoP proof is signed with an asymmetric private key")
    header = {"typ": PROOF_TYPE, "alg": key.alg, "jwk": _public_jwk(key)}
    claims: dict[str, Any] = {
        "jti": jti or b64url_encode(os.urandom(16)),
        "htm": method.upper(),
        "htu": normalize_htu(url),
        "iat": int(time.time() if iat is None else iat),
    }
    if token is not None:
        claims["ath"] = access_token_hash(token)
    signing_input = b64url_encode(json_dumps(header)) + "." + b64url_encode(json_dumps(claims))
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """What a checked proof establishes: the key's thumbprint, and the proof's id and time."""

    jkt: str
    jti: str
    iat: float
    key: Key


def _check_header(header: dict[str, Any], algorithms: Collection[str]) -> None:
    # RFC 9449 §4.3 steps 4-7.
    if header.get("typ") != PROOF_TYPE:
        raise InvalidProof(f"the proof's typ must be {PROOF_TYPE!r}")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise InvalidProof("the proof's alg is not an allowed asymmetric algorithm")
    if "crit" in header:
        raise InvalidProof("the proof names critical header parameters this service cannot honour")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidProof("the proof's header has no jwk object")
    if PRIVATE_MEMBERS & jwk.keys():
        raise InvalidProof("the proof's jwk carries private key material")


class ProofVerifier:
    """Checks the ``DPoP`` proof of one request against it and its passport (RFC 9449 §4.3).

    :param algorithms: the signature algorithms a proof may use (asymmetric only).
    :param max_age: how old (by its ``iat``) a proof may be, in seconds (§11.1).
    :param leeway: how far in the future a proof's ``iat`` may be (clock skew).
    :param replay: where used proofs are remembered (default: in this process).
    :param max_proof_bytes: a longer ``DPoP`` header is refused before parsing.
    """

    def __init__(
        self,
        *,
        algorithms: Collection[str] = PROOF_ALGORITHMS,
        max_age: float = 60.0,
        leeway: float = 5.0,
        replay: ReplayCache | None = None,
        max_proof_bytes: int = MAX_PROOF_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(algorithms, str) or not algorithms or set(algorithms) - PROOF_ALGORITHMS:
            raise ConfigurationError(
                "DPoP proof algorithms must be a non-empty subset of "
                + ", ".join(sorted(PROOF_ALGORITHMS))
            )
        if not (is_number(max_age) and max_age > 0 and is_number(leeway) and leeway >= 0):
            raise ConfigurationError("max_age must be positive and leeway not negative")
        if isinstance(max_proof_bytes, bool) or not isinstance(max_proof_bytes, int):
            raise ConfigurationError("max_proof_bytes must be a whole number of bytes")
        if max_proof_bytes < 512:
            raise ConfigurationError("max_proof_bytes below 512 would refuse every proof")
        self.algorithms = frozenset(algorithms)
        self.max_age = float(max_age)
        self.leeway = float(leeway)
        self.replay: ReplayCache = replay if replay is not None else MemoryReplayCache(clock=clock)
        self.max_proof_bytes = max_proof_bytes
        self._clock = clock
        self._keys: dict[tuple[str, bytes], tuple[Key, str]] = {}

    def _key(self, jwk: dict[str, Any], alg: str) -> tuple[Key, str]:
        # Loading a JWK costs more than checking the signature: a holder's next proofs
        # reuse the key loaded for its first (the same JWK, member for member).
        cache_key = (alg, json_dumps(jwk))
        found = self._keys.get(cache_key)
        if found is None:
            try:
                found = load_key(jwk, alg=alg), jwk_thumbprint(jwk)
            except PassportError:
                raise InvalidProof("the proof's jwk is not a usable public key") from None
            if len(self._keys) >= _MAX_KEYS:
                self._keys.clear()
            self._keys[cache_key] = found
        return found

    def _check(
        self,
        proofs: Sequence[str],
        target: RequestTarget,
        token: str | None,
        jkt: str | None,
    ) -> tuple[VerifiedProof, str, float]:
        # Step 1: exactly one DPoP header.
        if not proofs:
            raise MissingProof
        if len(proofs) != 1:
            raise InvalidProof("send exactly one DPoP header")
        proof = proofs[0]
        if len(proof) > self.max_proof_bytes:
            raise InvalidProof(f"the DPoP proof is over {self.max_proof_bytes} bytes")
        # Steps 2-5: a well-formed JWS with the explicit type and an allowed algorithm.
        try:
            parsed = split_compact(
                proof.strip(), check_header=lambda h: _check_header(h, self.algorithms)
            )
        except InvalidProof:
            raise
        except PassportError:
            raise InvalidProof("the DPoP proof is not a well-formed compact JWS") from None
        header, claims = parsed.header, parsed.payload
        key, thumbprint = self._key(header["jwk"], header["alg"])
        # The embedded jwk is trusted for nothing but this: it must be the key the
        # passport's issuer bound the passport to (RFC 9449 §6.1, cnf.jkt). Without
        # that match, anyone could sign a proof with a key of their own.
        if jkt is not None and thumbprint != jkt:
            raise InvalidProof("the proof is not signed with the key the passport is bound to")
        # Step 6: the signature, with the embedded key.
        if not key.verify(parsed.signing_input, parsed.signature):
            raise InvalidProof("the DPoP proof's signature does not verify")
        # Step 3: the required claims, each of its type.
        jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
        if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI:
            raise InvalidProof("the proof needs a jti (a short, unique string)")
        if not isinstance(htm, str) or not isinstance(htu, str) or not is_number(iat):
            raise InvalidProof("the proof needs htm and htu strings and a numeric iat")
        # Step 8: the method, exactly (RFC 9110 §9.1: method names are case-sensitive).
        if htm != target.method:
            raise InvalidProof("the proof was made for another HTTP method")
        # Step 9: the URI, without query and fragment, both sides normalised.
        # (The exact URI the server sees needs no normalising.)
        if htu != target.url and normalize_htu(htu) != target.htu:
            raise InvalidProof("the proof was made for another URI")
        # Step 11: made within the acceptable window (§11.1).
        now = self._clock()
        if iat < now - self.max_age:
            raise InvalidProof("the DPoP proof is too old")
        if iat > now + self.leeway:
            raise InvalidProof("the DPoP proof is issued in the future")
        # Step 12: bound to the passport it travels with.
        if token is not None and claims.get("ath") != access_token_hash(token):
            raise InvalidProof("the proof was made for another passport (ath)")
        # One identifier per key: a client cannot use up another client's jti.
        replay_key = hashlib.sha256(f"{thumbprint}\x00{jti}".encode()).hexdigest()[:32]
        return VerifiedProof(thumbprint, jti, float(iat), key), replay_key, iat + self.max_age

    def verify(
        self,
        proofs: Sequence[str],
        target: RequestTarget,
        *,
        token: str | None = None,
        jkt: str | None = None,
    ) -> VerifiedProof:
        """Check ``proofs`` (every ``DPoP`` header value) for ``target``.

        With ``token``, its hash must be the proof's ``ath``; with ``jkt`` (the
        passport's ``cnf.jkt``), the proof must be signed with that key.
        Raises :class:`~passport_core.InvalidProof` (or a subclass).
        """
        verified, replay_key, until = self._check(proofs, target, token, jkt)
        if not self.replay.first_use(replay_key, until + self.leeway):
            raise ProofReplayed
        return verified

    async def averify(
        self,
        proofs: Sequence[str],
        target: RequestTarget,
        *,
        token: str | None = None,
        jkt: str | None = None,
    ) -> VerifiedProof:
        """:meth:`verify` without blocking the event loop on a shared replay cache."""
        verified, replay_key, until = self._check(proofs, target, token, jkt)
        if not await self.replay.afirst_use(replay_key, until + self.leeway):
            raise ProofReplayed
        return verified
