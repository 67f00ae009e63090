"""The token service's own rules: who may ask for what, and how far a chain may grow.

* Each target audience is an :class:`~passport_core.edge.audience.Audience`: the same
  per-audience shaping the edge uses decides which common data the new passport carries.
* A client may ask only for the audiences (and scopes) its registry entry lists
  (``invalid_target``, ``invalid_scope``).
* The chain of actors (RFC 8693 §4.1 ``act``) may grow to ``max_depth`` entries.
* A subject token's ``may_act`` (RFC 8693 §4.4) names the only actor allowed to use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from passport_core import claims as c
from passport_core.edge.audience import Audience
from passport_core.errors import (
    ConfigurationError,
    InvalidScope,
    InvalidSubjectToken,
    InvalidTarget,
    UnauthorizedClient,
)
from passport_core.exchange.clients import ServiceClient
from passport_core.passport import Passport

__all__ = ["MAY_ACT", "ExchangeRules"]

#: RFC 8693 §4.4
MAY_ACT = "may_act"
DEFAULT_MAX_DEPTH = 4


class ExchangeRules:
    """What the token service issues.

    :param audiences: the audiences it issues passports for, each with its shaping.
    :param scopes: per audience name, the scopes its passports may carry (absent: any).
    :param resources: ``resource`` URIs (RFC 8707) → the audience name they mean.
    :param max_depth: the most ``act`` entries an issued passport may hold.
    """

    def __init__(
        self,
        audiences: Iterable[Audience | str],
        *,
        scopes: Mapping[str, Iterable[str]] | None = None,
        resources: Mapping[str, str] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.audiences: dict[str, Audience] = {}
        for audience in audiences:
            shaped = Audience(audience) if isinstance(audience, str) else audience
            if shaped.name in self.audiences:
                raise ConfigurationError(f"audience {shaped.name!r} is listed twice")
            self.audiences[shaped.name] = shaped
        self.scopes = {name: frozenset(values) for name, values in (scopes or {}).items()}
        self.resources = dict(resources or {})
        shadowing = set(self.resources) & set(self.audiences)
        if shadowing:
            # A resource URI spelled like an audience name would silently redirect it.
            raise ConfigurationError(f"resources name audiences: {sorted(shadowing)}")
        unknown = (set(self.scopes) | set(self.resources.values())) - set(self.audiences)
        if unknown:
            raise ConfigurationError(f"rules name unknown audiences: {sorted(unknown)}")
        if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
            raise ConfigurationError("max_depth must be a whole number of at least 1")
        self.max_depth = max_depth

    def target(self, client: ServiceClient, *requested: str) -> Audience:
        """The one audience ``requested`` names (audience names or resource URIs), if
        ``client`` may ask for it.

        RFC 8693 §2.1 lets ``audience`` and ``resource`` both name the target: they
        may, as long as they name the same one (this service issues for one audience).
        """
        names = {self.resources.get(item, item) for item in requested}
        if len(names) != 1:
            raise InvalidTarget("one exchange issues for exactly one audience")
        (name,) = names
        audience = self.audiences.get(name)
        if audience is None:
            raise InvalidTarget("the token service does not issue for that audience")
        if name not in client.targets:
            raise InvalidTarget(f"client {client.client_id!r} may not ask for {name!r}")
        return audience

    def check_subject(self, client: ServiceClient, subject: Passport) -> None:
        """The subject token is the caller's to exchange, and its chain may grow."""
        # The caller exchanges only a passport addressed to it: no hop trades a passport it
        # was never given, nor an older one of the chain (which would drop later actors).
        if client.audience not in subject.audience:
            raise InvalidSubjectToken("the subject token is not addressed to the calling service")
        may_act = subject.claims.get(MAY_ACT)
        if may_act is not None and not _matches(may_act, client):
            raise UnauthorizedClient("the subject token's may_act does not name this client")
        if len(subject.actor) + 1 > self.max_depth:
            raise InvalidSubjectToken(f"the delegation chain would exceed {self.max_depth} actors")

    def scopes_for(
        self,
        client: ServiceClient,
        audience: Audience,
        subject: Passport,
        asked: frozenset[str] | None,
    ) -> frozenset[str]:
        """The scopes of the new passport: only ever narrower than the subject's."""
        allowed = subject.scopes
        if client.scopes is not None:
            allowed &= client.scopes
        target_scopes = self.scopes.get(audience.name)
        if target_scopes is not None:
            allowed &= target_scopes
        if asked is None:
            return allowed
        if not asked <= allowed:
            raise InvalidScope("the requested scope is wider than what may be granted")
        return asked


def _matches(may_act: Any, client: ServiceClient) -> bool:
    # RFC 8693 §4.4: may_act holds claims identifying the one party allowed to act
    return isinstance(may_act, Mapping) and may_act.get(c.SUBJECT) == client.client_id
