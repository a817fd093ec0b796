"""The pinned Qt binding does not leak references to None (PySide6 6.12.0 did, aborting Python 3.11)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_alive():
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) >= before - 10  # a few unrelated references may come and go
