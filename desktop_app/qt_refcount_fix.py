"""Work around a PySide6 6.12 bug that crashes OpDial on Python 3.11 after a few thousand Qt calls.

PySide6-Essentials 6.12 returns ``None`` from every void C++ method without taking a reference
to it (``QObject.setObjectName``, ``QCoreApplication.processEvents``, ``QLocalSocket.abort``…).
From Python 3.12 on ``None`` is immortal and nothing happens; on 3.11 its reference count drops by
one per call until the interpreter aborts with "none_dealloc: deallocating None". Measured here:
``sys.getrefcount(None)`` falls by exactly 1 per ``processEvents()`` call, and a process starts with
only ~5,000 references.

The fix gives ``None`` a reserve of 2**40 references, enough for longer than any session, and
only when a probe call shows the bug. Remove it once the bundled PySide6 no longer leaks.
"""

from __future__ import annotations

import sys

RESERVE = 1 << 40


def _leaks_none() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def keep_none_alive() -> bool:
    """Apply the reserve if this PySide6 leaks references to None. True when applied."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not _leaks_none():
        return False
    import ctypes

    # CPython layout: ob_refcnt is the first field of every object, at id(obj).
    refcount = ctypes.c_ssize_t.from_address(id(None))
    if refcount.value < RESERVE:
        refcount.value += RESERVE
    return True
