"""Nothing in the window is cut off at its smallest size (880×600), at 100% and at 200% scaling:
every label either fits or wraps, every button shows its whole text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from tests.ui.widget_walk import clipped_texts

ROOT = Path(__file__).resolve().parents[2]

WALK_THE_WINDOW = textwrap.dedent(
    """
    import json, os, sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from desktop_app.credentials import ProfileStore, SecretStore
    from desktop_app.history import History
    from desktop_app.ui import theme
    from desktop_app.ui.main_window import MainWindow
    from tests.keyring_double import MemoryKeyring
    from tests.ui.widget_walk import clipped_texts

    theme.install(app, "light")
    window = MainWindow(store=ProfileStore(), secrets=SecretStore(MemoryKeyring()), history=History(),
                        env={}, demo=True)
    window.resize(880, 600)
    window.show()

    def settle(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()

    settle(1.0)
    window.form.customer.set_text("+919876543210")
    window.place_call()
    settle(1.5)
    window.status_panel.details_toggle.setChecked(True)
    found = {}
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        settle(0.5)
        found[window.tabs.tabText(index).replace("&", "")] = clipped_texts(window)
    window.shutdown()
    print("RESULT " + json.dumps(found))
    os._exit(0)
    """
)


def walk_at(scale: str, tmp_path: Path) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPDIAL_")}
    env.update(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale, OPDIAL_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", WALK_THE_WINDOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_the_detector_sees_a_cut_off_label_button_and_field(qtbot) -> None:
    """The walk below would prove nothing if it could not see clipping at all."""
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    label = QLabel("A sentence far too long for its box")
    button = QPushButton("Create and start the campaign")
    field = QLineEdit("09:00-21:00")  # once shown as "1:00" in the Campaigns tab
    for widget in (label, button, field):
        widget.setFixedWidth(40)
        layout.addWidget(widget)
    root.show()
    assert len(clipped_texts(root)) == 3


def test_nothing_is_cut_off_at_100_percent(tmp_path) -> None:
    assert walk_at("1", tmp_path) == {"Dial": [], "History": [], "Campaigns": []}


def test_nothing_is_cut_off_at_200_percent(tmp_path) -> None:
    assert walk_at("2", tmp_path) == {"Dial": [], "History": [], "Campaigns": []}
