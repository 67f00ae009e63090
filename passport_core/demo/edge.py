"""The demo edge: the library's own :class:`~passport_core.EdgeGateway`, set up for the demo.

The demo users' API keys are stored by digest and checked by
:class:`~passport_core.APIKeyAuthenticator` (``Authorization: Bearer <key>``);
their common data comes from an enricher; one :class:`~passport_core.Audience`
names every service of the chain, since each hop forwards the same passport.
Requests under ``/api/`` go to the first service with the prefix stripped.
Whatever ``X-Passport`` a client sends is stripped unread: a client-supplied
passport is never trusted at the edge. Served by uvicorn on 127.0.0.1, in a
thread of the demo's process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from passport_core.edge.audience import Audience
from passport_core.edge.authenticators.api_key import APIKey, APIKeyAuthenticator, api_key_digest
from passport_core.edge.edge import Edge
from passport_core.edge.enrichers.base import FunctionEnricher
from passport_core.edge.gateway import EdgeGateway, Upstream
from passport_core.edge.identity import Identity
from passport_core.edge.ring_file import RingFile
from passport_core.errors import ConfigurationError
from passport_core.mint.minter import Minter

__all__ = ["CHAIN_AUDIENCE", "DemoEdge", "DemoUser"]

#: the name of the one audience the demo edge mints for (its ``aud`` lists every service)
CHAIN_AUDIENCE = "demo-chain"
_PREFIX = "/api/"


@dataclass(frozen=True)
class DemoUser:
    """A caller the edge knows by API key, with the common data it puts in passports."""

    subject: str
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    tenant: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)

    def common(self) -> dict[str, Any]:
        """This user's common data, as an enricher answers it."""
        data: dict[str, Any] = {"roles": self.roles, "scopes": self.scopes}
        if self.tenant is not None:
            data["tenant"] = self.tenant
        if self.profile:
            data["profile"] = dict(self.profile)
        return data


def demo_edge(minter: Minter, users: Mapping[str, DemoUser], audience: tuple[str, ...]) -> Edge:
    """An :class:`Edge` that knows ``users`` by their API keys (kept as digests only)."""
    keys = {api_key_digest(key): user.subject for key, user in users.items()}
    directory = {user.subject: user for user in users.values()}

    def lookup(digest: str) -> APIKey | None:
        subject = keys.get(digest)
        return None if subject is None else APIKey(digest, subject)

    def directory_data(identity: Identity) -> dict[str, Any]:
        return directory[identity.subject].common()

    return Edge(
        minter,
        authenticators=[APIKeyAuthenticator(lookup, header=None, bearer=True)],
        enrichers=[FunctionEnricher(directory_data, name="directory")],
        audiences=[Audience(CHAIN_AUDIENCE, recipients=audience)],
    )


class DemoEdge:
    """The demo's gateway on 127.0.0.1 in front of the first service.

    It serves its minter's key ring as the JWKS with ``Cache-Control:
    max-age=cache_max_age`` (default: the ring's
    :attr:`~passport_core.KeyRing.cache_control`; never longer than its
    ``publish_delay``, so no cache keeps the JWKS past the wait before a promotion).

    With ``ring_file``, the ring is re-read whenever that file changes (checked on
    every request), so ``passport ring prepare/promote/retire`` on the file show at
    once in the JWKS and in the key that signs.
    """

    def __init__(
        self,
        minter: Minter,
        *,
        users: Mapping[str, DemoUser],
        audience: tuple[str, ...],
        upstream: str | None,
        cache_max_age: int | None = None,
        ring_file: str | os.PathLike[str] | None = None,
    ) -> None:
        ring = minter.key_ring
        if cache_max_age is not None and not 0 <= cache_max_age <= ring.publish_delay:
            # RFC 9111 §5.2.2.1: a cache may serve the JWKS for max-age seconds; a longer
            # max-age than the ring waits would let a cache hide a prepared key at promotion.
            raise ConfigurationError(
                f"cache_max_age {cache_max_age} s must be between 0 and the ring's "
                f"publish_delay {ring.publish_delay:g} s"
            )
        self.minter = minter
        self.users = dict(users)
        self.audience = audience
        self.edge = demo_edge(minter, self.users, audience)
        cache = self.edge.cache
        self.ring_file = (
            None
            if ring_file is None
            else RingFile(ring, ring_file, on_reload=cache.clear if cache is not None else None)
        )
        self.gateway = EdgeGateway(
            self.edge,
            routes={},
            ring_file=self.ring_file,
            jwks_cache_control=None
            if cache_max_age is None
            else f"public, max-age={cache_max_age}",
            realm="demo-edge",
        )
        self._upstream: str | None = None
        self.upstream = upstream
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def upstream(self) -> str | None:
        """The first service's base URL, where ``/api/...`` goes (settable once it runs)."""
        return self._upstream

    @upstream.setter
    def upstream(self, url: str | None) -> None:
        self._upstream = url
        routes = {} if not url else {_PREFIX: Upstream(url, strip_prefix=True, timeout=20.0)}
        self.gateway.replace_routes(routes)

    @property
    def cache_control(self) -> str:
        """The ``Cache-Control`` the JWKS is served with."""
        return self.gateway.jwks_cache_control or self.minter.key_ring.cache_control

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the demo edge is not running")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> DemoEdge:
        import uvicorn  # noqa: PLC0415 - the [demo] extra installs it; core runs without

        config = uvicorn.Config(
            self.gateway,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            ws="none",
            log_config=None,
            access_log=False,
            proxy_headers=False,  # the outermost hop: a client's X-Forwarded-For is not its address
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="demo-edge", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=5)
                raise RuntimeError("the demo edge did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self._port = int(server.servers[0].sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> DemoEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
