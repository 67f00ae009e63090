"""The usage example in passport_flask's docstring runs as written."""

from __future__ import annotations

import textwrap
from typing import Any

import passport_flask


def docstring_example() -> str:
    doc = passport_flask.__doc__ or ""
    block = doc.split("::\n", 1)[1]
    lines: list[str] = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def test_docstring_example_builds_an_app_that_refuses_requests_without_a_passport() -> None:
    namespace: dict[str, Any] = {"__name__": "example"}
    exec(compile(docstring_example(), "passport_flask example", "exec"), namespace)  # noqa: S102 - our own docs
    app = namespace["create_app"]()
    client = app.test_client()
    for method, path in [("GET", "/orders"), ("DELETE", "/orders/7")]:
        response = client.open(path, method=method)
        assert response.status_code == 401
        assert response.json["code"] == "missing_token"
    assert app.extensions["passport"].settings(app).allowed_hosts == ("stock.internal",)
