"""Where OpDial keeps its settings, data and logs.

Defaults follow each OS's conventions (platformdirs). ``OPDIAL_DATA_DIR`` moves everything
under one folder: tests use it, and so can a portable install. Either way the folders are
private (0700 on POSIX, see ``desktop_app.storage``); a folder that cannot be created or written
raises ``storage.StorageError`` saying what and where.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

from desktop_app import APP_NAME, storage

DATA_DIR_ENV = "OPDIAL_DATA_DIR"


def _override() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def _dirs() -> PlatformDirs:
    return PlatformDirs(appname=APP_NAME, appauthor=False, roaming=True)


def _ensure(path: Path) -> Path:
    return storage.private_dir(path)


def _config_path() -> Path:
    base = _override()
    return base / "config" if base else Path(_dirs().user_config_dir)


def config_dir() -> Path:
    """Settings file (profiles without secrets, preferences)."""
    return _ensure(_config_path())


def data_dir() -> Path:
    """History and campaign journals (SQLite)."""
    base = _override()
    return _ensure(base / "data" if base else Path(_dirs().user_data_dir))


def log_dir() -> Path:
    base = _override()
    return _ensure(base / "logs" if base else Path(_dirs().user_log_dir))


def settings_path() -> Path:
    """Not created here: reading settings needs no folder (``number``/``preview`` work without one)."""
    return _config_path() / "settings.json"


def history_path() -> Path:
    return data_dir() / "history.sqlite3"


def campaigns_dir() -> Path:
    return _ensure(data_dir() / "campaigns")
