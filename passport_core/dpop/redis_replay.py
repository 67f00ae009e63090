"""A :class:`~passport_core.ReplayCache` in Redis, shared by every instance of a service.

One ``SET key 1 NX PX ttl`` per proof: atomic, so two instances handed the same
proof at once cannot both accept it, and Redis forgets the entry when the proof's
window has passed. Needs the ``[redis]`` extra.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from passport_core.errors import ConfigurationError, ReplayCacheUnavailable
from passport_core.redis_clients import redis_clients

__all__ = ["RedisReplayCache"]

#: seconds a sync or async Redis call may take (connect included) before the check fails
DEFAULT_TIMEOUT = 0.5


class RedisReplayCache:
    """Used DPoP proofs, remembered in Redis (sync and async clients to one server).

    Build it with :meth:`from_url`, which sets both clients' connect and socket
    timeouts, or hand it your own ``redis.Redis`` / ``redis.asyncio.Redis``. The
    async client belongs to one event loop: close it there (:meth:`aclose`). When
    Redis cannot answer, the proof is refused with
    :class:`~passport_core.ReplayCacheUnavailable` (503): fail closed, never
    "accept, unchecked".
    """

    def __init__(
        self,
        client: Any = None,
        aclient: Any = None,
        *,
        prefix: str = "passport:dpop:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if client is None and aclient is None:
            raise ConfigurationError("a RedisReplayCache needs a Redis client (or use from_url)")
        self._client = client
        self._aclient = aclient
        self.prefix = prefix
        self._clock = clock

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = "passport:dpop:"
    ) -> RedisReplayCache:
        """Sync and async clients for ``url`` (``redis://host:port/db``), bounded by ``timeout``."""
        client, aclient = redis_clients(url, timeout, "RedisReplayCache")
        return cls(client, aclient, prefix=prefix)

    def _ttl_ms(self, expires_at: float) -> int:
        return max(1, math.ceil((expires_at - self._clock()) * 1000))

    def first_use(self, key: str, expires_at: float) -> bool:
        if self._client is None:
            raise ConfigurationError("this RedisReplayCache has no sync client")
        try:
            created = self._client.set(
                self.prefix + key, b"1", nx=True, px=self._ttl_ms(expires_at)
            )
        except Exception as exc:
            raise ReplayCacheUnavailable from exc
        return bool(created)

    async def afirst_use(self, key: str, expires_at: float) -> bool:
        if self._aclient is None:
            raise ConfigurationError("this RedisReplayCache has no async client")
        try:
            created = await self._aclient.set(
                self.prefix + key, b"1", nx=True, px=self._ttl_ms(expires_at)
            )
        except Exception as exc:
            raise ReplayCacheUnavailable from exc
        return bool(created)

    def close(self) -> None:
        """Close the sync client's connections."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the async client's connections (in the event loop that used them)."""
        if self._aclient is not None:
            await self._aclient.aclose()

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        return f"RedisReplayCache(prefix={self.prefix!r})"
