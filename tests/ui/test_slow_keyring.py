"""A keyring that takes seconds to answer (a Secret Service waiting for an unlock prompt) never
freezes the window: the secrets are read on a worker, Call waits for them, nothing typed is lost.

The slow keyring is ``MemoryKeyring(delay_s=…)``: the real Secret Service cannot be made to wait
on demand. Stall bounds are generous (a loaded machine must not flake them); the measured figures
are ``bench/responsiveness.py``'s job.
"""

from __future__ import annotations

import time

import pytest

from desktop_app.credentials import Profile
from desktop_app.links import parse_intake
from desktop_app.ui.main_window import UNLOCKING_KEYRING, MainWindow
from tests.ui.conftest import CUSTOMER, StallMeter, quick_client, store_sandbox_profile

KEYRING_DELAY_S = 1.0  # per read: a profile's two secrets take 2 s
STALL_BOUND_MS = 600  # generous: the same work on the GUI thread would stall for 2,000 ms


@pytest.fixture
def keyring_backend():
    from tests.keyring_double import MemoryKeyring

    return MemoryKeyring(delay_s=KEYRING_DELAY_S)


@pytest.fixture
def build(qtbot, store, secrets, history):
    """A window as the app builds it, without waiting for the profile's secrets."""
    windows: list[MainWindow] = []

    def make(**kwargs) -> MainWindow:
        window = MainWindow(store=store, secrets=secrets, history=history, env={}, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        window.focus_number()
        return window

    yield make
    for window in windows:
        window.shutdown(timeout_s=10)


def choose(window: MainWindow, name: str) -> None:
    """Pick a profile in the switcher as a person does (``activated``, not a programmatic change)."""
    index = window.profile_combo.findText(name)
    window.profile_combo.setCurrentIndex(index)
    window.profile_combo.activated.emit(index)


def second_profile(store, secrets, sandbox) -> Profile:
    return store_sandbox_profile(sandbox, store, secrets, "Beta Support")


def test_start_up_with_a_slow_keyring_paints_at_once_and_keeps_the_loop_ticking(
    qtbot, build, sandbox_profile, keyring_backend
):
    started = time.monotonic()
    with StallMeter() as meter:
        window = build(client_factory=quick_client)
        built_s = time.monotonic() - started
        assert window.resolving and not window.form.call_button.isEnabled()
        assert window.form.validation_problem() == UNLOCKING_KEYRING
        qtbot.waitUntil(lambda: not window.resolving, timeout=15_000)
    assert built_s < 2 * KEYRING_DELAY_S  # the window did not wait for the keyring
    assert meter.longest_ms < STALL_BOUND_MS
    assert all(name != "MainThread" for name in keyring_backend.reader_threads)
    assert window.resolved is not None and window.resolved.profile.name == sandbox_profile.name


def test_a_number_typed_while_the_keyring_unlocks_is_kept_and_can_be_called(
    qtbot, build, sandbox_profile, sandbox
):
    window = build(client_factory=quick_client)
    assert window.form.customer.edit.hasFocus() or not window.isActiveWindow()
    qtbot.keyClicks(window.form.customer.edit, "98765 43210")
    assert window.resolving and not window.form.call_button.isEnabled()
    qtbot.waitUntil(lambda: window.form.call_button.isEnabled(), timeout=15_000)
    assert window.form.customer.text().replace(" ", "") == "9876543210"
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        window.form.call_button.click()
    assert blocker.args[0].accepted and blocker.args[0].request.to == CUSTOMER


def test_a_link_that_asks_to_call_while_the_keyring_unlocks_calls_once_it_is_ready(
    qtbot, build, sandbox_profile, sandbox
):
    window = build(client_factory=quick_client)
    assert window.resolving
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        window.prefill(parse_intake("tel:+919876543210"), confirm=False)
        assert sandbox.received == []  # nothing is sent before the secrets are there
    assert blocker.args[0].accepted and len(sandbox.received) == 1


def test_switching_profiles_with_a_slow_keyring_never_freezes_and_the_last_choice_wins(
    qtbot, build, store, secrets, sandbox_profile, sandbox
):
    second_profile(store, secrets, sandbox)
    window = build(client_factory=quick_client)
    qtbot.waitUntil(lambda: not window.resolving, timeout=15_000)
    with StallMeter() as meter:
        choose(window, "Beta Support")
        assert window.resolving and not window.form.call_button.isEnabled()
        choose(window, sandbox_profile.name)  # changed its mind at once
        qtbot.waitUntil(lambda: not window.resolving, timeout=15_000)
        qtbot.wait(int(2.5 * KEYRING_DELAY_S * 1000))  # the first choice's answer arrives late
    assert meter.longest_ms < STALL_BOUND_MS
    assert window.resolved.profile.name == sandbox_profile.name
    assert window.profile_combo.currentText() == sandbox_profile.name


def test_the_profiles_dialog_reads_and_writes_a_slow_keyring_without_freezing(
    qtbot, store, secrets, sandbox_profile, keyring_backend
):
    from desktop_app.ui.profiles_dialog import CHECKING_HINT, ProfilesDialog

    with StallMeter() as meter:
        dialog = ProfilesDialog(store, secrets, select=sandbox_profile.name)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.keyring_status.text() == "Checking the keyring…"
        assert dialog.api_key.edit.placeholderText() == CHECKING_HINT
        qtbot.waitUntil(lambda: dialog.runner.idle, timeout=15_000)
        dialog.api_key.edit.setText("new-key-0001")
        dialog.secret_token.edit.setText("new-token-0001")
        with qtbot.waitSignal(dialog.profiles_changed, timeout=15_000):
            assert dialog.save()
            assert dialog.saving and not dialog.save_button.isEnabled()
            assert dialog.save_button.text() == "Saving to the keyring…"
        qtbot.waitUntil(lambda: dialog.runner.idle, timeout=15_000)
    assert meter.longest_ms < STALL_BOUND_MS
    assert all(name != "MainThread" for name in keyring_backend.reader_threads)
    keyring_backend.delay_s = 0
    assert secrets.get_api_key(sandbox_profile.name) == "new-key-0001"


def test_the_keyring_is_first_asked_after_the_window_has_painted(
    qtbot, store, secrets, history, sandbox_profile, keyring_backend
):
    """Its import and its answer would otherwise compete with building the first screen."""
    keyring_backend.delay_s = 0
    window = MainWindow(store=store, secrets=secrets, history=history, env={})
    qtbot.addWidget(window)
    assert keyring_backend.reader_threads == [] and window.resolving
    window.show()
    qtbot.waitUntil(lambda: window._painted, timeout=5_000)
    qtbot.waitUntil(lambda: not window.resolving, timeout=5_000)
    assert window.resolved is not None and keyring_backend.reader_threads
    window.shutdown(timeout_s=10)


def test_a_window_that_starts_hidden_still_reads_its_profile(
    qtbot, store, secrets, history, sandbox_profile, keyring_backend
):
    keyring_backend.delay_s = 0
    window = MainWindow(store=store, secrets=secrets, history=history, env={})  # never shown (tray)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.resolving, timeout=5_000)
    assert window.resolved is not None and not window.isVisible()
    window.shutdown(timeout_s=10)


def test_an_agent_user_id_typed_while_the_keyring_unlocks_is_not_overwritten(qtbot, build, sandbox_profile):
    window = build(client_factory=quick_client)
    assert window.resolving
    window.form.agent_user_id.setText("0123456789abcdef")  # another agent, typed at once
    qtbot.waitUntil(lambda: not window.resolving, timeout=15_000)
    assert window.form.agent_user_id.text() == "0123456789abcdef"
