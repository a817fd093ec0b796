"""Start-up order: the Dial form paints first with the focus in the customer number; History, the
result panel, menus, phone-number parsing, the launcher's server and the keyring come after that
paint. A number typed before then is kept and checked, and a link clicked while OpDial is still
starting is handed to it instead of opening a second window.

Real processes (``opdial`` as an agent starts it), because what a start-up loads is a property of
a fresh interpreter; the speed itself is ``bench/packaging_budget.py``'s, not a test's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop_app.credentials import Profile, ProfileStore
from desktop_app.instance_lock import Claim, InstanceLock

REPO = Path(__file__).resolve().parents[2]

# Loaded only after the first paint: each is a measured cost the first paint does not need.
NOT_BEFORE_THE_FIRST_PAINT = (
    "phonenumbers",  # numbers are checked from the first keystroke or just after the paint
    "desktop_app.numbers",
    "desktop_app.ui.status_panel",
    "desktop_app.ui.history_view",
    "desktop_app.ui.call_guard",
    "desktop_app.ui.single_instance",  # the launcher's server listens after the paint
    "PySide6.QtNetwork",
    "desktop_app.ui.tray",
    "logging.handlers",  # the log file opens after the paint
    "desktop_app.logging_setup",
    "sqlite3",  # the history is opened just after the paint
    "desktop_app.history",
    "desktop_app.ui.launcher",  # needed before the paint only to hand a launch over (or on macOS)
    "desktop_app.ui.first_run",  # only when there is no profile
    "keyring",  # the secrets are read on a worker after the paint
    "desktop_app.credentials",  # the keyring side; the first paint lists profiles from settings only
    "httpx",  # with the first call
    "desktop_app.api.models",  # the request schema's dataclasses (~2.5 ms): with the first call
    "signal",  # Ctrl+C in a terminal quits cleanly once the window is up
    "unicodedata",  # a profile name is checked when it is saved
    "glob",  # only to find a damaged file another process set aside
)

DRIVER = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow
    from desktop_app.ui import app as app_module, theme

    WATCHED = json.loads(sys.argv[1])
    TYPED = sys.argv[2]
    seen = {}

    def typed_before_the_rest(window):
        seen["built_when_typing"] = window.built
        QTest.keyClicks(window.form.customer.edit, TYPED)

    def look(window):
        seen["built"] = window.built
        seen["text"] = window.form.customer.edit.text()
        parsed = window.form.customer.parsed
        seen["e164"] = parsed.e164 if parsed else None
        seen["focus_after"] = QApplication.focusWidget() is window.form.customer.edit
        seen["menus"] = [a.text() for a in window.menuBar().actions()]
        seen["frozen"] = __import__("gc").get_freeze_count()
        seen["os_scheme_read"] = theme.theme().os_scheme_read
        QApplication.quit()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            first = "loaded" not in seen
            if first and event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
                QApplication.instance().removeEventFilter(self)
                seen["loaded"] = sorted(m for m in WATCHED if m in sys.modules)
                # PySide6 makes Qt's namespace (~90 Python enums, ~15 ms) on its first use
                seen["qt_namespace"] = "Qt" in vars(sys.modules["PySide6.QtCore"])
                seen["focus"] = QApplication.focusWidget() is watched.form.customer.edit
                seen["page"] = watched.pages.currentWidget() is watched.main_page
                # Posted before the window's own after-paint work (its paintEvent runs after filters).
                QTimer.singleShot(0, lambda: typed_before_the_rest(watched))
                QTimer.singleShot(1500, lambda: look(watched))
            return False

    def hook(app, window, options):
        app.installEventFilter(FirstPaint(app))

    app_module.STARTUP_HOOKS.append(hook)
    seen["code"] = app_module.run_gui(sys.argv[3:])
    print("RESULT " + json.dumps(seen))
    """
)


