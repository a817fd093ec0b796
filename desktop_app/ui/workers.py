"""Run blocking work (HTTP calls, SQLite, file export) off the GUI thread.

``TaskRunner.start(fn)`` runs ``fn(cancel_event)`` on a private ``QThreadPool`` and returns a
``Task`` whose signals deliver the result on the GUI thread. The runner keeps every ``Task``
alive until its result has been delivered, so closing a window while a call is in flight never
emits into a deleted object; ``shutdown()`` cancels and waits for everything.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Work = Callable[[threading.Event], Any]


class Task(QObject):
    """One piece of background work. Connect to the signals before the work can finish."""

    succeeded = Signal(object)
    failed = Signal(str)  # redacted traceback
    finished = Signal()  # after succeeded or failed
    _returned = Signal()  # emitted on the worker thread, delivered queued to the GUI thread

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_event = threading.Event()
        self.done_event = threading.Event()
        self.result: Any = None
        self.error: str | None = None
        # A bound method of a QObject living on the GUI thread: the connection is queued, so
        # the public signals (and any lambda connected to them) always run on the GUI thread.
        self._returned.connect(self._deliver)

    def _deliver(self) -> None:
        if self.error is None:
            self.succeeded.emit(self.result)
        else:
            self.failed.emit(self.error)
        self.finished.emit()

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the work itself has returned (not until signals were delivered)."""
        return self.done_event.wait(timeout_s)


class _Runnable(QRunnable):
    def __init__(self, task: Task, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._work = work

    def run(self) -> None:
        task = self._task
        try:
            task.result = self._work(task.cancel_event)
        except BaseException:  # report everything; a worker must never die silently
            from desktop_app.logging_setup import redact  # with the first failure, not at start-up

            task.error = redact(traceback.format_exc())
            log.error("background task %s failed:\n%s", task.name, task.error)
        finally:
            task.done_event.set()
        try:
            task._returned.emit()
        except RuntimeError:  # its window was closed and deleted while this ran: nobody to tell
            log.debug("background task %s finished after its owner was deleted", task.name)


class TaskRunner(QObject):
    """Owns the worker threads and the tasks still in flight."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tasks: set[Task] = set()

    def start(self, name: str, work: Work) -> Task:
        task = Task(name)
        self._tasks.add(task)
        task.finished.connect(lambda: self._tasks.discard(task))
        self._pool.start(_Runnable(task, work))
        return task

    @property
    def busy(self) -> bool:
        return any(not t.done_event.is_set() for t in self._tasks)

    @property
    def idle(self) -> bool:
        """No work running and no result still waiting to be delivered."""
        return not self._tasks

    def in_flight(self) -> list[Task]:
        return [t for t in self._tasks if not t.done_event.is_set()]

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def shutdown(self, timeout_s: float = 30.0, *, grace_s: float = 0.0) -> bool:
        """Cancel everything and wait for the threads; True when all work returned in time.

        ``grace_s``: first let work in flight finish uncancelled for up to that long (a call's
        cancel cuts its attempt, which would turn an answer on its way into an unknown outcome).
        """
        if grace_s > 0 and self._pool.waitForDone(int(grace_s * 1000)):
            return True
        self.cancel_all()
        return self._pool.waitForDone(int(timeout_s * 1000))
