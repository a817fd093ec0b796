"""The window and OpDial's files: a data folder that cannot be written gets a dialog that says what and
where (not "no window at all"), damaged files set aside at start are said in a dialog, and a keyring
backend that fails to start is explained in the window, never the crash dialog.

Each runs ``opdial`` in its own process (as test_app_entry does): ``QApplication.exec()`` must not
leave the test process's application closing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from desktop_app.credentials import Profile, ProfileStore

REPO = Path(__file__).resolve().parents[2]

DRIVER = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from desktop_app.ui import app as app_module
    from desktop_app.ui import crash

    seen = {"boxes": [], "crashed": False}
    shown_crash = crash.handle_exception

    def record_crash(*args):
        seen["crashed"] = True
        shown_crash(*args)

    def look_for_boxes():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                seen["boxes"].append({"title": widget.windowTitle(), "text": widget.text()})
                widget.done(0)

    def poll():
        look_for_boxes()
        QTimer.singleShot(100, poll)

    def hook(app, window, options):
        sys.excepthook = record_crash
        def finish():
            look_for_boxes()
            seen["resolve_error"] = window.resolve_error
            seen["window"] = True
            QApplication.quit()
        QTimer.singleShot(800, finish)

    made = app_module.create_app

    def create_app(*args, **kwargs):  # poll once the app exists; the timer also fires inside a dialog
        app = made(*args, **kwargs)
        QTimer.singleShot(100, poll)
        return app

    app_module.STARTUP_HOOKS.append(hook)
    app_module.create_app = create_app
    seen["code"] = app_module.run_gui(sys.argv[1:], use_launcher=False)
    print("RESULT " + json.dumps(seen))
    """
)


def run_opdial(data_dir: Path, **extra_env: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPDIAL_")}
    env.update(OPDIAL_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen", **extra_env)
    done = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=60, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-2000:]
    seen = json.loads(lines[-1][len("RESULT ") :])
    seen["stderr"] = done.stderr
    return seen


def test_a_data_folder_that_cannot_be_written_gets_a_dialog_that_says_what_and_where(
    isolated_data_dir: Path,
) -> None:
    isolated_data_dir.parent.mkdir(parents=True, exist_ok=True)
    isolated_data_dir.write_text("a file where the folder should be", encoding="utf-8")

    seen = run_opdial(isolated_data_dir)

    assert seen["code"] == 2 and not seen.get("window")
    [box] = seen["boxes"]
    assert box["title"] == "OpDial cannot start"
    assert str(isolated_data_dir) in box["text"] and "a file is in the way" in box["text"]
    assert "logging to the terminal instead" in seen["stderr"] and "Traceback" not in seen["stderr"]


def test_a_history_file_that_cannot_be_opened_gets_the_same_dialog_and_exit_code(
    isolated_data_dir: Path,
) -> None:
    # The history is opened just after the first paint: the window then goes away and says why.
    (isolated_data_dir / "data" / "history.sqlite3").mkdir(parents=True)

    seen = run_opdial(isolated_data_dir)

    assert seen["code"] == 2 and not seen.get("window") and not seen["crashed"]
    [box] = seen["boxes"]
    assert box["title"] == "OpDial cannot start"
    assert "history.sqlite3" in box["text"] and "Traceback" not in seen["stderr"]


def test_damaged_settings_found_at_start_are_said_in_a_dialog(isolated_data_dir: Path) -> None:
    store = ProfileStore()
    store.save(Profile(name="Acme", company_id="c-1", public_ivr_id="ivr-1"))
    store.path.write_text("{ not json", encoding="utf-8")

    seen = run_opdial(isolated_data_dir)

    assert seen["code"] == 0 and seen["window"]
    texts = [b["text"] for b in seen["boxes"] if b["title"] == "OpDial repaired damaged files"]
    assert len(texts) == 1 and "settings file" in texts[0] and "restored" in texts[0] and "Acme" in texts[0]
    assert ProfileStore().names() == ["Acme"]


def test_a_keyring_backend_that_fails_to_start_is_explained_not_a_crash(
    isolated_data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "broken_keyring.py").write_text(
        "from keyring.backend import KeyringBackend\n"
        "class Keyring(KeyringBackend):\n"
        "    priority = 10\n"
        "    def __init__(self):\n"
        "        raise RuntimeError('the keyring daemon exploded')\n"
        "    def get_password(self, s, u): ...\n"
        "    def set_password(self, s, u, p): ...\n"
        "    def delete_password(self, s, u): ...\n",
        encoding="utf-8",
    )
    ProfileStore().save(Profile(name="Acme", company_id="c-1", public_ivr_id="ivr-1"))

    seen = run_opdial(
        isolated_data_dir,
        PYTHON_KEYRING_BACKEND="broken_keyring.Keyring",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]),
    )

    assert seen["code"] == 0 and seen["window"] and not seen["crashed"]
    assert "keyring could not be started" in seen["resolve_error"] and "exploded" in seen["resolve_error"]
    assert "Traceback" not in seen["stderr"]


def test_a_storage_error_at_work_gets_words_not_the_crash_dialog(qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop_app import storage
    from desktop_app.ui import crash

    seen: list[tuple[str, str, bool]] = []

    def close_it() -> None:
        box = QApplication.activeModalWidget()
        seen.append(
            (box.windowTitle(), box.text(), isinstance(box, crash.CrashDialog)) if box else ("", "", True)
        )
        if box:
            box.close() if not isinstance(box, QMessageBox) else box.done(0)

    error = storage.storage_error("save the settings file", "/nowhere/settings.json", OSError(28, "full"))
    QTimer.singleShot(200, close_it)
    crash.handle_exception(type(error), error, None)

    assert seen == [("OpDial cannot save", str(error), False)]
    assert "the disk is full" in str(error) and "/nowhere/settings.json" in str(error)


def test_opening_a_damaged_campaign_in_the_window_says_so(qtbot, sandbox) -> None:
    from desktop_app.credentials import Resolved
    from desktop_app.ui.campaigns_view import CampaignsView
    from tests.campaign_helpers import make_campaign, numbers

    account = sandbox.account
    profile = Profile(name="Acme", company_id=account.company_id, public_ivr_id=account.public_ivr_id)
    path = make_campaign(numbers(2))
    path.write_bytes(b"garbage " * 500)  # before the view exists: its campaign list reads journals too
    view = CampaignsView(lambda: Resolved(profile=profile, account=account, sources={}))
    qtbot.addWidget(view)
    try:
        view.open_campaign(path.stem)
        assert f"Campaign {path.stem} is damaged" in view.status.text()
        assert view.current_id is None
    finally:
        view.shutdown(timeout_s=10)
