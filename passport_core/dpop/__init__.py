"""Sender-constrained passports: ``cnf.jkt`` and DPoP proofs (RFC 9449, RFC 7800)."""

from passport_core.dpop.binding import BINDING_MODES, ProofBinding, passport_jkt
from passport_core.dpop.proof import (
    DPOP_HEADER,
    PROOF_ALGORITHMS,
    PROOF_TYPE,
    ProofVerifier,
    VerifiedProof,
    access_token_hash,
    confirmation,
    make_proof,
)
from passport_core.dpop.redis_replay import RedisReplayCache
from passport_core.dpop.replay import MemoryReplayCache, ReplayCache
from passport_core.dpop.target import RequestTarget, normalize_htu

__all__ = [
    "BINDING_MODES",
    "DPOP_HEADER",
    "PROOF_ALGORITHMS",
    "PROOF_TYPE",
    "MemoryReplayCache",
    "ProofBinding",
    "ProofVerifier",
    "RedisReplayCache",
    "ReplayCache",
    "RequestTarget",
    "VerifiedProof",
    "access_token_hash",
    "confirmation",
    "make_proof",
    "normalize_htu",
    "passport_jkt",
]
