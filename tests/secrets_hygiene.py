"""Secrets hygiene, checked over the whole suite (issue 12).

Every log record any test makes, at DEBUG, from our code and from the libraries we call
(httpx, httpcore, Django, Flask, redis-py, asyncio...), is searched, exception text included,
for what must never be logged: a compact JWS or JWE (a passport, an access token, a DPoP
proof, an exchange's subject token), a PEM private key, and a JWK's private members. A test
whose records hold one fails, naming the logger and the kind of secret, never the secret.

A record counts when our code made it: a logger of ours, or a library's record made while
our code was on the stack (our outbound client's httpx call, our middleware inside Django).
What a library logs for the test itself is the test's business: httpcore logs every response
header at DEBUG, so a test's own client reading the passport an edge endpoint answers with is
logged, and no code of ours was asked to log it.

The root logger is set to DEBUG for the session, so a library that would log a token only
at DEBUG is caught too; what each test's own ``caplog`` sees at its levels is unchanged.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

#: what must never reach a log record, by the name a failure reports
SECRETS: dict[str, re.Pattern[str]] = {
    # A compact JWS or JWE: its protected header is base64url of '{"', so it starts with eyJ;
    # the last segment is the signature (or the JWE's tag).
    "a compact JWS/JWE": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_.-]*[A-Za-z0-9_-]{16,}"),
    "a PEM private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    # RFC 7518 §6.2.2.1 and §6.3.2: d (EC, OKP, RSA) and the RSA primes; k is a symmetric key.
    "a JWK's private member": re.compile(r"""["'](?:d|p|q|dp|dq|qi|k)["']\s*:\s*["'][\w-]{16,}"""),
}


#: our packages, by import name
PACKAGES = ("passport_core", "passport_fastapi", "passport_flask", "passport_django")
#: where they are imported from (an editable install or site-packages alike)
OURS = tuple(
    str(Path(importlib.util.find_spec(package).origin).parent) + os.sep  # type: ignore[arg-type,union-attr]
    for package in PACKAGES
)


def made_by_us(record: logging.LogRecord) -> bool:
    """Whether ``record`` is ours: our logger, or code of ours on the stack that logs it."""
    if record.name.split(".")[0] in PACKAGES:
        return True
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.startswith(OURS):
            return True
        frame = frame.f_back
    return False


def secrets_in(text: str) -> list[str]:
    """The kinds of secret ``text`` holds (the names of :data:`SECRETS`)."""
    return [kind for kind, pattern in SECRETS.items() if pattern.search(text)]


class SecretWatch(logging.Handler):
    """Records where each log record that holds a secret came from (never the secret)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string still gets its raw text searched
            text = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "".join(traceback.format_exception(*record.exc_info))
        if record.stack_info:
            text += record.stack_info
        kinds = secrets_in(text)
        if kinds and made_by_us(record):
            self.found.extend(f"{record.name} ({record.levelname}) logged {kind}" for kind in kinds)


_WATCH = SecretWatch()


@pytest.fixture(scope="session", autouse=True)
def _watch_every_log_record() -> Iterator[SecretWatch]:
    root = logging.getLogger()
    level = root.level
    root.addHandler(_WATCH)
    root.setLevel(logging.DEBUG)
    try:
        yield _WATCH
    finally:
        root.setLevel(level)
        root.removeHandler(_WATCH)


@pytest.fixture(autouse=True)
def _no_secret_in_the_logs(_watch_every_log_record: SecretWatch) -> Iterator[None]:
    _watch_every_log_record.found.clear()
    yield
    found = list(dict.fromkeys(_watch_every_log_record.found))
    _watch_every_log_record.found.clear()
    if found:
        pytest.fail("a secret reached the logs: " + "; ".join(found), pytrace=False)
