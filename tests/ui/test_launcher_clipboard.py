"""Dial from the clipboard: messy copies normalised, clear refusals, a call only after confirmation."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QClipboard, QGuiApplication

from desktop_app.links import LinkError
from desktop_app.ui.clipboard import (
    ClipboardEmpty,
    GlobalHotkey,
    clipboard_texts,
    dial_clipboard,
    intake_from_clipboard,
    os_shortcut_help,
)
from tests.ui.conftest import CUSTOMER

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clipboard(qapp) -> QClipboard:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


class SelectionClipboard:
    """A clipboard with an X11 primary selection. The offscreen platform has none, so this stands
    in for the one case the real clipboard cannot produce here."""

    def __init__(self, clipboard: str, selection: str) -> None:
        self.texts = {QClipboard.Mode.Clipboard: clipboard, QClipboard.Mode.Selection: selection}

    def supportsSelection(self) -> bool:
        return True

    def text(self, mode: QClipboard.Mode) -> str:
        return self.texts[mode]


@pytest.mark.parametrize(
    ("copied", "e164"),
    [
        ("  +91 98765-43210\n", "+919876543210"),
        ("098765 43210", "+919876543210"),
        ("(0) 98765.43210", "+919876543210"),
        ("tel:+1%20415%20555%200123", "+14155550123"),
        ("CALLTO://+44 20 7946 0000", "+442079460000"),
    ],
)
def test_messy_copies_become_e164(clipboard: QClipboard, copied: str, e164: str) -> None:
    clipboard.setText(copied)
    intake, where = intake_from_clipboard("IN")
    assert (intake.number.e164, where) == (e164, "the clipboard")


def test_an_empty_clipboard_says_so(clipboard: QClipboard) -> None:
    with pytest.raises(ClipboardEmpty, match="The clipboard is empty"):
        intake_from_clipboard("IN")


def test_text_that_is_not_a_number_is_refused_with_the_reason(clipboard: QClipboard) -> None:
    clipboard.setText("mailto:asha@example.com")
    with pytest.raises(LinkError, match="e-mail address"):
        intake_from_clipboard("IN")
    clipboard.setText("Dear customer, " * 30)
    with pytest.raises(LinkError, match="long text"):
        intake_from_clipboard("IN")


def test_the_x11_selection_is_read_after_the_clipboard() -> None:
    board = SelectionClipboard(clipboard="meeting at 10", selection="+91 98765 43210")
    assert clipboard_texts(board) == [
        ("the clipboard", "meeting at 10"),
        ("the selected text", "+91 98765 43210"),
    ]
    intake, where = intake_from_clipboard("IN", board)
    assert (intake.number.e164, where) == (CUSTOMER, "the selected text")
    both = SelectionClipboard(clipboard="+14155550123", selection="+91 98765 43210")
    assert intake_from_clipboard("IN", both)[0].number.e164 == "+14155550123"


X11_SELECTION_SCRIPT = """
import sys
from PySide6.QtGui import QClipboard
from PySide6.QtWidgets import QApplication
from desktop_app.ui.clipboard import intake_from_clipboard
app = QApplication([])
board = app.clipboard()
board.setText(sys.argv[1], QClipboard.Mode.Clipboard)
board.setText(sys.argv[2], QClipboard.Mode.Selection)
intake, where = intake_from_clipboard("IN")
print(board.supportsSelection(), intake.number.e164, where)
"""


@pytest.fixture
def x_display() -> str:
    """A private Xvfb server: the X11 primary selection exists only on a real X display."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb not installed")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "640x480x24"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        assert ready, "Xvfb did not start"
        number = os.read(read_end, 16).decode().strip()
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=10)


def test_the_real_x11_selection_is_read(x_display: str) -> None:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", X11_SELECTION_SCRIPT, "lunch at 1", "+91 98765 43210"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "Could not load the Qt platform plugin" in done.stderr:
        pytest.skip("Qt's xcb plugin cannot load here (libxcb-cursor0 missing)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split(maxsplit=2) == ["True", CUSTOMER, "the selected text"]


def test_dial_clipboard_shows_the_number_and_calls_after_confirmation(qtbot, window, sandbox, clipboard):
    clipboard.setText("098765 43210")
    dialog = dial_clipboard(window)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.source_label.text() == "From the clipboard:"
    assert dialog.details_label.text() == "+919876543210 · India · Mobile"
    assert not dialog.counting_down  # a copied number always asks
    assert sandbox.accepted_calls == []

    with qtbot.waitSignal(window.call_finished, timeout=10_000):
        dialog.call_button.click()
    assert [call["number"] for call in sandbox.accepted_calls] == [CUSTOMER]


def test_nothing_callable_on_the_clipboard_is_explained_in_the_window(qtbot, window, clipboard):
    clipboard.setText("order #12")
    assert dial_clipboard(window) is None
    assert window.link_bar.text().startswith("Not dialled: the clipboard holds no callable number.")
    clipboard.clear()
    assert dial_clipboard(window) is None
    assert window.link_bar.text() == "Not dialled: The clipboard is empty: copy a phone number first."


def test_the_global_hotkey_exists_only_where_the_os_offers_one(qapp) -> None:
    import sys

    hotkey = GlobalHotkey()
    registered = hotkey.register()
    hotkey.unregister()
    if sys.platform != "win32":
        assert not registered
        assert "opdial --dial-clipboard" in os_shortcut_help("linux")
        assert "--dial-clipboard" in os_shortcut_help("darwin")
