"""Authorization policies over a passport, framework-free.

Policies combine with ``&`` (all of) and ``|`` (any of), or with
:func:`all_of` / :func:`any_of`. Evaluating returns a :class:`Decision` that
says why; :meth:`Policy.check` raises :class:`~passport_core.PermissionDenied`
carrying that reason, which every adapter turns into a 403.

:func:`require_authentication` asks how the caller authenticated (``acr``,
``amr``, ``auth_time``); its denial is an RFC 9470 step-up challenge, a 401
with :class:`~passport_core.InsufficientAuthentication`.

The delegation policies read the ``act`` chain (RFC 8693 §4.1) a token
exchange records: :func:`require_actor` (called by one of these services, on
behalf of whom), :func:`require_chain` (these services took part),
:func:`max_delegation_depth` and :func:`require_direct`.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from passport_core.errors import (
    ConfigurationError,
    InsufficientAuthentication,
    PassportError,
    PermissionDenied,
)
from passport_core.passport import Passport

__all__ = [
    "Decision",
    "Policy",
    "all_of",
    "any_of",
    "max_delegation_depth",
    "require",
    "require_actor",
    "require_authentication",
    "require_chain",
    "require_direct",
    "require_object",
    "require_permission",
    "require_role",
    "require_scope",
]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a policy and the reason for it."""

    allowed: bool
    reason: str
    #: the error a denial raises; ``None`` is a :class:`PermissionDenied` with the reason
    error: PassportError | None = None

    def __bool__(self) -> bool:
        return self.allowed


class Policy(ABC):
    """A requirement a passport must meet."""

    @abstractmethod
    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        """Decide for ``passport`` (and, for object-level policies, ``obj``)."""

    def check(self, passport: Passport, obj: Any = None) -> None:
        """Raise :class:`PermissionDenied` with the reason unless allowed."""
        decision = self.evaluate(passport, obj)
        if not decision.allowed:
            raise decision.error or PermissionDenied(decision.reason)

    def __and__(self, other: Policy) -> Policy:
        return all_of(self, other)

    def __or__(self, other: Policy) -> Policy:
        return any_of(self, other)


class _Membership(Policy):
    """Every listed value must be in one set of the passport."""

    def __init__(self, kind: str, values: tuple[str, ...], get: Callable[[Passport], Any]) -> None:
        if not values or not all(isinstance(v, str) and v for v in values):
            raise ConfigurationError(f"require_{kind} needs at least one non-empty string")
        self.kind = kind
        self.values = values
        self._get = get

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        held = self._get(passport)
        missing = [value for value in self.values if value not in held]
        if missing:
            return Decision(False, f"requires {self.kind} {', '.join(map(repr, missing))}")
        return Decision(True, f"has {self.kind} {', '.join(map(repr, self.values))}")

    def __repr__(self) -> str:
        return f"require_{self.kind}({', '.join(map(repr, self.values))})"


def require_role(*roles: str) -> Policy:
    """Every given role must be held."""
    return _Membership("role", roles, lambda p: p.roles)


def require_scope(*scopes: str) -> Policy:
    """Every given scope must be granted."""
    return _Membership("scope", scopes, lambda p: p.scopes)


def require_permission(*permissions: str) -> Policy:
    """Every given permission must be granted."""
    return _Membership("permission", permissions, lambda p: p.permissions)


class _Predicate(Policy):
    def __init__(self, predicate: Callable[..., bool], reason: str, with_object: bool) -> None:
        if not callable(predicate):
            raise ConfigurationError("require() needs a callable")
        self._predicate = predicate
        self.reason = reason
        self._with_object = with_object

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        args = (passport, obj) if self._with_object else (passport,)
        if self._predicate(*args):
            return Decision(True, f"satisfies {self.reason}")
        return Decision(False, f"requires {self.reason}")

    def __repr__(self) -> str:
        return f"require({self.reason!r})"


def require(predicate: Callable[[Passport], bool], reason: str | None = None) -> Policy:
    """A custom rule: ``predicate(passport)`` must be true."""
    return _Predicate(
        predicate, reason or str(getattr(predicate, "__name__", "a custom rule")), False
    )


def require_object(predicate: Callable[[Passport, Any], bool], reason: str | None = None) -> Policy:
    """An object-level rule: ``predicate(passport, obj)`` must be true for the object at hand."""
    return _Predicate(
        predicate, reason or str(getattr(predicate, "__name__", "an object rule")), True
    )


def _asks_step_up(decision: Decision) -> bool:
    return isinstance(decision.error, InsufficientAuthentication)


