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
