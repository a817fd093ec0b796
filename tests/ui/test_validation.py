"""Live number checking: what the agent sees while typing, and when Call is enabled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop_app.api.models import CallKind


def test_empty_form_has_call_disabled_without_scolding(window):
    assert not window.form.call_button.isEnabled()
    assert window.form.field_error.text() == ""
    assert "read as India" in window.form.customer.status.text()


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("98765 43210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("(0)98765 43210", "+919876543210"),
        ("tel:+91-98765-43210", "+919876543210"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("  +1 (415) 555-0123 ", "+14155550123"),
    ],
)
def test_messy_pastes_are_understood_and_shown_in_e164(window, typed, e164):
    window.form.customer.edit.setText(typed)

    assert window.form.customer.parsed.e164 == e164
    assert f"sent as {e164}" in window.form.customer.status.text()
    assert window.form.call_button.isEnabled()


def test_pasted_number_is_reformatted_readably(qtbot, window):
    QGuiApplication.clipboard().setText("tel:+91-98765-43210")
    qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.form.customer.edit.text() == "+91 98765 43210")


def test_invalid_number_shows_the_reason_and_disables_call(window):
    window.form.customer.edit.setText("12345")

    status = window.form.customer.status.text()
    assert status.startswith("✗") and len(status) > 10
    assert not window.form.call_button.isEnabled()
    assert window.form.field_error.text() == ""  # the reason is beside the field, not repeated
    assert window.form.call_button.accessibleDescription().startswith("Customer number:")


def test_user_dial_needs_the_agent_user_id(window):
    window.form.customer.edit.setText("+919876543210")
    window.form.agent_user_id.setText("")

    assert not window.form.call_button.isEnabled()
    assert "User ID" in window.form.field_error.text()


def test_anonymous_dial_needs_a_valid_agent_number_different_from_the_customer(window):
    window.form.set_kind(CallKind.ANONYMOUS)
    window.form.customer.edit.setText("+919876543210")
    assert not window.form.call_button.isEnabled()

    window.form.agent_number.edit.setText("not a number")
    assert window.form.agent_number.status.text().startswith("✗")
    assert not window.form.call_button.isEnabled()

    window.form.agent_number.edit.setText("+91 98765 43210")
    assert "same" in window.form.field_error.text()
    assert not window.form.call_button.isEnabled()

    window.form.agent_number.edit.setText("+91 98765 00000")
    assert window.form.call_button.isEnabled()


def test_ivr_needs_only_the_customer(window):
    window.form.set_kind(CallKind.IVR)
    window.form.agent_user_id.setText("")
    window.form.customer.edit.setText("+919876543210")

    assert window.form.call_button.isEnabled()
    assert window.form.agent_user_id.isHidden() and window.form.agent_number.edit.isHidden()


def test_profile_region_decides_how_national_numbers_are_read(make_window, store, sandbox_profile):
    from dataclasses import replace

    store.save(replace(sandbox_profile, default_region="GB"))
    window = make_window()
    window.form.customer.edit.setText("020 7946 0000")

    assert window.form.customer.parsed.e164 == "+442079460000"


def test_a_disabled_call_button_ignores_enter(qtbot, window, sandbox):
    window.form.customer.edit.setText("12345")
    window.form.submit()

    assert window.current_task is None and sandbox.received == []


def test_digits_are_grouped_while_typing(qtbot, window):
    qtbot.keyClicks(window.form.customer.edit, "9876543210")
    qtbot.waitUntil(lambda: window.form.customer.edit.text() == "98765 43210")
    assert window.form.customer.parsed.e164 == "+919876543210"