class _AllOf(Policy):
    def __init__(self, policies: tuple[Policy, ...]) -> None:
        self.policies = policies

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        step_up: Decision | None = None
        for policy in self.policies:
            decision = policy.evaluate(passport, obj)
            if decision.allowed:
                continue
            if not _asks_step_up(decision):
                return decision  # stepping up would not help: a plain denial wins
            step_up = step_up or decision
        if step_up is not None:
            return step_up
        return Decision(True, " and ".join(p.evaluate(passport, obj).reason for p in self.policies))

    def __repr__(self) -> str:
        return f"all_of({', '.join(map(repr, self.policies))})"


class _AnyOf(Policy):
    def __init__(self, policies: tuple[Policy, ...]) -> None:
        self.policies = policies

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        reasons = []
        step_up: InsufficientAuthentication | None = None
        for policy in self.policies:
            decision = policy.evaluate(passport, obj)
            if decision.allowed:
                return decision
            reasons.append(decision.reason)
            if step_up is None and isinstance(decision.error, InsufficientAuthentication):
                step_up = decision.error
        reason = " or ".join(reasons)
        if step_up is None:
            return Decision(False, reason)
        # Stepping up satisfies at least one branch: tell the client how (RFC 9470 §3, a
        # 401 with the first such branch's acr_values / max_age) rather than refuse it.
        error = InsufficientAuthentication(
            reason, acr_values=step_up.acr_values, max_age=step_up.max_age
        )
        return Decision(False, reason, error)

    def __repr__(self) -> str:
        return f"any_of({', '.join(map(repr, self.policies))})"


class _Authentication(Policy):
    def __init__(
        self,
        acr: tuple[str, ...],
        amr: tuple[str, ...],
        max_age: int | None,
        clock: Callable[[], float],
    ) -> None:
        self.acr, self.amr, self.max_age, self._clock = acr, amr, max_age, clock

    def _deny(self, reason: str) -> Decision:
        error = InsufficientAuthentication(reason, acr_values=self.acr, max_age=self.max_age)
        return Decision(False, reason, error)

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        if self.acr and passport.auth_context not in self.acr:
            return self._deny(f"authentication context must be one of {', '.join(self.acr)}")
        missing = [method for method in self.amr if method not in passport.auth_methods]
        if missing:
            return self._deny(f"authentication must include {', '.join(missing)}")
        if self.max_age is not None:
            at = passport.auth_time
            age = None if at is None else self._clock() - at.timestamp()
            # A future auth_time proves no recent authentication (it would satisfy every
            # max_age); only clock skew may put it slightly ahead, as the verifier allows.
            if age is None or age > self.max_age or age < -_AUTH_TIME_SKEW:
                return self._deny(f"authentication must be at most {self.max_age} s old")
        return Decision(True, "authenticated strongly enough")

    def __repr__(self) -> str:
        return (
            f"require_authentication(acr={self.acr!r}, amr={self.amr!r}, max_age={self.max_age!r})"
        )


#: seconds an ``auth_time`` may lie ahead of this clock and still count (the verifier's
#: default leeway): the IdP's clock may run a little ahead; more is not an authentication
_AUTH_TIME_SKEW = 30.0


def require_authentication(
    *,
    acr: str | Iterable[str] = (),
    amr: str | Iterable[str] = (),
    max_age: int | None = None,
    clock: Callable[[], float] = time.time,
) -> Policy:
    """Require a strong or recent enough authentication for a sensitive route.

    :param acr: the passport's ``acr`` must be one of these (OpenID Connect Core §2).
    :param amr: every one of these methods must be in its ``amr`` (RFC 8176 values,
        e.g. ``"mfa"``, ``"hwk"``).
    :param max_age: ``auth_time`` at most this many seconds ago (and not more than
        30 s of clock skew ahead: a future one proves nothing).

    A denial is :class:`~passport_core.InsufficientAuthentication`: a 401 whose
    challenge carries ``acr_values`` and ``max_age`` (RFC 9470 §3).
    """
    acrs = (acr,) if isinstance(acr, str) else tuple(acr)
    amrs = (amr,) if isinstance(amr, str) else tuple(amr)
    if not (acrs or amrs or max_age is not None):
        raise ConfigurationError("require_authentication() needs acr, amr or max_age")
    if not all(isinstance(v, str) and v for v in acrs + amrs):
        raise ConfigurationError("acr and amr values must be non-empty strings")
    if max_age is not None and (
        isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age < math.inf
    ):
        raise ConfigurationError("max_age must be a non-negative whole number of seconds")
    return _Authentication(acrs, amrs, max_age, clock)


def _policies(policies: tuple[Policy, ...], name: str) -> tuple[Policy, ...]:
    if not policies or not all(isinstance(p, Policy) for p in policies):
        raise ConfigurationError(f"{name}() needs at least one Policy")
    return policies


def all_of(*policies: Policy) -> Policy:
    """Allowed only if every policy allows; the first denial is the reason."""
    return _AllOf(_policies(policies, "all_of"))


def any_of(*policies: Policy) -> Policy:
    """Allowed if any policy allows; a denial lists every reason."""
    return _AnyOf(_policies(policies, "any_of"))


