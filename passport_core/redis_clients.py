"""The sync and async redis-py clients of one URL, each call bounded in time.

Every shared store (the DPoP replay cache, the revocation list) talks to Redis
through a pair made here, so a down or slow Redis costs at most ``timeout`` per
call, connect included, and a missing ``[redis]`` extra is one clear error.
"""

from __future__ import annotations

from typing import Any

from passport_core.errors import ConfigurationError

__all__ = ["redis_clients"]


def redis_clients(url: str, timeout: float, what: str) -> tuple[Any, Any]:
    """``(redis.Redis, redis.asyncio.Redis)`` for ``url``; ``what`` names the store in errors."""
    try:
        import redis  # noqa: PLC0415 - an optional dependency
        import redis.asyncio  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise ConfigurationError(f"{what} needs: pip install 'service-passport[redis]'") from exc
    return (
        redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout),
        redis.asyncio.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout),
    )
