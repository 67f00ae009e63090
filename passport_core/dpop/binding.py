"""What a service demands of sender-constrained passports: the ``binding`` setting."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, get_args

from passport_core import claims as c
from passport_core.dpop.proof import DPOP_HEADER, ProofVerifier
from passport_core.dpop.target import RequestTarget, TargetLike, resolve_target
from passport_core.errors import (
    ConfigurationError,
    InvalidClaim,
    InvalidProof,
    PassportNotBound,
)
from passport_core.passport import Passport

__all__ = ["BINDING_MODES", "BindingMode", "ProofBinding", "passport_jkt"]

#: ``off``: this service takes no proofs, so it refuses bound passports;
#: ``optional``: a bound passport needs a valid proof, an unbound one passes;
#: ``required``: every passport must be bound and proven
BindingMode = Literal["off", "optional", "required"]
BINDING_MODES: tuple[str, ...] = get_args(BindingMode)
#: the claim that binds a passport to a key (RFC 7800 §3)
CONFIRMATION = c.CONFIRMATION


def passport_jkt(passport: Passport) -> str | None:
    """The thumbprint a passport is bound to (``cnf.jkt``), ``None`` when unbound.

    A ``cnf`` naming no ``jkt`` (another confirmation method, RFC 7800 §3) cannot be
    checked here, so it is refused rather than read as unbound.
    """
    cnf = passport.claims.get(c.CONFIRMATION)
    if cnf is None:
        return None
    jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
    if not isinstance(jkt, str) or not jkt:
        raise InvalidClaim("the passport's cnf names no key thumbprint (jkt) to check")
    return jkt


class ProofBinding:
    """Checks, for one service, that a passport travels with its holder's proof.

    In every mode a bound passport passes only with a valid proof: ``off`` refuses
    it, since this service checks no proofs.
    """

    def __init__(self, mode: str = "optional", verifier: ProofVerifier | None = None) -> None:
        if mode not in BINDING_MODES:
            raise ConfigurationError(
                f"{{binding}} must be one of {', '.join(BINDING_MODES)}, not {mode!r}",
                setting="binding",
            )
        self._mode = mode
        self.verifier = verifier or ProofVerifier()

    @property
    def mode(self) -> str:
        """``off``, ``optional`` or ``required``; fixed at construction, since a gate derives
        its fast path from it (set a new binding on the gate to change it)."""
        return self._mode

    def _bound(
        self, passport: Passport, target: TargetLike | None
    ) -> tuple[str, RequestTarget] | None:
        jkt = passport_jkt(passport)
        if jkt is None:
            if self.mode == "required":
                raise PassportNotBound
            return None
        if self.mode == "off":
            raise InvalidProof("this service does not accept passports bound to a key")
        resolved = resolve_target(target)
        if resolved is None:
            # An adapter that does not say which request this is cannot have a proof checked.
            raise InvalidProof("the request's method and URI are unknown; no proof can match")
        return jkt, resolved

    def check(
        self,
        passport: Passport,
        get_header: Callable[[str], Sequence[str]],
        target: TargetLike | None,
    ) -> None:
        """Refuse ``passport`` unless this request (its ``DPoP`` headers, from
        ``get_header``, and its ``target``) satisfies the binding rules."""
        bound = self._bound(passport, target)
        if bound is not None:
            self.verifier.verify(
                get_header(DPOP_HEADER), bound[1], token=passport.token, jkt=bound[0]
            )

    async def acheck(
        self,
        passport: Passport,
        get_header: Callable[[str], Sequence[str]],
        target: TargetLike | None,
    ) -> None:
        """:meth:`check` without blocking the event loop on a shared replay cache."""
        bound = self._bound(passport, target)
        if bound is not None:
            await self.verifier.averify(
                get_header(DPOP_HEADER), bound[1], token=passport.token, jkt=bound[0]
            )
