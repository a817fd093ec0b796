"""Private files and damaged stores: the one place that creates OpDial's folders and files.

On POSIX every folder OpDial makes is 0700 and every file it writes is 0600 — settings, history
(and SQLite's -wal/-shm, which SQLite creates with the database's own mode), campaign journals and
locks, logs, exports, reports. Files and folders left looser by older versions are tightened the
first time a folder is used in a process.

A store that cannot be read (a damaged SQLite file) is moved aside under a dated name and a notice
says so in plain words; a folder that cannot be created or written raises ``StorageError``, whose
message says what and where. Notices are collected process-wide so the window can show them in a
dialog and the CLI on stderr, wherever the damage was found. No Qt here.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # sqlite3 is loaded with the first database, not with every folder lookup
    import sqlite3

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"

_notices: list[str] = []
_notices_lock = threading.Lock()
_tightened: set[Path] = set()


class StorageError(OSError):
    """A folder or file OpDial needs cannot be created or written. The message says what and where."""


class DamagedStoreError(Exception):
    """A store was damaged and moved aside, and starting a fresh one would lose something (a campaign)."""

    def __init__(self, path: Path, aside: Path, reason: str) -> None:
        super().__init__(f"{path} was damaged and could not be read ({reason}); it was kept as {aside}.")
        self.path, self.aside, self.reason = path, aside, reason


def describe_os_error(exc: OSError) -> str:
    """'the disk is full' rather than '[Errno 28] No space left on device'."""
    words = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the disk is read-only",
        errno.ENOTDIR: "a file is in the way where a folder should be",
        errno.EEXIST: "a file is in the way where a folder should be",
    }
    return words.get(exc.errno or 0, exc.strerror or str(exc))


def storage_error(what: str, path: Path | str, exc: OSError) -> StorageError:
    error = StorageError(
        exc.errno,
        f"OpDial cannot {what} {path}: {describe_os_error(exc)}. Free some space or fix the folder's "
        f"permissions (or point OPDIAL_DATA_DIR at a writable folder), then try again.",
    )
    error.filename = str(path)
    return error


# -- notices ------------------------------------------------------------------------------------


def notice(message: str) -> None:
    """Something was recovered (a damaged file set aside): log it and keep it for the front end."""
    log.warning("%s", message)
    with _notices_lock:
        if message not in _notices:
            _notices.append(message)


def take_notices() -> list[str]:
    """The notices not shown yet (each is shown once)."""
    with _notices_lock:
        found = list(_notices)
        _notices.clear()
    return found


# -- folders and files --------------------------------------------------------------------------


def private_dir(path: Path) -> Path:
    """Create the folder (and missing parents) as 0700, tighten what is in it once; StorageError if not."""
    path = Path(path)
    try:
        missing = [p for p in (path, *path.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "not writable", str(path))
    except OSError as exc:
        raise storage_error("create or write the folder", path, exc) from exc
    if path not in _tightened:
        _tightened.add(path)
        tighten_tree(path)
    return path


def tighten_tree(root: Path) -> None:
    """Folders 0700 and files 0600 under ``root`` (ours only: symlinks are left alone)."""
    if not POSIX:
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _tighten(Path(folder, name), DIR_MODE)
        for name in files:
            _tighten(Path(folder, name), FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    if not POSIX:  # Windows: the per-user profile folders' ACLs already keep others out
        return
    with contextlib.suppress(OSError):  # vanished meanwhile, or not ours: nothing to tighten
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
            return
        if stat.S_IMODE(info.st_mode) & ~mode:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)


def create_private(path: Path | str) -> None:
    """Make sure the file exists and is 0600 (so SQLite's -wal/-shm inherit 0600 too)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), FILE_MODE)
    except OSError as exc:
        raise storage_error("create the file", path, exc) from exc
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def private_open(path: Path | str, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open()`` for a file OpDial writes: created 0600, an existing one tightened to 0600.

    An OSError becomes a StorageError with the what and where (exports to a full disk, a log
    folder that is a file…).
    """
    path = Path(path)
    flags = {"w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC, "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND}
    flags["a+"] = os.O_RDWR | os.O_CREAT | os.O_APPEND
    base = mode.replace("b", "")
    if base not in flags:
        raise ValueError(f"private_open supports w, a and a+, not {mode!r}")
    try:
        fd = os.open(path, flags[base] | getattr(os, "O_BINARY", 0), FILE_MODE)
    except OSError as exc:
        raise storage_error("write the file", path, exc) from exc
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def file_lock(path: Path | str) -> Iterator[None]:
    """An exclusive lock across processes (a lock file, 0600), released by the OS if we die."""
    with private_open(path, "a+") as handle:
        _lock(handle)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                _unlock(handle)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI
    import msvcrt

    def _lock(handle: IO[Any]) -> None:
        handle.seek(0)
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # retries for ~10 s, then raises
                return
            except OSError:
                continue

    def _unlock(handle: IO[Any]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[Any]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock(handle: IO[Any]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- damaged files ------------------------------------------------------------------------------


def dated_name(path: Path, label: str = "damaged") -> Path:
    """``history.sqlite3`` → ``history.sqlite3.damaged-20261202-184800`` (never an existing name)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{label}-{stamp}")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{label}-{stamp}-{number}")
        number += 1
    return candidate


def set_aside(path: Path) -> Path:
    """Move a damaged file (and its SQLite companions) to a dated name beside it; returns the new name."""
    aside = dated_name(path)
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        # Another thread or process found it damaged first and moved it: that copy is the one.
        import glob  # only here, rarely: not before the window's first paint

        earlier = sorted(path.parent.glob(f"{glob.escape(path.name)}.damaged-*"))
        earlier = [p for p in earlier if not p.name.endswith(("-wal", "-shm", "-journal"))]
        if not earlier:
            raise
        return earlier[-1]
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            with contextlib.suppress(OSError):
                os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def is_damage(exc: sqlite3.Error) -> bool:
    """Not a database / malformed — as opposed to 'locked' or 'disk full', which are not damage."""
    name = getattr(exc, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def open_sqlite(
    path: Path,
    setup: Any,
    *,
    what: str,
    fresh_if_damaged: bool = True,
    must_exist: bool = False,
    **connect: Any,
) -> sqlite3.Connection:
    """Connect to a private SQLite file and run ``setup(conn)`` (pragmas, schema, checks).

    A damaged file is moved aside; then either a fresh one is started (with a notice naming
    ``what``) or, with ``fresh_if_damaged=False``, DamagedStoreError says where it was kept. A full
    disk or unwritable folder raises StorageError. With ``must_exist``, a file that is not there
    (never was, or was just set aside by another reader) raises FileNotFoundError instead of being
    started empty.
    """
    import sqlite3

    private_dir(path.parent)
    for attempt in (1, 2):
        if must_exist:
            _tighten(path, FILE_MODE)
        else:
            create_private(path)
        try:
            # mode=rw never creates: a file moved away meanwhile is an error, not a new empty store.
            target = f"{path.resolve().as_uri()}?mode=rw" if must_exist else path
            db = sqlite3.connect(target, uri=must_exist, **connect)
        except sqlite3.Error as exc:
            if must_exist and not path.is_file():
                raise FileNotFoundError(errno.ENOENT, "no such file", str(path)) from exc
            raise _sqlite_storage_error(path, exc) from exc
        try:
            setup(db)
            _tighten_companions(path)
            return db
        except sqlite3.Error as exc:
            db.close()
            if attempt == 2 or not is_damage(exc):
                raise _sqlite_storage_error(path, exc) from exc
            aside = set_aside(path)
            if not fresh_if_damaged:
                raise DamagedStoreError(path, aside, str(exc)) from exc
            notice(
                f"{what} at {path} was damaged and could not be read ({exc}). It was kept as {aside} "
                "and a new, empty one was started."
            )
    raise AssertionError("unreachable")


def _tighten_companions(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        _tighten(path.with_name(path.name + suffix), FILE_MODE)


def _sqlite_storage_error(path: Path, exc: sqlite3.Error) -> StorageError:
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(exc).lower()
    number = errno.ENOSPC if full else errno.EIO
    return storage_error("use the database", path, OSError(number, str(exc)))
