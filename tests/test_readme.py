"""The README's promises: its two commands come first, and its examples run as written.

Python examples are executed; shell blocks are run with bash in a temporary directory, line by
line as they appear (``set -e``: every line must succeed). The "Try it locally" services are
started with the README's own command lines, on a free port instead of 8000, and its ``curl``
lines are run too, by a small stand-in for curl (a fresh machine may not have one).
"""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.utils.module_loading import import_string

from passport_django import checks

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
#: files of "Try it locally" (first line ``# app.py: ...``) are run as services, not exec'd
FILE_BLOCK = re.compile(r"# [\w.]+\.py: ")

#: stand-ins on PATH: the commands the README names, run by the Python under test
COMMANDS = {
    "passport": "passport_core",
    "uvicorn": "uvicorn",
    "flask": "flask",
    "django-admin": "django",
}
#: curl -H 'Name: value' [-i] URL, enough for the README's lines; prints what curl prints
CURL = """
import sys, httpx
args, headers, include = sys.argv[1:], {}, False
while args[0].startswith("-"):
    flag = args.pop(0)
    if flag == "-H":
        name, _, value = args.pop(0).partition(":")
        headers[name.strip()] = value.strip()
    elif flag == "-i":
        include = True
    else:
        sys.exit(f"curl stand-in: unsupported option {flag}")
(url,) = args
response = httpx.get(url, headers=headers, timeout=30)
if include:
    print(f"HTTP/1.1 {response.status_code} {response.reason_phrase}")
    for name, value in response.headers.items():
        print(f"{name}: {value}")
    print()
print(response.text)
"""


def section(title: str) -> str:
    """The README text under ``## title``, up to the next section."""
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def file_block(text: str, name: str) -> str:
    """The Python block of ``text`` that starts with ``# name: ``."""
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith(f"# {name}: ")]
    return block


def paragraph(text: str, label: str) -> str:
    """From a framework's label (``**Flask**``) to the next label or the end of ``text``."""
    after = text.split(f"\n{label}", 1)[1]
    return after.split("\n**", 1)[0]