def opdial_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPDIAL_")}
    env.update(OPDIAL_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return env


@pytest.fixture
def agent_data_dir(isolated_data_dir: Path) -> Path:
    """An agent's OpDial: one saved profile (its secrets are read after the paint, wherever they are)."""
    ProfileStore().save(Profile(name="Acme Sales", company_id="c1", public_ivr_id="ivr1", user_id="u1"))
    return isolated_data_dir


def run_driver(script: str, data_dir: Path, *args: str) -> dict:
    """Run a driver script in a fresh interpreter on ``data_dir``; what it printed after RESULT."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True, text=True, timeout=60, env=opdial_env(data_dir), cwd=REPO,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def start_and_watch(data_dir: Path) -> dict:
    """Start OpDial on ``data_dir``, type a number just after the first paint; what DRIVER saw."""
    return run_driver(DRIVER, data_dir, json.dumps(NOT_BEFORE_THE_FIRST_PAINT), "98765 43210")


def test_the_dial_form_paints_first_and_keeps_what_is_typed_before_the_rest_is_built(agent_data_dir):
    seen = start_and_watch(agent_data_dir)

    assert seen["page"] and seen["focus"], "the first paint shows the Dial form, focus in the number"
    assert seen["loaded"] == [], f"loaded before the first paint: {seen['loaded']}"
    assert seen["qt_namespace"] is False  # the form names alignments & co. by string (set_by_name)
    assert seen["built_when_typing"] is False  # the agent typed before History and the rest existed
    assert seen["built"] and seen["menus"] == ["&File", "&Call", "&View", "&Help"]
    assert seen["frozen"] > 10_000  # start-up's objects are kept out of the collector's full passes
    assert seen["os_scheme_read"]  # until the paint the platform's palette stood in for it
    assert seen["e164"] == "+919876543210" and seen["focus_after"]  # kept, checked, still focused
    assert seen["code"] == 0


def test_the_first_run_page_paints_without_qts_namespace_too(isolated_data_dir):
    seen = start_and_watch(isolated_data_dir)  # no profile yet: the welcome page shows first
    assert seen["qt_namespace"] is False and seen["code"] == 0


THROUGH_MAIN = textwrap.dedent(
    """
    import gc, inspect, json, sys
    from desktop_app import __main__ as entry
    seen = {"read": []}
    real_getsource = inspect.getsource
    def getsource(obj):
        seen["read"].append(getattr(obj, "__name__", "?"))
        return real_getsource(obj)
    inspect.getsource = getsource  # PySide6's __feature__ hook looks it up on each call

    def watch(app, window, options):
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication

        def look():
            seen["collecting after"] = gc.isenabled()
            QApplication.quit()

        class FirstPaint(QObject):
            def eventFilter(self, watched, event):
                if event.type() == QEvent.Type.Paint and watched is window:
                    app.removeEventFilter(self)
                    seen["collecting at the paint"] = gc.isenabled()
                    QTimer.singleShot(1500, look)
                return False

        app.installEventFilter(FirstPaint(app))

    def add_watch():  # where __main__ adds its own probe: ui.app is loaded by then
        from desktop_app.ui.app import STARTUP_HOOKS
        STARTUP_HOOKS.append(watch)

    entry._add_startup_probe = add_watch
    seen["code"] = entry.main([])
    print("RESULT " + json.dumps(seen))
    """
)


def start_through_main(data_dir: Path) -> dict:
    """Start OpDial as ``python -m desktop_app`` does; what THROUGH_MAIN saw."""
    return run_driver(THROUGH_MAIN, data_dir)


def test_pyside6_reads_no_modules_source_on_the_way_to_the_first_paint(agent_data_dir):
    # Its __feature__ hook reads every imported module's source (~0.1 ms each); OpDial uses no
    # feature, so __main__ answers for it.
    seen = start_through_main(agent_data_dir)
    while_pyside6_itself_loads = {"shiboken6", "enum"}  # before the hook can be answered
    assert set(seen["read"]) <= while_pyside6_itself_loads and seen["code"] == 0, seen["read"]


def test_the_garbage_collector_waits_until_the_window_is_up_then_runs_again(agent_data_dir):
    # Start-up builds long-lived objects only: the collector's passes (~5 ms) would find nothing.
    seen = start_through_main(agent_data_dir)
    assert seen["collecting at the paint"] is False
    assert seen["collecting after"] is True  # never left off for the session
    assert seen["code"] == 0


def test_a_property_set_by_name_says_when_the_name_is_wrong(qapp):
    from PySide6.QtWidgets import QLabel

    from desktop_app.ui.widgets import set_by_name

    label = QLabel("x")
    set_by_name(label, "alignment", "AlignTop|AlignRight")
    assert int(label.alignment().value) == 0x20 | 0x02
    with pytest.raises(ValueError, match="alignment"):
        set_by_name(label, "alignment", "AlignMiddle")  # no such key: Qt would ignore it silently


SLOW_PRIMARY = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui import app as app_module
    from desktop_app.ui.link_confirm import LinkConfirmDialog

    def slow_start(app, window, options):  # a cold disk: the window is not even shown yet
        print("STARTING", flush=True)
        time.sleep(float(sys.argv[1]))

    def poll(window, deadline):
        dialogs = [d for d in window.findChildren(LinkConfirmDialog) if d.isVisible()]
        if dialogs or time.monotonic() > deadline:
            print("LINK " + (dialogs[0].number_label.text() if dialogs else "none"), flush=True)
            QApplication.quit()
        else:
            QTimer.singleShot(50, lambda: poll(window, deadline))

    def watch(app, window, options):
        QTimer.singleShot(0, lambda: poll(window, time.monotonic() + 30))

    app_module.STARTUP_HOOKS[:] = [slow_start, watch]
    sys.exit(app_module.run_gui([]))
    """
)


