"""httpx clients that forward the current request's passport to allowed hosts only.

::

    @passport_required
    def orders(request):
        with outbound_client() as http:
            http.get("https://billing.internal/invoices")  # carries the caller's passport

The passport forwarded is the one verified for the request being served
(core's context): a view that never asked for it (no decorator, never read
``request.passport``) forwards none. Ownership, the same in every adapter:
each call returns a *new* client that the caller owns: use it in ``with`` /
``async with`` (or close it).

Hosts come from ``PASSPORT["ALLOWED_HOSTS"]`` (not Django's ``ALLOWED_HOSTS``);
the passport is sent in the same place it is read from: the ``HEADER``, or
``Authorization: Bearer`` when the service reads Bearer only.
"""

from __future__ import annotations

from typing import Any

import httpx

from passport_django.conf import conf

__all__ = ["async_outbound_client", "outbound_client"]


def outbound_client(**client_options: Any) -> httpx.Client:
    """A new ``httpx.Client`` forwarding the passport, owned by the caller; options go to httpx."""
    return conf.config.outbound_client(**client_options)


def async_outbound_client(**client_options: Any) -> httpx.AsyncClient:
    """The same as :func:`outbound_client`, for async views."""
    return conf.config.async_outbound_client(**client_options)