@pytest.fixture
def shell(tmp_path: Path) -> dict[str, str]:
    """The environment the README's shell lines run in: its commands on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command, module in COMMANDS.items():
        script = bin_dir / command
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        script.chmod(0o755)
    (bin_dir / "curl.py").write_text(CURL, encoding="utf-8")
    curl = bin_dir / "curl"
    curl.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{bin_dir / "curl.py"}" "$@"\n')
    curl.chmod(0o755)
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "PYTHONPATH": pythonpath,
    }


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- the first lines -------------------------------------------------------------------------


def test_starts_with_the_two_commands() -> None:
    assert README.index("```") == README.index("```bash\n"), "the commands come first"
    commands = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert commands == [
        'python -m pip install -e ".[all]" && passport demo',
        'python -m pip install -e ".[all,dev]" && python -m pytest',
    ]


# --- Python examples -------------------------------------------------------------------------

EXECUTED = [b for b in PYTHON_BLOCKS if not b.startswith("# Django") and not FILE_BLOCK.match(b)]


@pytest.mark.parametrize("block", EXECUTED, ids=lambda b: b[:20])
def test_python_examples_run(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})  # noqa: S102


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b[:20])
def test_every_python_example_is_python(block: str) -> None:
    ast.parse(block)  # the Django fragments too: `[..., "passport_django"]` is valid Python


def test_every_example_is_checked() -> None:
    local = section("Try it locally")
    files = [b for b in PYTHON_BLOCKS if FILE_BLOCK.match(b)]
    assert len(files) == 4
    assert all(b in local for b in files)
    assert len(EXECUTED) + len(files) + 1 == len(PYTHON_BLOCKS)  # + the Django settings fragment


def test_the_django_settings_fragment_is_what_the_checks_accept() -> None:
    """Its dotted paths exist, the middleware order is W001's, DRF's handler is W002's."""
    (fragment,) = [b for b in PYTHON_BLOCKS if b.startswith("# Django")]
    values = {
        target.id: ast.literal_eval(node.value)
        for node in ast.parse(fragment).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    middleware = [name for name in values["MIDDLEWARE"] if name is not Ellipsis]
    assert middleware.index("passport_django.middleware.PassportMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert "passport_django" in values["INSTALLED_APPS"]
    drf = values["REST_FRAMEWORK"]
    assert checks._DRF_AUTHENTICATION in drf["DEFAULT_AUTHENTICATION_CLASSES"]
    assert drf["EXCEPTION_HANDLER"] == checks._DRF_HANDLER
    ours = [*middleware, *drf["DEFAULT_AUTHENTICATION_CLASSES"], drf["EXCEPTION_HANDLER"]]
    for path in ours:
        if path.startswith("passport_django."):  # importable before Django is configured
            assert import_string(path)


# --- the command line, as written ------------------------------------------------------------


def test_command_line_sequence_runs_as_written(tmp_path: Path, shell: dict[str, str]) -> None:
    (script,) = bash_blocks(section("Command line"))

    out = run_bash(script, tmp_path, shell)

    assert (tmp_path / "token.txt").read_text().count(".") == 2
    assert out.startswith("UNVERIFIED")  # inspect, clearly labelled
    assert "✓ valid passport" in out
    assert (tmp_path / "edge-key.json").stat().st_mode & 0o777 == 0o600


# --- try it locally: each framework, started as the README says ------------------------------

#: framework -> (files it needs, the label of its paragraph)
SERVICES = {
    "fastapi": (["app.py"], "**FastAPI**"),
    "flask": (["app.py"], "**Flask**"),
    "django": (["settings.py", "urls.py"], "**Django**"),
}


def service_command(text: str) -> str:
    """The command in backticks after ``run`` in a framework's paragraph."""
    command = re.search(r"run\s+`([^`]+)`", text.split("```", 1)[0])
    assert command is not None, text
    return " ".join(command.group(1).split())


@pytest.fixture
def local_service(
    request: pytest.FixtureRequest, tmp_path: Path, shell: dict[str, str]
) -> Iterator[tuple[Path, dict[str, str], int]]:
    """The keys and token of "Try it locally", and the framework's service running on them."""
    framework: str = request.param
    text = section("Try it locally")
    setup, *_ = bash_blocks(text)
    run_bash(setup, tmp_path, shell)
    files, label = SERVICES[framework]
    own = paragraph(text, label)
    for name in files:
        (tmp_path / name).write_text(file_block(own, name), encoding="utf-8")
    port = free_port()
    command = service_command(own).replace("8000", str(port))
    if framework == "django":
        command += " --noreload"  # one process to stop
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=tmp_path,
        env=shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output, _ = process.communicate(timeout=10)
                    pytest.fail(f"{command!r} did not start:\n{output}")
                time.sleep(0.1)
        yield tmp_path, shell, port
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


@pytest.mark.network
@pytest.mark.parametrize("local_service", list(SERVICES), indirect=True)
def test_try_it_locally(local_service: tuple[Path, dict[str, str], int]) -> None:
    workdir, env, port = local_service
    _, curl, bob = bash_blocks(section("Try it locally"))

    answer = run_bash(curl.replace("8000", str(port)), workdir, env)
    assert answer.strip().replace(" ", "") == '{"user":"alice"}'

    denied = run_bash(bob.replace("8000", str(port)), workdir, env)
    head, _, body = denied.partition("\n\n")
    status, *header_lines = head.splitlines()
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in header_lines)}
    assert status.startswith("HTTP/1.1 403")
    assert headers["content-type"] == "application/problem+json"
    assert headers["www-authenticate"].startswith(
        'Bearer error="insufficient_scope", error_description='
    )
    assert '"code":"permission_denied"' in body.replace(" ", "")
