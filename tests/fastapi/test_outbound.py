"""Outbound clients, sync and async, forward the passport to allowed hosts only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.fastapi.testapp import AppFactory, Mint, TestClient, probe_of
from tests.servers import RunningServer, serve


@pytest.fixture
def downstream() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def forwarding_app(make_app: AppFactory) -> FastAPI:
    return make_app(allowed_hosts=["127.0.0.1"])


@pytest.mark.parametrize("route", ["/forward", "/forward-sync"])
def test_forwards_the_passport_to_an_allowed_host(
    forwarding_app: FastAPI, downstream: RunningServer, mint: Mint, route: str
) -> None:
    token = mint("alice")
    with TestClient(forwarding_app) as client:
        echoed = client.get(
            route, params={"url": f"{downstream.url}/x"}, headers={"X-Passport": token}
        ).json()
    assert echoed["x-passport"] == token


def test_never_forwards_to_a_host_off_the_list(
    forwarding_app: FastAPI, downstream: RunningServer, mint: Mint
) -> None:
    # same server, reached by a name that is not on the allow-list
    url = f"http://localhost:{downstream.port}/x"
    with TestClient(forwarding_app) as client:
        echoed = client.get("/forward", params={"url": url}, headers={"X-Passport": mint()}).json()
    assert "x-passport" not in echoed
    assert len(downstream.requests) == 1


def test_forwards_nothing_without_a_passport(
    forwarding_app: FastAPI, downstream: RunningServer
) -> None:
    with TestClient(forwarding_app) as client:
        echoed = client.get("/forward", params={"url": f"{downstream.url}/x"}).json()
    assert "x-passport" not in echoed


def test_default_allow_list_is_empty(
    make_app: AppFactory, downstream: RunningServer, mint: Mint
) -> None:
    with TestClient(make_app()) as client:
        echoed = client.get(
            "/forward", params={"url": f"{downstream.url}/x"}, headers={"X-Passport": mint()}
        ).json()
    assert "x-passport" not in echoed


def test_bearer_only_service_forwards_as_bearer(
    make_app: AppFactory, downstream: RunningServer, mint: Mint
) -> None:
    token = mint("bob")
    app = make_app(header=None, bearer=True, allowed_hosts=["127.0.0.1"])
    with TestClient(app) as client:
        echoed = client.get(
            "/forward",
            params={"url": f"{downstream.url}/x"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    assert echoed["authorization"] == f"Bearer {token}"
    assert "x-passport" not in echoed


@pytest.mark.parametrize("route", ["/forward", "/forward-sync"])
def test_client_is_closed_after_the_request(
    forwarding_app: FastAPI, downstream: RunningServer, mint: Mint, route: str
) -> None:
    with TestClient(forwarding_app) as client:
        client.get(route, params={"url": downstream.url}, headers={"X-Passport": mint()})
        client.get(route, params={"url": downstream.url}, headers={"X-Passport": mint()})
    first, second = probe_of(forwarding_app).clients
    assert first is not second
    assert first.is_closed
    assert second.is_closed
