"""``opdial`` itself, in a separate process: run_gui builds the app and window, honours --demo and a
link, never dials a link by itself, and stops the demo sandbox on exit.

A separate process because ``QApplication.exec()``/``quit()`` would leave the test process's
application in its "closing" state for the tests that follow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

DRIVER = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui import app as app_module

    seen = {}

    def hook(app, window, options):
        def look():
            seen["url"] = window.resolved.account.api_url if window.resolved else None
            seen["running"] = bool(window.demo_session and window.demo_session.running)
            parsed = window.form.customer.parsed
            seen["number"] = parsed.e164 if parsed else None
            seen["bar"] = window.link_bar.text()
            seen["received"] = len(window.demo_session.server.call_requests) if window.demo_session else None
            seen["title"] = window.windowTitle()
            seen["visible"] = window.isVisible()
            seen["switch_interval"] = sys.getswitchinterval()
            QApplication.quit()
        QTimer.singleShot(300, look)

    app_module.STARTUP_HOOKS.append(hook)
    code = app_module.run_gui(sys.argv[1:], use_launcher=False)
    from desktop_app.ui.main_window import MainWindow
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    seen["stopped"] = all(not (w.demo_session and w.demo_session.running) for w in windows)
    seen["code"] = code
    print("RESULT " + json.dumps(seen))
    """
)


def run_opdial(args: list[str], data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPDIAL_")}
    env.update(OPDIAL_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *args], capture_output=True, text=True, timeout=60, env=env
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_demo_with_a_link_prefills_and_asks_then_stops_the_sandbox(isolated_data_dir):
    seen = run_opdial(["--demo", "tel:+91-98765-43210"], isolated_data_dir)

    assert seen["code"] == 0 and seen["title"] == "OpDial" and seen["visible"]
    assert seen["switch_interval"] <= 0.001  # the GUI thread gets the GIL back fast (see create_app)
    assert seen["running"] and seen["url"].startswith("http://127.0.0.1:")
    assert seen["number"] == "+919876543210" and "press Enter to call" in seen["bar"]
    assert seen["received"] == 0  # a link never dials by itself
    assert seen["stopped"]
    assert (isolated_data_dir / "logs" / "opdial.log").exists()


def test_a_link_that_is_not_a_number_is_explained(isolated_data_dir):
    seen = run_opdial(["--demo", "mailto:someone@example.com"], isolated_data_dir)
    assert seen["bar"].startswith("Not dialled:")
