"""Consent: a link prefills and asks; it calls only after Call, or after a countdown Esc can stop."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.credentials import Profile, ProfileStore
from desktop_app.links import parse_intake
from desktop_app.ui.link_confirm import LinkConfirmDialog, ask_before_calling, profile_countdown
from tests.ui.conftest import CUSTOMER, quick_client

FAST_TICK_MS = 20  # a "second" of countdown in these tests


@pytest.fixture
def intake():
    return parse_intake("tel:+91%2098765%2043210", "IN")


def open_dialog(qtbot, intake, **kwargs) -> LinkConfirmDialog:
    dialog = LinkConfirmDialog(intake, tick_ms=kwargs.pop("tick_ms", FAST_TICK_MS), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_dialog_shows_the_number_as_it_will_be_dialled(qtbot, intake):
    dialog = open_dialog(qtbot, intake)
    assert dialog.source_label.text() == "From a tel: link:"
    assert dialog.number_label.text() == "+91 98765 43210"
    assert dialog.details_label.text() == "+919876543210 · India · Mobile"
    assert dialog.countdown_label.text() == "Press Enter to call, Esc to cancel."


def test_every_control_has_a_name_and_a_tooltip(qtbot, intake):
    dialog = open_dialog(qtbot, intake)
    for button in (dialog.call_button, dialog.cancel_button):
        assert button.accessibleName() and button.toolTip()


def test_extension_mode_and_agent_are_shown_too(qtbot):
    link = parse_intake("opdial:dial?to=%2B442079460000&mode=anonymous&agent=%2B919876500000", "IN")
    dialog = open_dialog(qtbot, link)
    assert dialog.details_label.text().splitlines() == [
        "+442079460000 · United Kingdom · Landline",
        "Mode: Anonymous dial",
        "Agent's number: +91 98765 00000",
    ]
    with_extension = open_dialog(qtbot, parse_intake("tel:+14155550123;ext=42", "IN"))
    assert "Extension 42" in with_extension.details_label.text()


def test_without_a_countdown_it_never_calls_by_itself(qtbot, intake):
    dialog = open_dialog(qtbot, intake)
    confirmed = []
    dialog.call_confirmed.connect(confirmed.append)
    qtbot.wait(10 * FAST_TICK_MS)
    assert not dialog.counting_down
    assert confirmed == [] and dialog.isVisible()


def test_enter_calls_once(qtbot, intake):
    dialog = open_dialog(qtbot, intake)
    confirmed = []
    dialog.call_confirmed.connect(confirmed.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    dialog.accept()  # a second press must not call twice
    assert confirmed == [intake]


def test_esc_cancels(qtbot, intake):
    dialog = open_dialog(qtbot, intake)
    confirmed = []
    dialog.call_confirmed.connect(confirmed.append)
    with qtbot.waitSignal(dialog.dismissed, timeout=2000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert confirmed == [] and not dialog.isVisible()


def test_countdown_calls_when_it_reaches_zero(qtbot, intake):
    dialog = open_dialog(qtbot, intake, countdown_s=3)
    assert dialog.countdown_label.text() == "Calling in 3 s — press Esc to cancel."
    assert dialog.call_button.text() == "Call now (3)"
    seen = []
    dialog._timer.timeout.connect(lambda: seen.append(dialog.remaining))
    with qtbot.waitSignal(dialog.call_confirmed, timeout=5000) as confirmed:
        pass
    assert confirmed.args == [intake]
    assert seen == [2, 1, 0]


def test_esc_stops_the_countdown(qtbot, intake):
    dialog = open_dialog(qtbot, intake, countdown_s=3, tick_ms=100)
    confirmed = []
    dialog.call_confirmed.connect(confirmed.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.counting_down
    qtbot.wait(5 * 100)
    assert confirmed == []


def test_a_blocked_call_cannot_be_confirmed_and_does_not_count_down(qtbot, intake):
    dialog = open_dialog(qtbot, intake, countdown_s=2, blocker="Set up a profile first.")
    confirmed = []
    dialog.call_confirmed.connect(confirmed.append)
    assert not dialog.call_button.isEnabled() and not dialog.counting_down
    assert dialog.blocker_label.text() == "Cannot call yet: Set up a profile first."
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.wait(4 * FAST_TICK_MS)
    assert confirmed == []


# -- with the real window and the sandbox -------------------------------------------------------


def test_a_link_prefills_the_window_and_calls_only_after_confirmation(qtbot, window, sandbox, intake):
    dialog = ask_before_calling(window, intake, profile_countdown(window), tick_ms=FAST_TICK_MS)
    qtbot.waitExposed(dialog)
    assert window.form.customer.edit.text().replace(" ", "") == CUSTOMER
    qtbot.wait(5 * FAST_TICK_MS)
    assert sandbox.accepted_calls == []

    with qtbot.waitSignal(window.call_finished, timeout=10_000) as finished:
        dialog.call_button.click()
    assert finished.args[0].accepted
    assert [call["number"] for call in sandbox.accepted_calls] == [CUSTOMER]


def test_the_profiles_countdown_places_the_call(
    qtbot, make_window, sandbox_profile, store: ProfileStore, intake
):
    store.save(Profile(**{**sandbox_profile.to_dict(), "link_countdown_s": 2}))
    window = make_window(client_factory=quick_client)
    assert profile_countdown(window) == 2
    with qtbot.waitSignal(window.call_finished, timeout=10_000) as finished:
        ask_before_calling(window, intake, profile_countdown(window), tick_ms=FAST_TICK_MS)
    assert finished.args[0].request.to == CUSTOMER


def test_esc_during_the_countdown_leaves_the_number_in_the_form(qtbot, window, sandbox, intake):
    dialog = ask_before_calling(window, intake, 3, tick_ms=100)
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.wait(5 * 100)
    assert sandbox.accepted_calls == []
    assert window.link_bar.text() == "Not dialled. The number is in the form: press Enter to call it."
    assert window.form.ready


def test_a_new_link_replaces_the_question_about_the_old_one(qtbot, window, intake):
    first = ask_before_calling(window, intake, 0)
    second = ask_before_calling(window, parse_intake("callto:+14155550123", "IN"), 0)
    assert not first.isVisible() and second.isVisible()
    assert second.number_label.text() == "+1 415-555-0123"
