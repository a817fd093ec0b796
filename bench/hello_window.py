"""The baseline for start-up budgets: a bare PySide6 window, nothing else.

With ``OPDIAL_EXIT_AFTER_SHOWN=1`` it prints ``OPDIAL_SHOWN <unix time>`` at its first paint and
quits, exactly like OpDial's probe (``desktop_app.startup_probe``), so
``bench/packaging_budget.py`` can compare the two from source and frozen. Imports nothing of OpDial's.
"""

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


class FirstPaint(QObject):
    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            print(f"OPDIAL_SHOWN {time.time():.6f}", flush=True)
            self.app.removeEventFilter(self)
            QTimer.singleShot(0, self.app.quit)
        return False


def main() -> int:
    app = QApplication(sys.argv)
    if os.environ.get("OPDIAL_EXIT_AFTER_SHOWN") == "1":
        app.installEventFilter(FirstPaint(app))
    window = QMainWindow()
    window.setWindowTitle("Hello")
    window.setCentralWidget(QLabel("Hello, world"))
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
