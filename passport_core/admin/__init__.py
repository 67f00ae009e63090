"""Operator endpoints: what an operator does to a running deployment over HTTP.

:class:`RevocationAdmin` takes passports back (``POST`` a revocation), behind a
passport and a policy the operator chooses; :class:`RevocationEndpoint` serves it
over ASGI, :class:`RevocationWSGI` over WSGI.
"""

from __future__ import annotations

from passport_core.admin.endpoint import RevocationEndpoint, RevocationWSGI
from passport_core.admin.revocations import RevocationAdmin

__all__ = ["RevocationAdmin", "RevocationEndpoint", "RevocationWSGI"]
