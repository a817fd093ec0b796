"""Each call mode end to end: the form, a worker, real HTTP to the sandbox, the status panel, history."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.api.models import CallKind
from tests.ui.conftest import CUSTOMER, DEMO_USER_ID, place


def test_user_dial_is_queued_and_says_whose_phone_rings_first(qtbot, window, sandbox, history):
    window.form.customer.edit.setText("98765 43210")

    outcome = place(qtbot, window)

    assert outcome.accepted
    body = sandbox.accepted_calls[-1]
    assert body["type"] == "1" and body["number"] == CUSTOMER and body["user_id"] == DEMO_USER_ID
    assert window.status_panel.headline.text() == (
        f"Queued — the agent's phone (User ID {DEMO_USER_ID}) rings first, then the customer's"
    )
    assert outcome.unique_id in window.status_panel.ids.text()
    assert outcome.reference_id in window.status_panel.ids.text()
    assert "answered" not in window.status_panel.headline.text()
    [entry] = history.entries()
    assert (entry.kind, entry.customer, entry.status) == ("user", CUSTOMER, "accepted")


def test_anonymous_dial_passes_both_numbers(qtbot, window, sandbox):
    window.form.set_kind(CallKind.ANONYMOUS)
    window.form.customer.edit.setText("+91 98765 43210")
    window.form.agent_number.edit.setText("098765 00000")

    outcome = place(qtbot, window)

    assert outcome.accepted
    body = sandbox.accepted_calls[-1]
    assert body["number_2"] == "+919876500000" and "user_id" not in body
    assert window.status_panel.headline.text() == (
        "Queued — the agent's phone (+919876500000) rings first, then the customer's"
    )


def test_ivr_call_uses_type_2_and_the_ivr_wording(qtbot, window, sandbox):
    window.form.set_kind(CallKind.IVR)
    window.form.customer.edit.setText("+442079460000")

    outcome = place(qtbot, window)

    assert outcome.accepted
    assert sandbox.accepted_calls[-1]["type"] == "2"
    assert window.status_panel.headline.text() == (
        "Queued — the customer will be called and connected to the next free agent"
    )


def test_routing_fields_are_sent_when_filled(qtbot, window, sandbox):
    window.form.routing_toggle.click()
    window.form.customer.edit.setText(CUSTOMER)
    window.form.caller_id.setText("+918000000000")
    window.form.region.setText("south")
    window.form.group.setText("sales")
    window.form.max_duration.setValue(120)

    place(qtbot, window)

    body = sandbox.accepted_calls[-1]
    assert (body["caller_id"], body["region"], body["group"]) == ("+918000000000", "south", "sales")
    assert body["max_call_duration"] == 120


def test_recent_results_list_newest_first(qtbot, window):
    for number in ("+919876543210", "+919876543211"):
        window.form.customer.edit.setText(number)
        place(qtbot, window)

    items = [window.status_panel.recent_list.item(i).text() for i in range(2)]
    assert "+919876543211" in items[0] and "+919876543210" in items[1]


def test_each_call_gets_a_new_reference_id(qtbot, window, sandbox, guard_dialogs):
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    guard_dialogs.answer("callAgain")  # the repeat guard asks first; the agent means it
    qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(sandbox.accepted_calls) == 2)
    assert sandbox.accepted_calls[1]["reference_id"] != first.reference_id
