"""Which OpDial is the primary: a file lock held from the first moment of start-up until exit.

The primary's ``QLocalServer`` (``ui/single_instance``) starts listening only after the window's
first paint, so that QtNetwork and the launcher stay off the start path. A second launch in that
gap must not become a second primary: it finds this lock held and waits for the server instead of
opening a window of its own. The OS drops the lock when the process ends, however it ends, so a
crashed OpDial never blocks the next one. Standard library only: it runs before Qt is loaded.
"""

from __future__ import annotations

import enum
import errno
import os
import sys
from pathlib import Path

LOCK_FILE_NAME = "opdial.lock"


class Claim(enum.Enum):
    OURS = "ours"  # this process is the primary
    TAKEN = "taken"  # another OpDial holds it: it is running, or starting and soon listening
    UNKNOWN = "unknown"  # no lock could be made (read-only data folder): ask the server directly


class InstanceLock:
    """``claim()`` once at start-up; the lock lives as long as this object (or the process)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: no data folder to keep it in
        self._fd: int | None = None

    @classmethod
    def in_data_dir(cls) -> InstanceLock:
        from desktop_app import config  # per user and per OPDIAL_DATA_DIR, like the server's name

        try:
            return cls(config.data_dir() / LOCK_FILE_NAME)
        except OSError:  # the folder cannot be made: the window then says so (it needs it too)
            return cls(None)

    def claim(self) -> Claim:
        if self._fd is not None:
            return Claim.OURS
        if self.path is None:
            return Claim.UNKNOWN
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return Claim.UNKNOWN
        try:
            _lock(fd)
        except BlockingIOError:
            os.close(fd)
            return Claim.TAKEN
        except OSError:  # a file system without locks (some network shares)
            os.close(fd)
            return Claim.UNKNOWN
        self._fd = fd
        return Claim.OURS

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock on every OS
            self._fd = None


def _lock(fd: int) -> None:
    """An exclusive, non-blocking lock; BlockingIOError when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as error:  # a held lock is "permission denied" (or "deadlock avoided")
            if error.errno in (errno.EACCES, errno.EDEADLOCK):
                raise BlockingIOError(str(error)) from error
            raise
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
