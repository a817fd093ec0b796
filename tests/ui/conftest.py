"""Fixtures for the window tests: a real window on real parts (sandbox, SQLite, settings file).

The only stand-in is the keyring: an in-memory backend, because the OS keyring is shared with the
person running the tests (the real Secret Service is covered by the credentials tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

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
    return store_sandbox_profile(sandbox, store, secrets, "Acme Sales")


def store_sandbox_profile(sandbox, store: ProfileStore, secrets: SecretStore, name: str) -> Profile:
    account = sandbox.account
    profile = store.save(
        Profile(
            name=name,
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
        # The rest of the window is built after its first paint; the secrets are read off the GUI thread.
        qtbot.waitUntil(lambda: window.built and not window.resolving, timeout=10_000)
        window.focus_number()
        return window

    yield make
    for window in windows:
        window.shutdown(timeout_s=10)  # cancels and joins every worker


@pytest.fixture
def window(make_window, sandbox_profile):
    """The window on a sandbox profile, retries off so problems show at once."""
    return make_window(client_factory=quick_client)


def history_settled(qtbot, view) -> None:
    """Wait until the history view has shown what its latest search asked for (it reads on a worker)."""
    qtbot.waitUntil(
        lambda: view.runner.idle and not view._search_timer.isActive() and not view._stale, timeout=10_000
    )


def place(qtbot, window, timeout: int = 30_000):
    """Press Call and wait for the outcome."""
    with qtbot.waitSignal(window.call_finished, timeout=timeout) as blocker:
        window.form.call_button.click()
    return blocker.args[0]


GUARD_DIALOGS = ("repeatGuard", "unknownGuard")  # desktop_app.ui.call_guard


def _call_button_text(window) -> str:
    form = getattr(window, "form", None)
    return form.call_button.text() if form is not None else ""


class GuardDialogs:
    """Answers the window's "call again?" questions as a person would: with a key or a button.

    A question no test expected is refused (nothing is sent) and fails the test, instead of
    leaving a modal dialog that hangs the suite.
    """

    def __init__(self, qtbot) -> None:
        from PySide6.QtCore import QTimer

        self.qtbot = qtbot
        self.answers: list[str] = []  # "Return", "Escape", or a button's objectName
        self.shown: list[dict[str, str]] = []  # every question asked: name, text, default button
        self.unexpected: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._check)
        self.timer.start()

    def answer(self, *how: str) -> GuardDialogs:
        self.answers.extend(how)
        return self

    def _check(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

        for box in QApplication.topLevelWidgets():
            if not (isinstance(box, QMessageBox) and box.isVisible() and box.objectName() in GUARD_DIALOGS):
                continue
            if box.property("answered"):
                continue
            box.setProperty("answered", True)
            default = box.defaultButton()
            self.shown.append(
                {
                    "name": box.objectName(),
                    "text": box.text(),
                    "informative": box.informativeText(),
                    "default": default.text() if default else "",
                    "escape": box.escapeButton().text() if box.escapeButton() else "",
                    # what the window's Call button said while the question was open
                    "call_button": _call_button_text(box.parent()),
                }
            )
            if not self.answers:
                self.unexpected.append(box.text())
                box.reject()
                continue
            how = self.answers.pop(0)
            if how in ("Return", "Escape"):
                key = Qt.Key.Key_Return if how == "Return" else Qt.Key.Key_Escape
                self.qtbot.keyClick(box, key)
            else:
                box.findChild(QPushButton, how).click()

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture(autouse=True)
def guard_dialogs(qtbot) -> Iterator[GuardDialogs]:
    guards = GuardDialogs(qtbot)
    yield guards
    guards.stop()
    assert not guards.unexpected, f"the window asked a question no test expected: {guards.unexpected}"


class StallMeter:
    """The longest gap between the ticks of a 10 ms GUI-thread timer."""

    def __init__(self) -> None:
        self.longest_ms = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def __enter__(self) -> StallMeter:
        self._clock.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        self.longest_ms = max(self.longest_ms, self._clock.restart())
