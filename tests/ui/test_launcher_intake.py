"""Every way a number reaches OpDial: command line, a second launch (a real process), the macOS open
event before the window exists, the clipboard shortcut — one intake function, always asking first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTimer, QUrl
from PySide6.QtGui import QFileOpenEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop_app.credentials import Profile, ProfileStore
from desktop_app.links import parse_intake
from desktop_app.ui import app as app_module
from desktop_app.ui.launcher import Launcher, LaunchRequest, handle_intake, link_text, switch_profile
from desktop_app.ui.link_confirm import LinkConfirmDialog
from tests.ui.conftest import CUSTOMER

REPO = Path(__file__).resolve().parents[2]


def open_dialogs(window) -> list[LinkConfirmDialog]:
    return [d for d in window.findChildren(LinkConfirmDialog) if d.isVisible()]


def wait_for_dialog(qtbot, window) -> LinkConfirmDialog:
    qtbot.waitUntil(lambda: len(open_dialogs(window)) == 1, timeout=20_000)
    return open_dialogs(window)[0]


@pytest.fixture
def second_launch():
    """``opdial ARGS`` as a clicked link starts it: a new process, same user and data folder.
    A launch that found no primary would open its own window; teardown ends any such process."""
    started: list[subprocess.Popen] = []

    def launch(*args: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
        process = subprocess.Popen([sys.executable, "-m", "desktop_app", *args], env=env, cwd=REPO)
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def attached(qapp, window):
    launcher = Launcher()
    launcher.install_early(qapp)
    assert launcher.attach(qapp, window, app_module.Options())
    yield launcher
    launcher.shutdown()
    qapp.removeEventFilter(launcher)
    app_module.set_intake_handler(app_module.default_intake)


def test_launch_requests_travel_as_json_and_bare_links_still_work() -> None:
    request = LaunchRequest(link="tel:+91 98765 43210", dial_clipboard=True)
    assert LaunchRequest.from_payload(request.payload()) == request
    assert LaunchRequest.from_payload("callto:+14155550123") == LaunchRequest(link="callto:+14155550123")
    assert LaunchRequest.from_payload(LaunchRequest().payload()) == LaunchRequest()


def test_the_intake_handler_prefills_and_asks(qtbot, window, sandbox) -> None:
    handle_intake(window, "TEL:%2B91%2098765%2043210")
    dialog = wait_for_dialog(qtbot, window)
    assert dialog.details_label.text() == "+919876543210 · India · Mobile"
    assert window.form.customer.parsed.e164 == CUSTOMER
    assert sandbox.accepted_calls == []


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("tel:", "empty"),
        ("callto:asha.rao", "user name"),
        ("tel:5550123;phone-context=example.com", "only works inside example.com"),
        ("https://example.com", "web link"),
    ],
)
def test_what_is_not_a_callable_number_is_refused_clearly(qtbot, window, link: str, reason: str) -> None:
    handle_intake(window, link)
    assert window.link_bar.text().startswith("Not dialled:")
    assert reason in window.link_bar.text()
    assert open_dialogs(window) == []


def test_a_second_launch_hands_its_link_to_the_running_window(
    qtbot, window, attached, sandbox, second_launch
) -> None:
    launch = second_launch("tel:+1-415-555-0123")
    dialog = wait_for_dialog(qtbot, window)
    assert launch.wait(timeout=30) == 0  # the second process exits as soon as it is acknowledged
    assert dialog.number_label.text() == "+1 415-555-0123"
    assert dialog.source_label.text() == "From a tel: link:"
    assert sandbox.accepted_calls == []


def test_a_plain_second_launch_brings_the_window_back(qtbot, window, attached, second_launch) -> None:
    window.hide()
    launch = second_launch()
    qtbot.waitUntil(window.isVisible, timeout=20_000)
    assert launch.wait(timeout=30) == 0


def test_a_second_launch_with_dial_clipboard_dials_in_the_running_window(
    qtbot, window, attached, second_launch
) -> None:
    QGuiApplication.clipboard().setText("+44 20 7946 0000")
    launch = second_launch("--dial-clipboard")
    dialog = wait_for_dialog(qtbot, window)
    assert launch.wait(timeout=30) == 0
    assert dialog.source_label.text() == "From the clipboard:"
    assert dialog.details_label.text().startswith("+442079460000 · United Kingdom")


def test_a_macos_open_event_before_the_window_exists_waits_for_it(qtbot, qapp, window) -> None:
    launcher = Launcher()
    launcher.install_early(qapp)
    try:
        QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl("tel:+919876543210")))
        assert launcher._pending == [LaunchRequest(link="tel:+919876543210")]
        assert launcher.attach(qapp, window, app_module.Options())
        dialog = wait_for_dialog(qtbot, window)
        assert dialog.details_label.text() == "+919876543210 · India · Mobile"
    finally:
        launcher.shutdown()
        qapp.removeEventFilter(launcher)
        app_module.set_intake_handler(app_module.default_intake)


@pytest.mark.parametrize(
    ("clicked", "expected"),
    [
        ("tel:+91%2098765%2043210", "tel:+91%2098765%2043210"),
        ("callto://+14155550123", "callto://+14155550123"),  # an invalid QUrl: "+" in the host part
        ("CALLTO://+1 415 555 0123", "CALLTO://+1 415 555 0123"),
        ("opdial:dial?to=%2B919876543210&mode=ivr", "opdial:dial?to=%2B919876543210&mode=ivr"),
    ],
)
def test_macos_open_events_keep_the_link_as_clicked(clicked: str, expected: str) -> None:
    event = QFileOpenEvent(QUrl(clicked))  # as Qt's Cocoa plugin builds it from the NSURL string
    assert link_text(event) == expected
    assert parse_intake(link_text(event), "IN").number.e164


def test_ctrl_shift_v_dials_the_clipboard(qtbot, window, attached) -> None:
    QGuiApplication.clipboard().setText("098765 43210")
    window.activateWindow()
    qtbot.keyClick(
        window.form.customer.edit,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = wait_for_dialog(qtbot, window)
    assert dialog.details_label.text() == "+919876543210 · India · Mobile"


def test_the_tray_profile_switch_changes_the_windows_profile(
    qtbot, make_window, sandbox, sandbox_profile, store: ProfileStore, secrets
) -> None:
    store.save(Profile(**{**sandbox_profile.to_dict(), "name": "Beta Support"}))
    secrets.set_secrets("Beta Support", sandbox.account.api_key, sandbox.account.secret_token)
    window = make_window()
    assert window.resolved.profile.name == "Acme Sales"
    with qtbot.waitSignal(window.profile_changed, timeout=5000):
        switch_profile(window, "Beta Support")
    assert window.resolved.profile.name == "Beta Support"
    assert window.profile_combo.currentText() == "Beta Support"


def attach_and_ask_hidden(qapp, window, launcher: Launcher, options) -> bool:
    try:
        assert launcher.attach(qapp, window, options)
        return launcher.starts_hidden(options)
    finally:
        launcher.shutdown()
        if launcher.close_to_tray is not None:
            launcher.close_to_tray.detach()
        app_module.set_intake_handler(app_module.default_intake)


def test_start_in_tray_only_when_there_is_a_tray(qapp, window, store: ProfileStore) -> None:
    tray_run = app_module.Options(tray=True)
    assert not attach_and_ask_hidden(qapp, window, Launcher(tray_is_available=lambda: False), tray_run)
    # The offscreen platform has no tray: these launchers are told there is one.
    assert attach_and_ask_hidden(qapp, window, Launcher(tray_is_available=lambda: True), tray_run)
    assert not attach_and_ask_hidden(
        qapp, window, Launcher(tray_is_available=lambda: True), app_module.Options()
    )
    store.set_pref("start_in_tray", True)
    assert attach_and_ask_hidden(qapp, window, Launcher(tray_is_available=lambda: True), app_module.Options())


def test_run_gui_with_the_launcher_takes_a_link_from_a_second_process(
    qtbot, restore_logging, second_launch
) -> None:
    """The real start-up path: opdial --demo is running; clicking a link starts another opdial."""
    seen: dict = {}
    launches: list[subprocess.Popen] = []

    def click_a_link() -> None:
        launches.append(second_launch("callto://+14155550123"))
        poll()

    def poll() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if hasattr(w, "link_bar") and w.isVisible()]
        dialogs = open_dialogs(windows[0]) if windows else []
        if dialogs:
            seen["number"] = dialogs[0].number_label.text()
            seen["calls"] = len(windows[0].demo_session.server.call_requests)
            QApplication.quit()
        else:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(200, click_a_link)
    assert app_module.run_gui(["--demo"]) == 0
    # Closing the last window posted a Quit event that run_gui's shutdown delivered after exec()
    # ended; it leaves every later event loop of this shared QApplication exiting at once.
    # One more exec() clears that state for the tests that follow.
    QTimer.singleShot(0, QApplication.quit)
    QApplication.instance().exec()
    assert launches[0].wait(timeout=30) == 0
    assert seen == {"number": "+1 415-555-0123", "calls": 0}


@pytest.fixture
def restore_logging(monkeypatch):
    from desktop_app.logging_setup import shutdown_logging

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    yield
    shutdown_logging()
    app_module.set_intake_handler(app_module.default_intake)


def test_intake_is_parsed_in_the_profiles_region(window) -> None:
    assert parse_intake("098765 43210", window.form.default_region).number.e164 == CUSTOMER
