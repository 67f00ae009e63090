"""DPoP proofs on outbound requests: a fresh one for each request a passport goes on."""

from __future__ import annotations

import weakref

import httpx

from passport_core.dpop.proof import DPOP_HEADER, make_proof
from passport_core.keys.key import Key

__all__ = ["attach_proof", "refresh_proof"]

_PROOF_FOR_KEY = "passport_core.proof_for"


def attach_proof(request: httpx.Request, key: Key, token: str) -> None:
    """Sign a proof of ``request`` (method, URI, the passport's hash) with ``key``.

    RFC 9449 §4.2: a proof is for one request only (its own ``jti``, ``htm``,
    ``htu``, ``iat``), so it is never reused, not even across a redirect.
    """
    request.headers[DPOP_HEADER] = make_proof(key, request.method, str(request.url), token=token)
    # Redirect requests share the extensions dict: this says which request the proof is for.
    request.extensions[_PROOF_FOR_KEY] = (weakref.ref(request), key, token)


def refresh_proof(request: httpx.Request, *, keep: bool) -> None:
    """On a redirect: a new proof for the new request, or none when the passport was dropped."""
    made = request.extensions.get(_PROOF_FOR_KEY)
    if made is None:
        return  # no proof of ours on this chain of requests
    made_for, key, token = made
    if not keep:
        request.headers.pop(DPOP_HEADER, None)
    elif made_for() is not request:
        attach_proof(request, key, token)
