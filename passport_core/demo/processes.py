"""Starting and always stopping the demo's service processes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import IO

from passport_core.demo.hop import READY

__all__ = ["ServiceProcess", "ServiceStartError"]


class ServiceStartError(RuntimeError):
    """A demo service did not report ready in time."""


class ServiceProcess:
    """One ``python -m <module>`` service; knows its URL once it is ready."""

    def __init__(self, module: str, args: Sequence[str], *, start_timeout: float = 60.0) -> None:
        self.module = module
        self._log: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module, *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.PIPE,  # the child exits when this pipe closes
            text=True,
            env=env,
        )
        self.url = self._wait_ready(start_timeout)

    @property
    def pid(self) -> int:
        return self._process.pid

    def _wait_ready(self, timeout: float) -> str:
        lines: queue.Queue[str] = queue.Queue()
        stdout = self._process.stdout
        assert stdout is not None  # noqa: S101 - PIPE was requested

        def pump() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if self._process.poll() is not None:
                    break
                continue
            if line.startswith(READY + " "):
                return line.split(" ", 1)[1].strip()
        tail = self.log_tail()
        self.stop()
        raise ServiceStartError(f"{self.module} did not start in {timeout:g} s:\n{tail}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            self._log.seek(0)
            return "".join(self._log.readlines()[-lines:])
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        """Terminate the process (kill it if it lingers) and wait for it."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._log.close()
