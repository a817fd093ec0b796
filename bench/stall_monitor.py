"""Event-loop stall measurement for ``bench/responsiveness.py`` (a benchmark helper, not a test).

A ``QTimer`` ticks every 10 ms on the GUI thread; every tick records ``time.perf_counter()``. While
the loop is free the gaps between ticks are ~10 ms; any work that holds the GUI thread shows up as one
long gap. ``run_case`` starts the ticking, schedules the action from inside the running loop (so the
action's own blocking time is measured too), and keeps the loop running until a condition says the
work is finished (results shown), or until a timeout.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer

TICK_MS = 10
POLL_MS = 5
SAMPLE_MS = 5
STALL_MS = 30  # a gap this long is a stall worth blaming on the code running in it
_ROOT = str(Path(__file__).resolve().parents[1])
OUTSIDE = "(no desktop_app frame: Qt itself, or waiting for the GIL held by worker threads)"


@dataclass
class Stalls:
    gaps_ms: list[float]
    duration_s: float
    finished: bool  # False: the condition never held before the timeout
    blame: Counter[str] = field(default_factory=Counter)  # where the GUI thread was, per 5 ms sample

    @property
    def over(self) -> int:
        """How many gaps were over the 50 ms target."""
        return sum(1 for gap in self.gaps_ms if gap > 50)

    def culprits(self, count: int = 3) -> list[tuple[str, float]]:
        """The project's own functions the GUI thread was in during stalls, with ~ms spent there."""
        return [(where, n * SAMPLE_MS) for where, n in self.blame.most_common(count)]

    @property
    def longest_ms(self) -> float:
        return max(self.gaps_ms, default=0.0)

    @property
    def p99_ms(self) -> float:
        if len(self.gaps_ms) < 2:
            return self.longest_ms
        return statistics.quantiles(self.gaps_ms, n=100, method="inclusive")[98]


def _describe(frame: Any) -> str:
    short = frame.f_code.co_filename[len(_ROOT) + 1 :]
    return f"{frame.f_code.co_qualname} ({short}:{frame.f_lineno})"


def _where(frame: Any) -> str | None:
    """The innermost frame in the project's own code (desktop_app/), and, when that is not window
    code, the innermost desktop_app/ui/ frame that called it: "what blocked ← which UI code"."""
    inner: Any = None
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_ROOT) and "/desktop_app/" in path:
            if inner is None:
                inner = frame
                if "/desktop_app/ui/" in path:
                    break
            elif "/desktop_app/ui/" in path:
                return f"{_describe(inner)} ← {_describe(frame)}"
        frame = frame.f_back
    return _describe(inner) if inner is not None else None


class StallMonitor:
    """Records the gaps between ticks of a 10 ms timer on the GUI thread.

    A sampling thread looks at the GUI thread's stack every 5 ms while no tick has come for 30 ms,
    and counts which of the project's functions it is in: the stall's likely cause.
    """

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.gaps_ms: list[float] = []
        self.blame: Counter[str] = Counter()
        self._gui_id = threading.get_ident()
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_MS / 1000):
            if (time.perf_counter() - self._last) * 1000 < STALL_MS:
                continue
            frame = sys._current_frames().get(self._gui_id)
            where = _where(frame) or OUTSIDE
            self.blame[where] += 1

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps_ms, self.blame = [], Counter()
        self._last = time.perf_counter()
        self._timer.start()
        self._stop.clear()
        self._sampler = threading.Thread(target=self._sample, name="stall-sampler", daemon=True)
        self._sampler.start()

    def stop(self) -> list[float]:
        self._tick()  # the time since the last tick counts too (a stall right at the end)
        self._timer.stop()
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join()
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
    return Stalls(gaps, time.perf_counter() - begin, finished, monitor.blame)


def idle(seconds: float) -> Stalls:
    """The idle loop's own gaps: how noisy this machine is right now."""
    return run_case(lambda: None, lambda: False, timeout_s=seconds, settle_s=0.0)
