"""The request side every adapter shares: find the passport, verify it, answer refusals.

One rule holds in every adapter (FastAPI, Flask, Django, DRF): **a passport is
verified only where a route asks for it** — a dependency, a decorator, a
mixin, a permission class, or code reading the request's passport. A route
that asks gets 401 for a missing passport when it requires one and 401 for a
present but invalid one, required or optional (optional means "may be absent",
never "may be forged"). A route that never asks verifies nothing, pays
nothing, and ignores whatever passport was sent, forged or not. Once verified,
the passport is current for core (:func:`~passport_core.get_passport`) until
the request ends. ``tests/conformance/`` holds every adapter to this.
"""

from __future__ import annotations

from passport_core.inbound.extraction import (
    DEFAULT_HEADER,
    HeaderGetter,
    TokenLocation,
    asgi_header_getter,
    asgi_token,
    environ_header_getter,
    environ_token,
    extract_token,
)
from passport_core.inbound.gate import Gate, PassportGate, warm_path_of
from passport_core.inbound.problem import PROBLEM_CONTENT_TYPE, ProblemResponse, problem_response
from passport_core.inbound.warmup import awarm_up_gate, warm_up_gate

__all__ = [
    "DEFAULT_HEADER",
    "PROBLEM_CONTENT_TYPE",
    "Gate",
    "HeaderGetter",
    "PassportGate",
    "ProblemResponse",
    "TokenLocation",
    "asgi_header_getter",
    "asgi_token",
    "awarm_up_gate",
    "environ_header_getter",
    "environ_token",
    "extract_token",
    "problem_response",
    "warm_path_of",
    "warm_up_gate",
]
