"""The request-side flow every adapter shares: find the passport, verify it, log safely."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from passport_core.dpop.binding import CONFIRMATION, ProofBinding
from passport_core.dpop.target import TargetLike
from passport_core.errors import MissingToken, PassportError
from passport_core.inbound.extraction import (
    HeaderGetter,
    TokenLocation,
    asgi_token,
    extract_token,
)
from passport_core.passport import Passport, carries
from passport_core.token.fingerprint import fingerprint
from passport_core.verify.bundle import Companions
from passport_core.verify.verifier import Verifier

__all__ = ["Gate", "PassportGate", "warm_path_of"]

logger = logging.getLogger("passport_core")


@runtime_checkable
class Gate(Protocol):
    """What an adapter asks for the request's passport: verified (:class:`PassportGate`)
    or minted in-process by the topmost service (:class:`~passport_core.EdgeGate`)."""

    #: what a required route answers when the request brings nothing to check
    missing: ClassVar[type[PassportError]]

    def authenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """The request's passport, ``None`` when absent and not ``required``.

        ``target`` (the request's method and URI) is what a DPoP proof of a
        sender-constrained passport must match; without it a bound passport is refused.
        """
        ...

    async def aauthenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """:meth:`authenticate` without blocking the event loop."""
        ...


class PassportGate:
    """Extracts and verifies the passport of one request.

    Adapters give it a function returning every value of a header; it returns
    the verified :class:`Passport`, ``None`` (optional mode, no passport) or
    raises a :class:`PassportError`. A passport that is present but invalid
    is refused in optional mode too: optional means "may be absent", never
    "may be forged".

    With ``companions``, the passport is a :class:`~passport_core.PassportBundle`:
    the companion passports in their own headers are verified and merged with it.

    ``binding`` decides what sender-constrained passports need (default: a passport
    with ``cnf.jkt`` passes only with a valid ``DPoP`` proof, RFC 9449 §4.3).
    """

    missing: ClassVar[type[PassportError]] = MissingToken

    def __init__(
        self,
        verifier: Verifier,
        location: TokenLocation | None = None,
        *,
        companions: Companions | None = None,
        binding: ProofBinding | None = None,
    ) -> None:
        self.binding = binding or ProofBinding()
        self.verifier = verifier
        self.location = location or TokenLocation()
        self.companions = companions
        self._companion_locations = {
            header: TokenLocation(header=header)
            for header in (companions.headers if companions else ())
        }

    @property
    def binding(self) -> ProofBinding:
        """What sender-constrained passports need here; may be replaced at any time."""
        return self._binding

    @binding.setter
    def binding(self, binding: ProofBinding) -> None:
        self._binding = binding
        # The usual request, an unbound passport where binding is not required: no call at
        # all. Derived here, so a binding set after construction rules every path at once.
        self._check_unbound = binding.mode == "required"

    @staticmethod
    def _unreadable(error: PassportError) -> None:
        logger.info("passport refused: code=%s", error.code)

    @staticmethod
    def _check_absent(required: bool) -> None:
        """Raise :class:`MissingToken` (logged) for a request without a passport that needs one."""
        if required:
            logger.info("passport refused: code=%s", MissingToken.code)
            raise MissingToken

    @staticmethod
    def _refused(token: str, error: PassportError) -> None:
        # Never the token itself: its fingerprint is enough to correlate.
        logger.info("passport refused: code=%s fp=%s", error.code, fingerprint(token))

    def _companion_tokens(self, get_header: HeaderGetter) -> dict[str, str | None]:
        try:
            return {
                header: extract_token(get_header, location)
                for header, location in self._companion_locations.items()
            }
        except PassportError as error:
            logger.info("companion passport refused: code=%s", error.code)
            raise

    @staticmethod
    def _companion_refused(primary: Passport, error: PassportError) -> None:
        logger.info("companion passport refused: code=%s fp=%s", error.code, primary.fingerprint)

    def authenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """Verify the request's passport (blocking key fetches, for sync servers).

        A passport the verifier settled before is taken from its cache without a key lookup
        (a bound one's proof and the companions are checked as on a miss): a sync adapter's
        warm path is this call.
        """
        try:
            token = extract_token(get_header, self.location)
        except PassportError as error:
            self._unreadable(error)
            raise
        if token is None:
            self._check_absent(required)
            return None
        try:
            # The verifier's warm path, taken here so the usual request (a plain passport
            # seen before) skips verify()'s frame and carries(): every sync request is here.
            entry = self.verifier._cached_entry(token)
            if entry is None:
                primary = self.verifier.verify(token)
            elif self.companions is not None or self._check_unbound or CONFIRMATION in entry.claims:
                primary = entry.passport
            else:
                return entry.passport
            if self._check_unbound or carries(primary, CONFIRMATION):
                self.binding.check(primary, get_header, target)
        except PassportError as error:
            self._refused(token, error)
            raise
        if self.companions is None:
            return primary
        try:
            return self.companions.verify(primary, self._companion_tokens(get_header))
        except PassportError as error:
            self._companion_refused(primary, error)
            raise

    #: whether :meth:`cached` may answer: a subclass that checks more in ``authenticate`` or
    #: ``aauthenticate`` must have every request go through it (``authenticate``'s own cache
    #: hit is its own code, kept or overridden with it)
    _warm_path: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._warm_path = (
            cls.authenticate is PassportGate.authenticate
            and cls.aauthenticate is PassportGate.aauthenticate
        )

    def cached(self, headers: HeaderGetter | Sequence[tuple[bytes, bytes]]) -> Passport | None:
        """The request's passport when the verifier's cache settles it with nothing to await
        (a plain passport seen before, no proof or companions to check); else ``None``, and
        :meth:`aauthenticate` (or :meth:`authenticate`) decides (also when none was sent).

        ``headers`` is a header getter, or an ASGI scope's ``headers`` list, read in place
        (:func:`~passport_core.asgi_token`).

        An async adapter's warm path: no coroutine per request (a sync adapter's is
        :meth:`authenticate` itself). It accepts only what :meth:`aauthenticate` would
        accept at that moment, and refuses alike.
        """
        if not self._warm_path or self.companions is not None or self._check_unbound:
            return None
        try:
            token = (
                extract_token(headers, self.location)
                if callable(headers)
                else asgi_token(headers, self.location)
            )
        except PassportError:
            return None  # refused, and logged, by aauthenticate
        if token is None:
            return None
        try:
            entry = self.verifier._cached_entry(token)
        except PassportError as error:
            self._refused(token, error)
            raise
        if entry is None or CONFIRMATION in entry.claims:
            return None  # a bound passport needs its proof checked: aauthenticate
        return entry.passport

    async def aauthenticate(
        self,
        get_header: HeaderGetter,
        *,
        required: bool = True,
        target: TargetLike | None = None,
    ) -> Passport | None:
        """Verify the request's passport without blocking the event loop on key fetches."""
        try:
            token = extract_token(get_header, self.location)
        except PassportError as error:
            self._unreadable(error)
            raise
        if token is None:
            self._check_absent(required)
            return None
        try:
            primary = await self.verifier.averify(token)
            if self._check_unbound or carries(primary, CONFIRMATION):
                await self.binding.acheck(primary, get_header, target)
        except PassportError as error:
            self._refused(token, error)
            raise
        if self.companions is None:
            return primary
        try:
            return await self.companions.averify(primary, self._companion_tokens(get_header))
        except PassportError as error:
            self._companion_refused(primary, error)
            raise


def _never_cached(headers: object) -> None:
    return None


def warm_path_of(
    gate: Gate,
) -> Callable[[HeaderGetter | Sequence[tuple[bytes, bytes]]], Passport | None]:
    """What an async adapter calls before awaiting ``gate.aauthenticate``: the gate's
    :meth:`PassportGate.cached`, or, for another gate (the edge's, a user's), a function that
    always answers ``None`` so that every request is awaited."""
    return gate.cached if isinstance(gate, PassportGate) else _never_cached
