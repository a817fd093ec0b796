"""Calls run on workers: the window keeps working, a second press does nothing, closing is clean."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer

from tests.ui.conftest import CUSTOMER, place


def test_event_loop_keeps_running_while_a_slow_call_is_in_flight(qtbot, window, sandbox):
    sandbox.faults.latency_s = 1.0
    ticks_while_busy: list[bool] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks_while_busy.append(window.busy))
    timer.start()
    window.form.customer.edit.setText(CUSTOMER)

    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
        assert window.busy
        assert window.form.call_button.text().startswith("Calling…")  # "Calling… 1 s" after a second
        assert not window.form.call_button.isEnabled()
        window.form.routing_toggle.click()  # the form still reacts while the call waits
        assert window.form.routing_box.isVisible()
    timer.stop()
    # The GUI thread kept running its timers during the call. Only ticks while the call was in
    # flight count, so a slow, loaded machine cannot decide this by timing alone.
    assert sum(ticks_while_busy) >= 5
    assert not window.busy and window.form.call_button.isEnabled()


def test_call_button_counts_the_seconds_of_a_slow_call(qtbot, make_window, sandbox, sandbox_profile):
    from desktop_app.api.client import ObdClient

    sandbox.faults.server_error = 1  # then the client waits 30 s before its retry: a call in flight
    window = make_window(client_factory=lambda r: ObdClient(r.account, backoff_s=30))
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
        qtbot.waitUntil(
            lambda: bool(re.fullmatch(r"Calling… \d+ s", window.form.call_button.text())), timeout=10_000
        )
        window.cancel_call()
    assert window.form.call_button.text() == "Call"


def test_no_double_submit(qtbot, window, sandbox):
    sandbox.faults.latency_s = 0.4
    window.form.customer.edit.setText(CUSTOMER)

    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
        window.form.call_button.click()
        qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Return)
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        window.place_call()
    qtbot.wait(50)  # nothing else is queued behind it
    assert len(sandbox.received) == 1


def test_closing_with_a_call_in_flight_records_it(qtbot, window, sandbox, history):
    sandbox.faults.latency_s = 0.5
    window.form.customer.edit.setText(CUSTOMER)
    window.form.call_button.click()
    qtbot.waitUntil(lambda: len(sandbox.received) == 1)  # on the wire, answer not yet back

    window.close()

    assert not window.runner.in_flight()
    [entry] = history.entries()
    assert (entry.customer, entry.status, entry.problem_code) == (CUSTOMER, "accepted", ""), entry


def test_lost_reply_is_retried_with_the_same_reference_id(qtbot, make_window, sandbox, sandbox_profile):
    """The default client retries: a lost answer ends as accepted, confirmed by the duplicate."""
    from desktop_app.api.client import ObdClient

    window = make_window(client_factory=lambda r: ObdClient(r.account, backoff_s=0.05))
    sandbox.faults.lose_reply = 1
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        window.form.call_button.click()

    outcome = blocker.args[0]
    assert outcome.accepted and outcome.confirmed_by_duplicate
    assert len(sandbox.accepted_calls) == 1
    assert "retry confirmed" in window.status_panel.body.text()


def test_an_unknown_outcome_is_retried_safely_and_counted_once(qtbot, window, sandbox):
    sandbox.faults.lose_reply = 1  # MyOperator queues the call, but its answer never arrives
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    assert first.status == "failed" and window.status_panel.retry_button.isVisible()

    with qtbot.waitSignal(window.call_finished, timeout=30_000) as retried:
        window.status_panel.retry_button.click()

    outcome = retried.args[0]
    assert outcome.accepted and outcome.confirmed_by_duplicate
    assert outcome.reference_id == first.reference_id
    assert len(sandbox.accepted_calls) == 1  # the customer is called once
    assert not window.status_panel.retry_button.isVisible()
    assert "first attempt got through" in window.status_panel.body.text()
