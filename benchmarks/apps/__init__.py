"""One small app per framework for ``python -m benchmarks servers``, configured by environment.

``BENCH_MODE`` is ``bare`` (the framework alone) or ``passport`` (the adapter installed);
``BENCH_JWKS_FILE``, ``BENCH_ISSUER`` and ``BENCH_AUDIENCE`` name the keys (a local file, no
network) and ``BENCH_CACHE_SIZE``, when set, the verifier's cache size (0 turns it off).
Every app serves ``/hello`` (never asks for a passport) and, with the adapter, ``/protected``
(requires one); both answer a small JSON body of about the same size.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["passport_settings", "with_adapter"]


def with_adapter() -> bool:
    """Whether this server runs with the adapter installed (``BENCH_MODE=passport``)."""
    mode = os.environ.get("BENCH_MODE", "passport")
    if mode not in {"bare", "passport"}:
        raise SystemExit(f"BENCH_MODE must be 'bare' or 'passport', not {mode!r}")
    return mode == "passport"


def passport_settings() -> dict[str, Any]:
    """The core ``PassportConfig`` settings (lower-case names) the benchmark asked for."""
    settings: dict[str, Any] = {
        "issuer": os.environ["BENCH_ISSUER"],
        "audience": os.environ["BENCH_AUDIENCE"],
        "jwks_file": os.environ["BENCH_JWKS_FILE"],
    }
    if "BENCH_CACHE_SIZE" in os.environ:
        settings["cache_size"] = int(os.environ["BENCH_CACHE_SIZE"])
    return settings
