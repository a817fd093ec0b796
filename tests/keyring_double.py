"""An in-memory keyring backend: the test double for an OS keyring where none can be used.

Unit and window tests run it so they need no D-Bus; the real Secret Service round trips are in
``test_keyring_secret_service.py`` and ``test_cli.py``. ``scripts/screenshots.py`` uses it too, so
taking screenshots never touches the developer's own keyring.
"""

from __future__ import annotations

import threading
import time

import keyring.errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # "secure enough" by keyring's convention
    name = "in-memory test keyring"  # type: ignore[assignment]

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        # A keyring that takes its time, like a Secret Service waiting for an unlock prompt: the
        # real one cannot be made to wait on demand, so this double plays it.
        self.delay_s = delay_s
        self.reader_threads: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.reader_threads.append(threading.current_thread().name)
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
