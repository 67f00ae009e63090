"""FastAPI fixtures: keys, a minter, the test app, its test client and a real uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi import FastAPI

from passport_core import KeyRing, Minter, Passport, Verifier
from tests.fastapi.testapp import (
    AUDIENCE,
    ISSUER,
    AppFactory,
    Mint,
    PassportOf,
    TestClient,
    build_app,
    run_uvicorn,
)


@pytest.fixture(scope="session")
def ring() -> KeyRing:
    return KeyRing.generate("EdDSA")


@pytest.fixture(scope="session")
def minter(ring: KeyRing) -> Minter:
    return Minter(ring, issuer=ISSUER)


@pytest.fixture(scope="session")
def mint(minter: Minter) -> Mint:
    """A fresh token for ``subject``; keyword arguments go to ``Minter.mint``."""

    def make(subject: str = "alice", **kwargs: Any) -> str:
        kwargs.setdefault("audience", AUDIENCE)
        return minter.mint(subject, **kwargs)

    return make


@pytest.fixture(scope="session")
def passport_of(ring: KeyRing, mint: Mint) -> PassportOf:
    """A real, verified Passport object (for dependency overrides)."""
    verifier = Verifier(keys=ring.public_jwks(), issuer=ISSUER, audience=AUDIENCE)

    def make(subject: str = "alice", **kwargs: Any) -> Passport:
        return verifier.verify(mint(subject, **kwargs))

    return make


@pytest.fixture
def make_app(ring: KeyRing) -> AppFactory:
    """Build the test app; keyword arguments override the passport settings."""

    def make(**overrides: Any) -> FastAPI:
        settings: dict[str, Any] = {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "jwks": ring.public_jwks(),
        }
        settings.update(overrides)
        return build_app(**settings)

    return make


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def real_server() -> Callable[[FastAPI], AbstractContextManager[str]]:
    return run_uvicorn
