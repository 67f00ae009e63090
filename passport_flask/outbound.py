"""Outbound HTTP that forwards the current request's passport, to allowed hosts only.

The passport goes only to hosts in ``PASSPORT_ALLOWED_HOSTS`` (default: none)
and is dropped on a redirect that leaves the origin it was attached for. It is
the passport of the request being served at the moment each request is sent
(core's context).

Ownership, the same in every adapter: each call returns a *new* client that
the caller owns, so use it as a context manager (or close it)::

    with outbound_client(timeout=5) as http:
        http.get("https://stock.internal/levels")

For one pooled client shared by every request, build it once from the app's
settings and close it yourself: ``extension.settings(app).outbound_client()``
(it reads the passport of the request being served at each send).
"""

from __future__ import annotations

from typing import Any

import httpx

from passport_flask.extension import app_state

__all__ = ["async_outbound_client", "outbound_client"]


def outbound_client(**client_options: Any) -> httpx.Client:
    """A new ``httpx.Client`` that forwards the passport; the caller owns (closes) it.

    ::

        @app.get("/orders/<id>")
        @passport_required
        def order(id: str):
            with outbound_client() as http:
                stock = http.get(f"https://stock.internal/items/{id}")
            ...

    ``client_options`` go to ``httpx.Client``; the passport settings (allowed
    hosts, header) come from the current app. Threads started by a view do not
    see the request's passport unless it is handed over
    (``contextvars.copy_context().run`` or :func:`passport_core.use_passport`).
    """
    return app_state().settings.outbound_client(**client_options)


def async_outbound_client(**client_options: Any) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` twin of :func:`outbound_client`, for async views."""
    return app_state().settings.async_outbound_client(**client_options)
