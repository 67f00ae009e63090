"""An edge for the topmost-service tests of every framework: it says which path minted.

:func:`recording_edge` authenticates the conformance API keys and records, per
call, whether the sync (``authenticate``) or the async (``aauthenticate``) side
ran, so a test can tell that an async view never blocked on ``Edge.mint``.
"""

from __future__ import annotations

from passport_core import APIKeyAuthenticator, Edge, EdgeRequest, Identity, Minter
from tests.conformance.apps import AUDIENCE, ISSUER, RING, _lookup


class RecordingAuthenticator:
    """The conformance API keys, with a log of the side each authentication took."""

    name = "api_key"

    def __init__(self) -> None:
        self._keys = APIKeyAuthenticator(_lookup, timeout=0.2)
        self.calls: list[str] = []

    def credential(self, request: EdgeRequest) -> str | None:
        return self._keys.credential(request)

    def authenticate(self, credential: str, request: EdgeRequest) -> Identity:
        self.calls.append("sync")
        return self._keys.authenticate(credential, request)

    async def aauthenticate(self, credential: str, request: EdgeRequest) -> Identity:
        self.calls.append("async")
        return await self._keys.aauthenticate(credential, request)


def recording_edge() -> tuple[Edge, RecordingAuthenticator]:
    """A fresh edge (its own empty mint cache) and its recording authenticator."""
    authenticator = RecordingAuthenticator()
    edge = Edge(
        Minter(RING, issuer=ISSUER),
        authenticators=[authenticator],
        audiences=[AUDIENCE, "billing"],
    )
    return edge, authenticator