def test_a_link_clicked_while_opdial_is_still_starting_is_handed_to_it(isolated_data_dir):
    env = opdial_env(isolated_data_dir)
    primary = subprocess.Popen(
        [sys.executable, "-c", SLOW_PRIMARY, "2.0"], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert primary.stdout is not None and primary.stdout.readline().strip() == "STARTING"
        # The primary holds the lock but is not listening yet: the click must wait for it.
        second = subprocess.run(
            [sys.executable, "-m", "desktop_app", "callto://+14155550123"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr[-2000:]
        out, _ = primary.communicate(timeout=60)
    finally:
        if primary.poll() is None:
            primary.kill()
    assert "LINK +1 415-555-0123" in out


def test_the_instance_lock_is_held_for_the_life_of_the_process_and_dropped_by_a_crash(tmp_path):
    path = tmp_path / "opdial.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ours"
    mine = InstanceLock(path)
    assert mine.claim() is Claim.TAKEN  # starting or running: hand over, never a second primary
    holder.kill()  # a crash: no clean-up ran
    holder.wait(timeout=10)
    deadline = time.monotonic() + 5
    while mine.claim() is not Claim.OURS and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mine.claim() is Claim.OURS
    assert InstanceLock(path).claim() is Claim.TAKEN  # one primary, also within one process
    mine.release()
    assert InstanceLock(path).claim() is Claim.OURS


def test_without_a_writable_data_folder_the_lock_says_unknown(tmp_path, monkeypatch):
    assert InstanceLock(tmp_path / "missing" / "opdial.lock").claim() is Claim.UNKNOWN
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way")  # the data folder cannot be made: the window's dialog says so
    monkeypatch.setenv("OPDIAL_DATA_DIR", str(blocked))
    assert InstanceLock.in_data_dir().claim() is Claim.UNKNOWN


LOCK_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from desktop_app.instance_lock import InstanceLock
    lock = InstanceLock(Path(sys.argv[1]))
    print(lock.claim().value, flush=True)
    time.sleep(60)
    """
)


def test_the_work_waiting_for_the_paint_takes_one_turn_of_the_event_loop_per_piece(
    qtbot, store, secrets, history
):
    # Zero-timers queued together run in one pass, back to back: each piece queues the next only
    # when it is done, so a keystroke, a repaint or a timer gets in between.
    from PySide6.QtCore import QTimer

    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(store=store, secrets=secrets, history=history, env={})
    qtbot.addWidget(window)
    order: list[str] = []

    def first() -> None:
        order.append("first")
        QTimer.singleShot(0, lambda: order.append("timer queued by the first"))

    window.when_painted(first)
    window.when_painted(lambda: order.append("second"))
    window.show()
    qtbot.waitUntil(lambda: "second" in order, timeout=10_000)

    assert order == ["first", "timer queued by the first", "second"]
    window.shutdown(timeout_s=10)


def test_a_piece_that_goes_on_on_a_worker_holds_the_next_until_it_is_done(qtbot, store, secrets, history):
    # phonenumbers is imported on a worker after the paint (the window keeps ticking); History,
    # built next, needs it, so it waits for the worker rather than for the import lock.
    import threading

    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.workers import TaskRunner

    window = MainWindow(store=store, secrets=secrets, history=history, env={})
    qtbot.addWidget(window)
    loader = TaskRunner(window)
    release = threading.Event()
    order: list[str] = []

    def slow(_cancel) -> None:
        release.wait(10)
        order.append("worker done")

    window.when_painted(lambda: loader.start("slow", slow))
    window.when_painted(lambda: order.append("next piece"))
    window.show()
    qtbot.wait(200)
    assert order == []  # the next piece has not run while the worker is busy
    release.set()
    qtbot.waitUntil(lambda: "next piece" in order, timeout=10_000)

    assert order == ["worker done", "next piece"]
    window.shutdown(timeout_s=10)