# -- delegation: the act chain (RFC 8693 §4.1) ----------------------------------------------


def _names(values: tuple[str, ...], name: str) -> tuple[str, ...]:
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ConfigurationError(f"{name}() needs at least one non-empty service name")
    return values


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(map(repr, values))


class _Actor(Policy):
    def __init__(
        self, actors: tuple[str, ...], on_behalf_of: Callable[[str], bool] | None, whom: str
    ) -> None:
        self.actors, self._on_behalf_of, self._whom = actors, on_behalf_of, whom

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        chain = passport.actor
        wanted = f"a call by {_listed(self.actors)}" if self.actors else "a delegated call"
        if not chain:
            return Decision(False, f"requires {wanted}, not a direct call")
        # RFC 8693 §4.1: the outermost act is the current actor; nested ones are earlier
        current = chain[0].subject
        if self.actors and current not in self.actors:
            return Decision(False, f"requires {wanted}, not by {current!r}")
        if self._on_behalf_of is not None and not self._on_behalf_of(passport.subject):
            return Decision(False, f"requires {wanted} on behalf of {self._whom}")
        whom = f" on behalf of {passport.subject!r}" if self._on_behalf_of else ""
        return Decision(True, f"called by {current!r}{whom}")

    def __repr__(self) -> str:
        whom = f", on_behalf_of={self._whom}" if self._on_behalf_of else ""
        return f"require_actor({_listed(self.actors)}{whom})"


def require_actor(
    *actors: str, on_behalf_of: str | Iterable[str] | Callable[[str], bool] | None = None
) -> Policy:
    """Only a delegated call whose current actor is one of ``actors``.

    The current actor is the outermost ``act`` (RFC 8693 §4.1): the service that
    exchanged the token to call this one. With no ``actors`` any actor will do.
    ``on_behalf_of`` also asks who the subject is: a subject, several, or a
    predicate on the subject (``require_actor("billing", on_behalf_of="user-42")``).
    A direct call (no ``act``) is refused: nobody acts for anybody.
    """
    if actors:
        _names(actors, "require_actor")
    if on_behalf_of is None:
        return _Actor(actors, None, "")
    if callable(on_behalf_of):
        reason = str(getattr(on_behalf_of, "__name__", "a subject rule"))
        return _Actor(actors, on_behalf_of, reason)
    subjects = (on_behalf_of,) if isinstance(on_behalf_of, str) else tuple(on_behalf_of)
    _names(subjects, "require_actor(on_behalf_of=...)")
    return _Actor(actors, frozenset(subjects).__contains__, _listed(subjects))


class _Chain(Policy):
    def __init__(self, services: tuple[str, ...], in_order: bool) -> None:
        self.services, self.in_order = services, in_order

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        # Call order: the innermost act acted first (RFC 8693 §4.1), so read the chain reversed
        called = [actor.subject for actor in reversed(passport.actor)]
        missing = [service for service in self.services if service not in called]
        if missing:
            return Decision(False, f"requires {_listed(tuple(missing))} in the delegation chain")
        if self.in_order:
            rest = iter(called)
            if not all(service in rest for service in self.services):  # a subsequence test
                return Decision(
                    False, f"requires the delegation chain to pass {' then '.join(self.services)}"
                )
        return Decision(True, f"delegated through {_listed(self.services)}")

    def __repr__(self) -> str:
        return f"require_chain({_listed(self.services)}, in_order={self.in_order!r})"


def require_chain(*services: str, in_order: bool = False) -> Policy:
    """Every named service must appear in the ``act`` chain (RFC 8693 §4.1).

    With ``in_order=True`` they must also have acted in the order given, the
    earliest first (``require_chain("gateway", "orders", in_order=True)``: the
    gateway called, then orders); other services may come between them.
    """
    return _Chain(_names(services, "require_chain"), bool(in_order))


class _Depth(Policy):
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def evaluate(self, passport: Passport, obj: Any = None) -> Decision:
        depth = len(passport.actor)
        if depth > self.limit:
            if self.limit == 0:
                return Decision(False, f"requires a direct call, not one delegated {depth} times")
            return Decision(
                False, f"requires at most {self.limit} delegation(s), the chain has {depth}"
            )
        return Decision(True, f"delegated {depth} time(s), at most {self.limit}")

    def __repr__(self) -> str:
        if self.limit == 0:
            return "require_direct()"
        return f"max_delegation_depth({self.limit})"


def max_delegation_depth(limit: int) -> Policy:
    """At most ``limit`` actors in the ``act`` chain (0: a direct call only)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError("max_delegation_depth() needs a whole number, 0 or more")
    return _Depth(limit)


def require_direct() -> Policy:
    """No ``act`` chain: the subject called itself, nobody acts for it."""
    return _Depth(0)
