"""The hook that lets ``bench/packaging_budget.py`` time start-up to the main window's first paint.

With ``OPDIAL_EXIT_AFTER_SHOWN=1`` the window prints ``OPDIAL_SHOWN <unix time>`` when it first
paints and quits; ``bench/hello_window.py`` does the same for a bare PySide6 window. A module of
its own, and small: it is imported on the start path it measures.
"""

from __future__ import annotations

import os
import time

EXIT_AFTER_SHOWN_ENV = "OPDIAL_EXIT_AFTER_SHOWN"
SHOWN_MARKER = "OPDIAL_SHOWN"


def startup_probe_requested() -> bool:
    return os.environ.get(EXIT_AFTER_SHOWN_ENV) == "1"


def install_startup_probe(app) -> None:
    """When a main window first paints, print ``OPDIAL_SHOWN <unix time>`` and quit. No-op unless
    ``OPDIAL_EXIT_AFTER_SHOWN=1``."""
    if not startup_probe_requested():
        return
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QMainWindow

    class _FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
                print(f"{SHOWN_MARKER} {time.time():.6f}", flush=True)
                app.removeEventFilter(self)
                QTimer.singleShot(0, app.quit)
            return False

    probe = _FirstPaint(app)
    app.installEventFilter(probe)
