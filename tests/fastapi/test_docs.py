"""The usage example in passport_fastapi's docstring runs as written."""

from __future__ import annotations

import textwrap
from typing import Any

from fastapi import FastAPI

import passport_fastapi
from passport_fastapi import passport
from tests.fastapi.testapp import PassportOf, TestClient


def _example() -> str:
    doc = passport_fastapi.__doc__
    assert doc is not None
    block = doc.split("::\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith(" "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def test_docstring_example_runs(passport_of: PassportOf) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_example(), "passport_fastapi example", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, FastAPI)
    with TestClient(app) as client:
        assert client.get("/hello").json() == "hello stranger"
        assert client.get("/me").status_code == 401
        assert client.get("/reports/daily").status_code == 401
        app.dependency_overrides[passport] = lambda: passport_of(
            "alice", scopes=["reports:read"], permissions=["reports:daily"]
        )
        assert client.get("/me").json() == {"user": "alice"}
        assert client.get("/reports/daily").json() == {"for": "alice"}
        app.dependency_overrides[passport] = lambda: passport_of("bob", scopes=["reports:read"])
        assert client.get("/reports/daily").status_code == 403
        assert client.delete("/orders/7").status_code == 403
