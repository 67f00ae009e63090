"""Every adapter's outbound client exchanges the passport for a host's audience (RFC 8693)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from passport_core import Minter
from tests.conformance import apps
from tests.conformance.conftest import serving
from tests.servers import Answer, RouteServer, RunningServer
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


@pytest.mark.parametrize(
    ("answer", "status", "code", "retry_after"),
    [
        (Answer(status=503, headers={"Retry-After": "7"}), 503, "exchange_unavailable", "7"),
        (Answer(delay=5), 503, "exchange_unavailable", None),  # hangs past the timeout
        (Answer.json({"error": "invalid_target"}, status=400), 403, "exchange_refused", None),
    ],
    ids=["busy", "hanging", "refusing"],
)
def test_a_token_service_that_fails_is_a_clear_error_in_every_adapter(
    adapter: str,
    harness: TokenServiceHarness,
    echo: RunningServer,
    answer: Answer,
    status: int,
    code: str,
    retry_after: str | None,
) -> None:
    # Never a 500, never the full passport instead: the outbound call is not made.
    sts = RouteServer(lambda _: answer)
    try:
        settings = {
            **apps.SETTINGS,
            "allowed_hosts": [],
            "exchange_url": f"{sts.url}/token",
            "exchange_key": harness.client(apps.AUDIENCE).to_jwk(private=True),
            "exchange_audiences": {f"127.0.0.1:{echo.port}": "stock"},
            "exchange_options": {"timeout": 1.0},
        }
        token = Minter(apps.RING, issuer=apps.ISSUER).mint("erin", audience=apps.AUDIENCE)
        with serving(adapter, settings) as send:
            reply = send(f"/forward?url={quote(echo.url)}/y", [("X-Passport", token)])
    finally:
        sts.stop()
    assert (reply.status, reply.json()["code"]) == (status, code), reply.content
    if retry_after is not None:
        assert reply.headers["retry-after"] == retry_after
    assert token not in reply.content.decode()
    assert all(path != "/y" for path, _ in echo.requests)
