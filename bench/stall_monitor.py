"""Event-loop stall measurement for ``bench/responsiveness.py`` (a benchmark helper, not a test).

A ``QTimer`` ticks every 10 ms on the GUI thread; every tick records ``time.perf_counter()``. While
the loop is free the gaps between ticks are ~10 ms; any work that holds the GUI thread shows up as one
long gap. ``run_case`` starts the ticking, schedules the action from inside the running loop (so the
action's own blocking time is measured too), and keeps the loop running until a condition says the
work is finished (results shown), or until a timeout.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEventLoop, QTimer

TICK_MS = 10
POLL_MS = 5


@dataclass
class Stalls:
    gaps_ms: list[float]
    duration_s: float
    finished: bool  # False: the condition never held before the timeout

    @property
    def longest_ms(self) -> float:
        return max(self.gaps_ms, default=0.0)

    @property
    def p99_ms(self) -> float:
        if len(self.gaps_ms) < 2:
            return self.longest_ms
        return statistics.quantiles(self.gaps_ms, n=100, method="inclusive")[98]


class StallMonitor:
    """Records the gaps between ticks of a 10 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.gaps_ms: list[float] = []

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps_ms = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._tick()  # the time since the last tick counts too (a stall right at the end)
        self._timer.stop()
        return self.gaps_ms


def run_loop_until(done: Callable[[], bool], timeout_s: float) -> bool:
    """Run the Qt event loop until ``done()`` holds (checked every 5 ms) or the timeout passes."""
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    outcome = {"finished": False}

    def check() -> None:
        if done():
            outcome["finished"] = True
            loop.quit()
        elif time.monotonic() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setInterval(POLL_MS)
    poll.timeout.connect(check)
    poll.start()
    QTimer.singleShot(0, check)
    loop.exec()
    poll.stop()
    return outcome["finished"]


def run_case(
    action: Callable[[], object], done: Callable[[], bool], timeout_s: float = 120.0, settle_s: float = 0.1
) -> Stalls:
    """Tick, run ``action`` from inside the loop, keep ticking until ``done()``; return the gaps.

    ``settle_s`` of idle loop before the action makes sure the timer is ticking when it starts.
    """
    monitor = StallMonitor()
    started: dict[str, bool] = {"yes": False}

    def go() -> None:
        started["yes"] = True
        action()

    monitor.start()
    run_loop_until(lambda: False, settle_s)
    begin = time.perf_counter()
    QTimer.singleShot(0, go)
    finished = run_loop_until(lambda: started["yes"] and done(), timeout_s)
    gaps = monitor.stop()
    return Stalls(gaps, time.perf_counter() - begin, finished)


def idle(seconds: float) -> Stalls:
    """The idle loop's own gaps: how noisy this machine is right now."""
    return run_case(lambda: None, lambda: False, timeout_s=seconds, settle_s=0.0)
