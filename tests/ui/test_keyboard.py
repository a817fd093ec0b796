"""Keyboard-first: focus on launch, Enter and Ctrl+Return call, Ctrl+1/2/3 switch modes, Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from desktop_app.api.models import CallKind
from tests.ui.conftest import CUSTOMER

CTRL = Qt.KeyboardModifier.ControlModifier


def test_focus_starts_in_the_customer_number(qtbot, window):
    qtbot.waitUntil(window.form.customer.edit.hasFocus)


def test_typing_a_number_and_enter_places_the_call(qtbot, window, sandbox):
    qtbot.waitUntil(window.form.customer.edit.hasFocus)
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        qtbot.keyClicks(window.form.customer.edit, "9876543210")
        qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Return)
    assert sandbox.accepted_calls[-1]["number"] == CUSTOMER
    qtbot.waitUntil(window.form.customer.edit.hasFocus)  # ready for the next number


def test_ctrl_return_places_the_call_from_another_field(qtbot, window, sandbox):
    window.form.customer.edit.setText(CUSTOMER)
    window.form.agent_user_id.setFocus()
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        qtbot.keyClick(window.form.agent_user_id, Qt.Key.Key_Return, CTRL)
    assert len(sandbox.accepted_calls) == 1


def test_ctrl_digits_switch_modes(qtbot, window):
    for key, kind in (
        (Qt.Key.Key_2, CallKind.ANONYMOUS),
        (Qt.Key.Key_3, CallKind.IVR),
        (Qt.Key.Key_1, CallKind.USER),
    ):
        qtbot.keyClick(window.form.customer.edit, key, CTRL)
        assert window.form.kind is kind
        assert window.form.mode_buttons[kind].isChecked()


def test_escape_cancels_a_waiting_call(qtbot, make_window, sandbox, sandbox_profile):
    from desktop_app.api.client import ObdClient

    sandbox.faults.server_error = 1
    window = make_window(client_factory=lambda r: ObdClient(r.account, backoff_s=30))
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        window.form.call_button.click()
        qtbot.waitUntil(lambda: len(sandbox.received) == 1)
        qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Escape)
    assert blocker.args[0].problem.code == "cancelled"


def test_shortcuts_are_listed_under_help_including_added_ones(window):
    action = QAction("Dial number from clipboard", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+V"))
    window.addAction(action)  # as the launcher does

    text = window.shortcuts_text()
    for keys in ("Ctrl+Return", "Ctrl+1", "Esc", "Ctrl+H", "Ctrl+Shift+V\tDial number from clipboard"):
        assert keys in text


def test_tab_order_reaches_call_from_the_number(qtbot, window):
    window.form.customer.edit.setText(CUSTOMER)
    window.form.customer.edit.setFocus()
    seen: list[QWidget] = []
    for _ in range(6):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        seen.append(window.focusWidget())
    assert window.form.call_button in seen


def test_the_window_size_and_the_dial_split_are_remembered_between_runs(qtbot, make_window, sandbox_profile):
    first = make_window()
    first.resize(900, 650)  # the offscreen screen is 800×800 and the window at least 880 wide
    first.move(0, 0)
    first.dial_page.setSizes([300, 600])
    qtbot.wait(50)
    sizes = first.dial_page.sizes()
    first.close()  # saved on close, in the settings file

    second = make_window()  # make_window resizes to 1000×700; a run starts with restore_layout()
    second.restore_layout()
    qtbot.wait(50)
    assert second.height() == 650  # make_window built it 700 high
    assert second.dial_page.sizes()[0] == sizes[0]  # the form side as the agent left it


def test_a_damaged_saved_layout_is_ignored(qtbot, make_window, store, sandbox_profile):
    store.set_pref("window_geometry", "not base64 at all!")
    store.set_pref("dial_splitter", 42)
    window = make_window()
    window.restore_layout()  # no exception, the window as built
    assert window.isVisible()
