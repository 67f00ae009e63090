"""Following a key ring file: `passport ring` steps show at once in a running edge.

The CLI saves a ring by replacing the file (a new inode each time), so a
cheap ``stat`` per request tells whether it changed. A file that cannot be
read or parsed never replaces the ring being served: the edge keeps signing
with the last good one and says so in the log (without key material).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from passport_core.errors import PassportError
from passport_core.keys.ring import KeyRing

__all__ = ["RingFile"]

logger = logging.getLogger("passport_core.edge")


class RingFile:
    """Keeps ``ring`` equal to the ring saved at ``path``; :meth:`sync` re-reads it if it changed.

    :param on_reload: called after each reload (the edge drops its mint cache:
        a key retired by force must stop signing what it serves at once).
    """

    def __init__(
        self,
        ring: KeyRing,
        path: str | os.PathLike[str],
        *,
        on_reload: Callable[[], object] | None = None,
    ) -> None:
        self.ring = ring
        self.path = os.fspath(path)
        self._on_reload = on_reload
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._refused: tuple[int, int, int] | None = None
        self.sync()

    def sync(self) -> bool:
        """Reload the file if it changed since the last look; True when it did."""
        with self._lock:
            try:
                info = os.stat(self.path)
            except OSError:
                return False  # keep serving the ring we have
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp == self._stamp:
                return False
            try:
                self.ring.reload(self.path)
            except PassportError as error:
                # A bad file never replaces a good ring; tried again next time (a save may
                # be half-written), logged once.
                if stamp != self._refused:
                    self._refused = stamp
                    logger.warning(
                        "ring file %s refused (%s); keeping the ring", self.path, error.code
                    )
                return False
            self._stamp = stamp
        if self._on_reload is not None:
            self._on_reload()
        return True

    def __repr__(self) -> str:
        return f"RingFile({self.path!r})"
