"""Outbound HTTP that forwards the current request's passport, to allowed hosts only.

The passport goes only to hosts in ``PASSPORT_ALLOWED_HOSTS`` (default: none)
and is dropped on a redirect that leaves the origin it was attached for. It is
the passport of the request being served at the moment each request is sent
(core's context), so one client can serve every request and thread.
"""

from __future__ import annotations

from typing import Any

import httpx

from passport_flask.extension import app_state

__all__ = ["build_outbound_client", "outbound_client"]


def outbound_client() -> httpx.Client:
    """The current app's shared ``httpx.Client`` that forwards the passport.

    ::

        @app.get("/orders/<id>")
        @passport_required
        def order(id: str):
            stock = outbound_client().get(f"https://stock.internal/items/{id}")
            ...

    One client per app, created on first use and reused, so connections are
    pooled; ``httpx.Client`` is safe to share between threads. Do not close
    it: it lives as long as the app and is closed when the app is garbage
    collected or the interpreter exits, or earlier by
    :meth:`Passport.close_client <passport_flask.Passport.close_client>`.

    Threads started by a view do not see the request's passport unless it is
    handed over (``contextvars.copy_context().run`` or
    :func:`passport_core.use_passport`). For async views, open a
    :func:`passport_core.passport_async_client` inside the view instead.
    """
    return app_state().shared_client()


def build_outbound_client(**client_options: Any) -> httpx.Client:
    """A new client like :func:`outbound_client`, with your ``httpx.Client`` options.

    The caller owns it: use it as a context manager, or close it. The
    passport settings (allowed hosts, header) come from the current app.
    """
    return app_state().new_client(**client_options)
