"""Unexpected exceptions: log them (redacted) and show a dialog with copyable details.

Without this, an exception in a Qt slot prints to a console nobody sees, or (with some
PySide6 settings) ends the process. Here the agent gets an explanation, the details to send to
support, and a way to keep working.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME, __version__
from desktop_app.logging_setup import log_file, redact
from desktop_app.storage import StorageError

log = logging.getLogger("opdial.crash")


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    header = f"{APP_NAME} {__version__} on Python {sys.version.split()[0]} ({sys.platform})\n\n"
    return redact(header + text)


def _where_the_log_is() -> str:
    try:
        return f"The full log is in:\n{log_file()}"
    except OSError as exc:  # the log folder itself may be the problem
        return f"There is no log file: {exc}"


class CrashDialog(QDialog):
    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — something went wrong")
        self.setAccessibleName("Unexpected error")
        self.setMinimumSize(560, 360)
        intro = QLabel(
            "OpDial hit an unexpected error. Your call history is safe. You can keep working; if it "
            "happens again, copy the details below and send them to whoever supports OpDial. "
            f"Secrets are masked. {_where_the_log_is()}"
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        intro.setAccessibleName("Explanation")
        intro.setToolTip("What happened and where the log file is")
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setToolTip("The technical details, with secrets masked")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close this message")
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setAccessibleName("Copy details")
        self.copy_button.setToolTip("Copy the error details to the clipboard")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


_showing = False


def handle_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` for the GUI: log, then show the dialog (never two at once)."""
    global _showing
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    on_gui_thread = threading.current_thread() is threading.main_thread()
    if (
        issubclass(exc_type, StorageError)
        and QApplication.instance() is not None
        and not _showing
        and on_gui_thread
    ):
        _show_storage_problem(str(exc))  # a full disk, a folder gone: words, not a traceback
        return
    report = crash_report(exc_type, exc, tb)
    log.error("unexpected exception\n%s", report)
    if not on_gui_thread:
        return  # a dialog belongs to the GUI thread (from a worker it could hang the app): the log has it
    if QApplication.instance() is None or _showing:
        sys.stderr.write(report)
        return
    _showing = True
    try:
        dialog = CrashDialog(report, QApplication.activeWindow())
        dialog.exec()
    finally:
        _showing = False


def _show_storage_problem(message: str) -> None:
    global _showing
    log.error("storage problem: %s", message)
    _showing = True
    try:
        from desktop_app.ui.widgets import message_box

        parent = QApplication.activeWindow()
        box = message_box(QMessageBox.Icon.Warning, f"{APP_NAME} cannot save", message, parent)
        box.setAccessibleName("OpDial cannot save")
        box.exec()
    finally:
        _showing = False


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    """A background thread died: log it (a dialog may only be shown from the GUI thread)."""
    if args.exc_value is not None:
        log.error(
            "unexpected exception in thread %s\n%s",
            getattr(args.thread, "name", "?"),
            crash_report(args.exc_type, args.exc_value, args.exc_traceback),
        )


def install_excepthook() -> None:
    sys.excepthook = handle_exception
    threading.excepthook = _thread_exception
