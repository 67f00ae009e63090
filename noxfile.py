"""Developer sessions: tests (per Python version), lowest, lint, typecheck, bench."""

from __future__ import annotations

import glob
import os

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

# pyenv's shims answer only for the active version; put every installed one on PATH.
_pyenv_bins = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin")))
os.environ["PATH"] = os.pathsep.join([*_pyenv_bins, os.environ.get("PATH", "")])


def install(session: nox.Session, extras: str, *, lowest: bool = False) -> None:
    """The one way every session installs the project.

    ``lowest``: every direct dependency at the lowest version pyproject.toml allows (uv's
    ``--resolution lowest-direct``), so that a floor the code no longer works with fails here.
    """
    if lowest:
        session.install("--resolution", "lowest-direct", "-e", f".[{extras}]")
    else:
        session.install("-e", f".[{extras}]")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    install(session, "all,dev")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS[0], venv_backend="uv")
def lowest(session: nox.Session) -> None:
    """The suite on the oldest Python with the lowest allowed version of every dependency."""
    install(session, "all,dev", lowest=True)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    install(session, "all,dev")
    session.run("mypy")


@nox.session(python="3.12")
def bench(session: nox.Session) -> None:
    """The full benchmark run (ryjwt needs Python 3.12+); ``-- --quick``, ``-- verify ...``."""
    install(session, "all,dev,bench")
    session.run("python", "-m", "benchmarks", *session.posargs)
