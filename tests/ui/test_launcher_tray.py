"""The tray: quick actions, profile switching, close-to-tray explained once, Quit still quits.

The offscreen platform has no system tray and no window manager, so these tests tell
``CloseToTray`` that a tray exists (``tray_is_available``) and deliver the window manager's
close (a spontaneous ``QCloseEvent``, which only a real window system sends) through
``close_from_title_bar``; everything else — the icon, its menu, the window — is real.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication

from desktop_app.credentials import Profile, ProfileStore
from desktop_app.ui import icons
from desktop_app.ui.tray import CloseToTray, Tray
from desktop_app.ui.tray_prefs import PREF_CLOSE_EXPLAINED, PREF_CLOSE_TO_TRAY


def make_tray(window) -> Tray:
    tray = Tray(icons.app_icon(), window.profile_entries, lambda: window.profile_combo.currentText() or None)
    tray.show()
    return tray


@pytest.fixture
def tray_and_filter(window, store: ProfileStore):
    tray = make_tray(window)
    quits: list[bool] = []
    close_filter = CloseToTray(
        window,
        tray,
        store.get_pref,
        store.set_pref,
        tray_is_available=lambda: True,
        quit_app=lambda: quits.append(True),
    )
    yield tray, close_filter, quits
    close_filter.detach()
    tray.icon.hide()


def close_from_title_bar(window, close_filter: CloseToTray) -> None:
    """What the title-bar button does: a spontaneous close event, then Qt's own handling."""
    event = QCloseEvent()
    if not close_filter.on_close(event, from_window_manager=True):
        window.close()


def menu_texts(tray: Tray) -> list[str]:
    return [a.text() for a in tray.menu.actions() if not a.isSeparator()]


def test_the_menu_offers_the_quick_actions(qtbot, window) -> None:
    tray = make_tray(window)
    assert menu_texts(tray) == [
        "Dial number from clipboard\tCtrl+Shift+V",
        "Show OpDial",
        "Switch profile",
        "Quit OpDial",
    ]
    for action, signal in (
        (tray.dial_action, tray.dial_clipboard_requested),
        (tray.show_action, tray.show_window_requested),
        (tray.quit_action, tray.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()


def test_switch_profile_lists_profiles_with_the_current_one_checked(
    qtbot, window, store: ProfileStore, sandbox_profile
) -> None:
    store.save(Profile(**{**sandbox_profile.to_dict(), "name": "Beta Support"}))
    window.reload_profiles()
    tray = make_tray(window)
    tray.refresh_profiles()
    entries = {a.text(): a.isChecked() for a in tray.profiles_menu.actions()}
    assert entries == {"Acme Sales": True, "Beta Support": False}
    with qtbot.waitSignal(tray.profile_chosen, timeout=1000) as chosen:
        next(a for a in tray.profiles_menu.actions() if a.text() == "Beta Support").trigger()
    assert chosen.args == ["Beta Support"]


def test_closing_the_window_hides_it_to_the_tray_and_explains_once(
    qtbot, window, store, tray_and_filter
) -> None:
    _tray, close_filter, quits = tray_and_filter
    explained: list[bool] = []
    close_filter.explained.connect(lambda: explained.append(True))

    close_from_title_bar(window, close_filter)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
    assert not window._closing  # not shut down: calls and the demo keep running
    assert store.get_pref(PREF_CLOSE_EXPLAINED) is True

    window.show_and_raise()
    qtbot.waitExposed(window)
    close_from_title_bar(window, close_filter)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
    assert explained == [True]  # the explanation came only the first time
    qtbot.wait(20)
    assert quits == []
    assert not QApplication.quitOnLastWindowClosed()  # a dialog from the tray must not end OpDial


def test_quit_really_closes_and_quits(qtbot, window, tray_and_filter) -> None:
    tray, _filter, quits = tray_and_filter
    tray.quit_requested.connect(window.close)
    tray.quit_action.trigger()
    qtbot.waitUntil(lambda: quits == [True], timeout=2000)
    assert window._closing and not window.isVisible()


def test_quit_from_the_tray_while_hidden_quits(qtbot, window, tray_and_filter) -> None:
    tray, close_filter, quits = tray_and_filter
    close_from_title_bar(window, close_filter)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
    tray.quit_requested.connect(window.close)
    tray.quit_action.trigger()
    assert quits == [True] and window._closing


def test_with_close_to_tray_turned_off_the_close_button_closes(qtbot, window, store, tray_and_filter) -> None:
    _tray, close_filter, quits = tray_and_filter
    store.set_pref(PREF_CLOSE_TO_TRAY, False)
    close_from_title_bar(window, close_filter)
    qtbot.waitUntil(lambda: quits == [True], timeout=2000)
    assert window._closing
