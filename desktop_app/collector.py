"""Pausing Python's cyclic garbage collector while many long-lived objects are built.

A full pass of the collector holds the GIL, so its length is a pause for the window too, even when
a worker runs it, and it grows with every object it looks at. Start-up (modules, classes, Qt's
enums, the window's wrappers) and bulk work on a worker (a 100,000-row list) build many objects
and few reference cycles: the passes over them find almost nothing to free. So the collector is
paused meanwhile, and when the last pause ends what was built is frozen out of later passes
(``gc.freeze``). It is still freed as usual once unused: without cycles, reference counting frees it.
Qt-free, so ``__main__`` can pause before PySide6 loads.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_pauses = 0
_lock = threading.Lock()
_start_paused = False


def pause() -> None:
    global _pauses
    with _lock:
        _pauses += 1
        gc.disable()


def resume() -> None:
    """End one pause; after the last, freeze what was built and let the collector run again."""
    global _pauses
    with _lock:
        _pauses -= 1
        if _pauses == 0:
            gc.freeze()
            gc.enable()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    pause()
    try:
        yield
    finally:
        resume()


def pause_for_start() -> None:
    """From the process's first line to the window's first paint and the rest of it being built
    (~5 ms of passes before the paint; issue 12). Ended by ``end_start_pause``."""
    global _start_paused
    if not _start_paused:
        _start_paused = True
        pause()


def end_start_pause() -> None:
    """Start-up is over: its objects are frozen out of later passes, and the pause
    ``pause_for_start`` began ends (a window started in-process, as tests do, began none)."""
    global _start_paused
    if _start_paused:
        _start_paused = False
        resume()  # freezes what was built (once no bulk job still holds a pause)
    else:
        gc.freeze()
