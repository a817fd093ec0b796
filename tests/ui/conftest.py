"""Fixtures for the window tests: a real window on real parts (sandbox, SQLite, settings file).

The only stand-in is the keyring: an in-memory backend, because the OS keyring is shared with the
person running the tests (the real Secret Service is covered by the credentials tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from desktop_app.api.client import ObdClient
from desktop_app.credentials import Profile, ProfileStore, Resolved, SecretStore
from desktop_app.history import History
from tests.keyring_double import MemoryKeyring

DEMO_USER_ID = "a1b2c3d4e5f60718"  # the sandbox's default agent
CUSTOMER = "+919876543210"


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store() -> ProfileStore:
    return ProfileStore()


@pytest.fixture
def secrets(keyring_backend: MemoryKeyring) -> SecretStore:
    return SecretStore(keyring_backend)


@pytest.fixture
def history() -> Iterator[History]:
    with History() as opened:
        yield opened


def quick_client(resolved: Resolved) -> ObdClient:
    """One attempt, no waiting: each problem shows at once instead of after retries."""
    return ObdClient(resolved.account, max_attempts=1)


@pytest.fixture
def sandbox_profile(sandbox, store: ProfileStore, secrets: SecretStore) -> Profile:
    """A stored profile pointing at the sandbox, its secrets in the (memory) keyring."""
    account = sandbox.account
    profile = store.save(
        Profile(
            name="Acme Sales",
            company_id=account.company_id,
            public_ivr_id=account.public_ivr_id,
            user_id=DEMO_USER_ID,
            api_url=account.api_url,
        )
    )
    secrets.set_secrets(profile.name, account.api_key, account.secret_token)
    return profile


@pytest.fixture
def make_window(qtbot, store: ProfileStore, secrets: SecretStore, history: History) -> Iterator[Callable]:
    """Build MainWindows on the test's store, keyring and history; shut them down afterwards."""
    from desktop_app.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(**kwargs) -> MainWindow:
        kwargs.setdefault("env", {})
        window = MainWindow(store=store, secrets=secrets, history=history, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        window.resize(1000, 700)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        window.focus_number()
        return window

    yield make
    for window in windows:
        window.shutdown(timeout_s=10)  # cancels and joins every worker


@pytest.fixture
def window(make_window, sandbox_profile):
    """The window on a sandbox profile, retries off so problems show at once."""
    return make_window(client_factory=quick_client)


def place(qtbot, window, timeout: int = 30_000):
    """Press Call and wait for the outcome."""
    with qtbot.waitSignal(window.call_finished, timeout=timeout) as blocker:
        window.form.call_button.click()
    return blocker.args[0]
