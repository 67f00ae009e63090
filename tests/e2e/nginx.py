"""A real nginx on 127.0.0.1, run as this user from a temporary prefix and stopped by PID."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: what a non-root nginx needs: one process, in the foreground, every file under its prefix
#: (relative paths are relative to ``nginx -p``); ``http`` is the caller's
MAIN = """\
daemon off;
master_process off;
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log access.log;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
{http}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx")


def free_port() -> int:
    """A loopback port nothing listens on (the OS's choice, released for nginx to bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main_config(http: str) -> str:
    """A whole ``nginx.conf`` around the ``http`` block's directives."""
    return MAIN.format(http=http)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def run_nginx(config: str, prefix: Path, port: int, *, timeout: float = 10.0) -> Iterator[str]:
    """Run nginx with ``config`` under ``prefix`` until the block ends; yields its base URL.

    ``config`` is a whole ``nginx.conf`` that listens on ``127.0.0.1:<port>``.
    """
    binary = nginx_binary()
    assert binary is not None, "nginx is not installed"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(config)
    command = [binary, "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log"]
    checked = subprocess.run(
        [*command, "-t"], check=False, capture_output=True, text=True, timeout=10
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {_log(prefix)}")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()


def _log(prefix: Path) -> str:
    try:
        return (prefix / "error.log").read_text()[-2000:]
    except OSError:
        return "(no error log)"
