"""The revocation admin endpoint, without I/O: one request in, one answer out.

``POST`` a JSON object naming what to revoke, exactly one of::

    {"jti": "…", "expires": 1767225600}          one passport, until it expires
    {"subject": "alice", "before": 1767225600}   log-out everywhere / suspension
    {"session": "s-42"}                          one sign-in (the ``sid`` claim)

``iss`` (whose passports) defaults to the first configured issuer; ``expires`` to now plus the
longest a passport lives (``lifetime``), ``before`` to now. The answer is ``201``
with the stored revocation. The caller must hold a passport the ``gate`` accepts
and the ``policy`` allows; every refusal is an RFC 9457 problem, never a 500.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from passport_core.errors import (
    ConfigurationError,
    InvalidRequest,
    PassportError,
)
from passport_core.inbound.gate import Gate
from passport_core.inbound.problem import problem_response
from passport_core.inbound.transport import NO_STORE, Answer, read_wsgi_body
from passport_core.passport import Passport
from passport_core.policy import Policy
from passport_core.revocation.entry import DEFAULT_LIFETIME, Revocation
from passport_core.revocation.store import RevocationStore
from passport_core.token.fingerprint import fingerprint

__all__ = ["RevocationAdmin"]

logger = logging.getLogger("passport_core.admin")

_JSON = "application/json"
#: what one request may name; a value is an identifier, never a document
_MAX_VALUE = 256
_NAMES = ("jti", "subject", "session")
#: the members each kind may carry; ``iss`` as in the passport and the stored entry
_ALLOWED = {"jti": {"jti", "iss", "expires"}, "subject": {"subject", "iss", "before"}}
_ALLOWED["session"] = {"session", "iss", "before"}


def _number(document: Mapping[str, Any], name: str) -> float | None:
    value = document.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRequest(f"'{name}' must be a NumericDate (seconds since the epoch)")
    return float(value)


class RevocationAdmin:
    """Revokes what an authorised operator names, in ``store`` (shared by every service).

    ``gate`` verifies the operator's passport (``PassportConfig(...).build_gate()``);
    ``policy`` decides who may revoke (``require_role("passport-admin")``).
    ``issuers``: whose passports may be revoked (the first is the default).
    ``lifetime``: the longest a passport lives, leeway included (default: a
    Verifier's defaults, 3630 s), so a cut-off is remembered as long as a passport
    issued before it could still be accepted; raise it with the services'
    ``max_lifetime``.
    """

    def __init__(
        self,
        store: RevocationStore,
        *,
        gate: Gate,
        policy: Policy,
        issuers: str | Collection[str],
        lifetime: float = DEFAULT_LIFETIME,
        max_body: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = (issuers,) if isinstance(issuers, str) else tuple(issuers)
        if not self.issuers or not all(isinstance(i, str) and i for i in self.issuers):
            raise ConfigurationError("a RevocationAdmin needs the issuer(s) it revokes for")
        if not (isinstance(lifetime, (int, float)) and lifetime > 0):
            raise ConfigurationError("a RevocationAdmin's lifetime must be positive seconds")
        self.store = store
        self.gate = gate
        self.policy = policy
        self.lifetime = float(lifetime)
        self.max_body = max_body
        self._clock = clock

    def revocation_of(self, body: bytes) -> Revocation:
        """The :class:`Revocation` a request body names; :class:`InvalidRequest` if none."""
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequest("the body must be a JSON object") from None
        if not isinstance(document, dict):
            raise InvalidRequest("the body must be a JSON object")
        named = [name for name in _NAMES if name in document]
        if len(named) != 1:
            raise InvalidRequest("name exactly one of 'jti', 'subject' or 'session'")
        name = named[0]
        unknown = sorted(set(document) - _ALLOWED[name])
        if unknown:
            raise InvalidRequest(f"unknown member(s) for a {name} revocation: {', '.join(unknown)}")
        value = document[name]
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_VALUE:
            raise InvalidRequest(f"'{name}' must be a string of 1 to {_MAX_VALUE} characters")
        issuer = document.get("iss", self.issuers[0])
        if issuer not in self.issuers:
            raise InvalidRequest("'iss' is not an issuer this endpoint revokes for")
        now = self._clock()
        if name == "jti":
            expires = _number(document, "expires")
            if expires is not None and expires <= now:
                raise InvalidRequest("'expires' is past: that passport is refused already")
            return Revocation.passport(issuer, value, expires=expires or now + self.lifetime)
        before = _number(document, "before")
        before = now if before is None else before
        if before + self.lifetime <= now:
            raise InvalidRequest("'before' is so long ago that no passport it names is alive")
        build = Revocation.subject if name == "subject" else Revocation.session
        return build(issuer, value, before=before, lifetime=self.lifetime)

    def read_body(self, stream: Any, content_length: str | None) -> bytes | None:
        """A framework's request body (a file-like ``stream`` that ends by itself, as
        Flask's and Django's do) within ``max_body``; ``None`` when it is longer."""
        return read_wsgi_body(stream, content_length, self.max_body, terminated=True)

    def _early(self, method: str, headers: Sequence[tuple[str, str]]) -> Answer | None:
        if method != "POST":
            return Answer.json(405, {"code": "method_not_allowed"}, allow="POST")
        content_type = next((v for n, v in headers if n == "content-type"), "")
        if content_type.split(";")[0].strip().lower() != _JSON:
            return Answer.json(415, {"code": "unsupported_media_type", "accept": _JSON})
        return None

    @staticmethod
    def _getter(headers: Sequence[tuple[str, str]]) -> Callable[[str], list[str]]:
        def get(name: str) -> list[str]:
            wanted = name.lower()
            return [value for header, value in headers if header == wanted]

        return get

    def _revocation(self, passport: Passport | None, body: bytes | None) -> Revocation | None:
        """What to revoke, once the operator may; ``None`` for a body over the cap."""
        assert passport is not None  # noqa: S101 - required=True never answers None
        self.policy.check(passport)
        return None if body is None else self.revocation_of(body)

    @staticmethod
    def _too_large() -> Answer:
        return Answer.json(413, {"code": "request_too_large"})

    @staticmethod
    def _created(revocation: Revocation, passport: Passport | None) -> Answer:
        operator = passport.subject if passport is not None else "?"
        # The value may be a subject's name: its fingerprint is enough to correlate.
        logger.info(
            "revoked kind=%s issuer=%s value_fp=%s by=%s",
            revocation.kind,
            revocation.issuer,
            fingerprint(revocation.value),
            operator,
        )
        return Answer(201, {"content-type": _JSON, **NO_STORE}, revocation.to_json().encode())

    @staticmethod
    def _refused(error: PassportError) -> Answer:
        problem = problem_response(error)
        headers = {name.lower(): value for name, value in problem.headers.items()}
        headers = {"content-type": problem.content_type, **NO_STORE, **headers}
        return Answer(problem.status, headers, problem.content)

    def answer(self, method: str, headers: Sequence[tuple[str, str]], body: bytes | None) -> Answer:
        """The answer to one request (``body`` ``None``: it was over ``max_body``)."""
        early = self._early(method, headers)
        if early is not None:
            return early
        passport = None
        try:
            passport = self.gate.authenticate(self._getter(headers))
            revocation = self._revocation(passport, body)
            if revocation is None:
                return self._too_large()
            self.store.revoke(revocation)
        except PassportError as error:
            return self._refused(error)
        return self._created(revocation, passport)

    async def aanswer(
        self, method: str, headers: Sequence[tuple[str, str]], body: bytes | None
    ) -> Answer:
        """:meth:`answer` without blocking the event loop."""
        early = self._early(method, headers)
        if early is not None:
            return early
        passport = None
        try:
            passport = await self.gate.aauthenticate(self._getter(headers))
            revocation = self._revocation(passport, body)
            if revocation is None:
                return self._too_large()
            await self.store.arevoke(revocation)
        except PassportError as error:
            return self._refused(error)
        return self._created(revocation, passport)
