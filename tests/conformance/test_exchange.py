"""Every adapter's outbound client exchanges the passport for a host's audience (RFC 8693)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from passport_core import Minter
from tests.conformance import apps
from tests.conformance.conftest import serving
from tests.servers import RunningServer
from tests.token_service import TokenServiceHarness, token_service


@pytest.fixture
def harness() -> TokenServiceHarness:
    harness = TokenServiceHarness(edge_ring=apps.RING, targets={"stock": {apps.AUDIENCE}})
    harness.client(apps.AUDIENCE)
    return harness


@pytest.fixture
def exchange_settings(
    harness: TokenServiceHarness, echo: RunningServer
) -> Iterator[dict[str, Any]]:
    with token_service(harness) as endpoint:
        yield {
            **apps.SETTINGS,
            "allowed_hosts": [],
            "exchange_url": endpoint,
            "exchange_key": harness.client(apps.AUDIENCE).to_jwk(private=True),
            "exchange_audiences": {f"127.0.0.1:{echo.port}": "stock"},
        }


def test_a_host_with_an_exchange_audience_gets_the_exchanged_passport(
    adapter: str,
    harness: TokenServiceHarness,
    exchange_settings: dict[str, Any],
    echo: RunningServer,
) -> None:
    token = Minter(apps.RING, issuer=apps.ISSUER).mint("erin", audience=apps.AUDIENCE)
    with serving(adapter, exchange_settings) as send:
        first = send(f"/forward?url={quote(echo.url)}/x", [("X-Passport", token)])
        again = send(f"/forward?url={quote(echo.url)}/x", [("X-Passport", token)])
        # the same server by a name with no audience and off the allow-list: nothing
        stranger = send(f"/forward?url=http://localhost:{echo.port}/x", [("X-Passport", token)])
    assert (first.status, again.status, stranger.status) == (200, 200, 200)
    sent = first.json()["x-passport"]
    assert sent != token
    assert again.json()["x-passport"] == sent  # cached: one exchange for both requests
    forwarded = harness.verifier("stock").verify(sent)
    assert (forwarded.subject, forwarded.audience) == ("erin", ("stock",))
    assert [actor.subject for actor in forwarded.actor] == [apps.AUDIENCE]
    assert harness.exchanges == 1
    assert "x-passport" not in stranger.json()
