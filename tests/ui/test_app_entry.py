"""``opdial`` itself: run_gui builds the app and window, honours --demo and a link, and exits cleanly."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop_app.logging_setup import log_file, shutdown_logging
from desktop_app.ui import app as app_module
from desktop_app.ui.main_window import MainWindow


@pytest.fixture
def restore_process_state(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    yield
    shutdown_logging()


def _run_and_inspect(argv: list[str], inspect) -> tuple[int, dict]:
    seen: dict = {}

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        seen["window"] = windows[-1]
        inspect(windows[-1], seen)
        QApplication.quit()

    QTimer.singleShot(200, look)
    code = app_module.run_gui(argv, use_launcher=False)
    return code, seen


def test_demo_with_a_link_prefills_and_asks(qtbot, restore_process_state):
    def inspect(window: MainWindow, seen: dict) -> None:
        seen["url"] = window.resolved.account.api_url
        seen["running"] = window.demo_session.running
        seen["number"] = window.form.customer.parsed.e164 if window.form.customer.parsed else None
        seen["bar"] = window.link_bar.text()
        seen["calls"] = len(window.demo_session.server.received)

    code, seen = _run_and_inspect(["--demo", "tel:+91-98765-43210"], inspect)

    assert code == 0
    assert seen["running"] and seen["url"].startswith("http://127.0.0.1:")
    assert seen["number"] == "+919876543210" and "press Enter to call" in seen["bar"]
    assert seen["calls"] == 0  # a link never dials by itself
    assert not seen["window"].demo_session.running  # stopped on exit
    assert log_file().exists()


def test_a_link_that_is_not_a_number_is_explained(qtbot, restore_process_state):
    def inspect(window: MainWindow, seen: dict) -> None:
        seen["bar"] = window.link_bar.text()

    _code, seen = _run_and_inspect(["--demo", "mailto:someone@example.com"], inspect)
    assert seen["bar"].startswith("Not dialled:")
