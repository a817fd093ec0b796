"""Placeholder window until the window issue lands."""

from __future__ import annotations

from desktop_app import APP_NAME


def run_gui(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication([APP_NAME, *argv])
    window = QMainWindow()
    window.setWindowTitle(APP_NAME)
    window.setCentralWidget(QLabel(f"{APP_NAME} — coming soon"))
    window.show()
    return app.exec()
