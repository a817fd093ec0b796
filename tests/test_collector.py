"""Start-up and bulk work on workers pause the cyclic garbage collector, whose full passes hold the GIL."""

from __future__ import annotations

import gc
import threading

from desktop_app import collector


def test_the_collector_is_paused_until_the_last_bulk_job_ends_then_what_they_built_is_frozen():
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    first_inside, second_done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector.paused():
            first_inside.set()
            second_done.wait(10)
            seen["paused after the second ended"] = not gc.isenabled()
            seen["built"] = bool([[str(i)] for i in range(10_000)])

    worker = threading.Thread(target=first)
    worker.start()
    first_inside.wait(10)
    with collector.paused():
        seen["paused while both run"] = not gc.isenabled()
    second_done.set()
    worker.join(10)

    assert seen == {"paused while both run": True, "paused after the second ended": True, "built": True}
    assert gc.isenabled() and gc.get_freeze_count() > frozen_before
    gc.unfreeze()  # the test process: let later tests' garbage be collected as usual


def test_the_collector_comes_back_when_the_bulk_job_fails():
    try:
        with collector.paused():
            raise ValueError("a broken list")
    except ValueError:
        pass
    assert gc.isenabled()
    gc.unfreeze()


def test_the_pause_for_start_lasts_through_a_bulk_job_and_ends_once():
    collector.pause_for_start()
    collector.pause_for_start()  # a second call does not need a second end
    with collector.paused():  # a list import while the window is still being built
        pass
    assert not gc.isenabled()  # the start is not over yet
    collector.end_start_pause()
    assert gc.isenabled()
    collector.end_start_pause()  # the window's own end, in a process that paused nothing: no-op
    assert gc.isenabled()
    gc.unfreeze()
