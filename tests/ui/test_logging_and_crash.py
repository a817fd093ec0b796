"""The rotating log under the data dir masks secrets; an unexpected error shows copyable details."""

from __future__ import annotations

import logging
import sys

import pytest

from desktop_app import config
from desktop_app.api.redaction import register_secret
from desktop_app.logging_setup import log_file, setup_logging, shutdown_logging
from desktop_app.ui.crash import CrashDialog, crash_report

SECRET = "log-test-secret-9876"


@pytest.fixture
def logging_to_file():
    path = setup_logging()
    yield path
    shutdown_logging()


def test_log_file_is_under_the_data_dir_and_redacted(logging_to_file):
    register_secret(SECRET)
    logging.getLogger("opdial.test").warning("header x-api-key: %s and %s", "unregistered123", SECRET)
    try:
        raise RuntimeError(f"boom with {SECRET}")
    except RuntimeError:
        logging.getLogger("opdial.test").exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()

    assert logging_to_file == log_file() and logging_to_file.is_relative_to(config.log_dir())
    text = logging_to_file.read_text()
    assert "x-api-key: ********" in text and "boom with ********" in text
    assert SECRET not in text and "unregistered123" not in text


def test_crash_dialog_shows_redacted_copyable_details(qtbot):
    register_secret(SECRET)
    try:
        raise ValueError(f"token {SECRET}")
    except ValueError:
        report = crash_report(*sys.exc_info())
    dialog = CrashDialog(report)
    qtbot.addWidget(dialog)

    assert "ValueError: token ********" in dialog.details.toPlainText()
    dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert SECRET not in QGuiApplication.clipboard().text()
    assert "ValueError" in QGuiApplication.clipboard().text()


def test_an_error_reaching_the_hook_on_a_worker_thread_is_logged_and_shows_no_dialog(
    qtbot, caplog, monkeypatch
):
    # A dialog from a worker thread is undefined in Qt and hung OpDial at exit: the hook only logs
    # there. (Observing "no dialog" needs a stand-in that records being built: a real one would hang.)
    import threading

    from desktop_app.ui import crash

    built: list[str] = []
    monkeypatch.setattr(crash, "CrashDialog", lambda report, parent=None: built.append(report))
    try:
        raise RuntimeError("from a worker")
    except RuntimeError:
        info = sys.exc_info()
    worker = threading.Thread(target=crash.handle_exception, args=info)
    worker.start()
    worker.join(10)

    assert not worker.is_alive() and built == []
    assert any(
        "unexpected exception" in r.getMessage() and "from a worker" in r.getMessage() for r in caplog.records
    )


def test_a_task_that_finishes_after_its_window_is_gone_ends_quietly(qtbot, monkeypatch):
    # Closing the window deletes its tasks; work still running (a slow keyring) returns later.
    import threading

    import shiboken6

    from desktop_app.ui.workers import TaskRunner

    hooked: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: hooked.append(exc))
    release = threading.Event()
    runner = TaskRunner()
    task = runner.start("slow", lambda _cancel: release.wait(10))
    shiboken6.delete(task)
    release.set()
    assert runner._pool.waitForDone(10_000)

    assert hooked == []
