"""The request side every adapter shares: find the passport, verify it, answer refusals."""

from __future__ import annotations

from passport_core.inbound.extraction import (
    DEFAULT_HEADER,
    HeaderGetter,
    TokenLocation,
    extract_token,
)
from passport_core.inbound.gate import PassportGate
from passport_core.inbound.problem import PROBLEM_CONTENT_TYPE, ProblemResponse, problem_response

__all__ = [
    "DEFAULT_HEADER",
    "PROBLEM_CONTENT_TYPE",
    "HeaderGetter",
    "PassportGate",
    "ProblemResponse",
    "TokenLocation",
    "extract_token",
    "problem_response",
]
