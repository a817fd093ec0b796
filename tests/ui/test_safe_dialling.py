"""Safe dialling in the window (issue 9): never a second call by accident, never a lost outcome.

Real window, real sandbox, real SQLite history. The clock is the window's own injected clock, so
"2 minutes later" needs no waiting.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import CUSTOMER, history_settled, place, quick_client

CONFIG_MISSING = "+919000000501"  # the sandbox answers 500 "Company Config Missing"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def window(make_window, sandbox_profile, clock):
    return make_window(client_factory=quick_client, clock=clock)


def press_enter(qtbot, window) -> None:
    qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Return)


def references(sandbox) -> list[str]:
    return [r.json["reference_id"] for r in sandbox.received]


# -- item 1: the repeat guard ------------------------------------------------------------------


def test_enter_right_after_a_queued_call_asks_first_and_enter_again_sends_nothing(
    qtbot, window, sandbox, clock, guard_dialogs
):
    window.form.customer.edit.setText(CUSTOMER)
    assert place(qtbot, window).accepted
    clock.now += 40

    guard_dialogs.answer("Return")  # the double Enter: the second one lands on the question
    press_enter(qtbot, window)

    [asked] = guard_dialogs.shown
    assert asked["text"] == "You called +91 98765 43210 40 s ago — queued.\nCall again?"
    assert (asked["default"], asked["escape"]) == ("Don't call", "Don't call")
    assert asked["call_button"] == "Waiting for your answer…"  # not "Calling…": nothing goes out yet
    assert len(sandbox.received) == 1
    assert not window.busy and window.form.call_button.isEnabled()
    assert window.status_panel.current.outcome.accepted  # the queued call stays on show


def test_a_double_click_on_call_sends_one_request(qtbot, window, sandbox):
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        qtbot.mouseClick(window.form.call_button, Qt.MouseButton.LeftButton)  # the two clicks of
        qtbot.mouseClick(window.form.call_button, Qt.MouseButton.LeftButton)  # a double click
    qtbot.wait(100)  # nothing else is queued behind it (a second call would ask: see guard_dialogs)
    assert len(sandbox.received) == 1


def test_escape_on_the_question_sends_nothing_and_call_again_sends_a_new_call(
    qtbot, window, sandbox, guard_dialogs
):
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    guard_dialogs.answer("Escape")
    press_enter(qtbot, window)
    assert not window.busy and len(sandbox.received) == 1

    guard_dialogs.answer("callAgain")
    second = place(qtbot, window)
    assert second.accepted and second.reference_id != first.reference_id
    assert len(sandbox.accepted_calls) == 2


def test_after_two_minutes_or_in_another_mode_nobody_is_asked(qtbot, window, sandbox, clock, guard_dialogs):
    from desktop_app.api.models import CallKind

    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    window.set_mode(CallKind.IVR)  # the same number in another mode is another intent
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    clock.now += 119
    guard_dialogs.answer("Escape")
    window.form.call_button.click()  # just under 2 minutes: still asks (Esc: nothing sent)
    assert [asked["name"] for asked in guard_dialogs.shown] == ["repeatGuard"]
    guard_dialogs.shown.clear()
    clock.now += 2
    window.set_mode(CallKind.USER)
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)

    assert guard_dialogs.shown == []
    assert len(sandbox.accepted_calls) == 3


def test_typing_after_a_queued_call_replaces_the_number(qtbot, window):
    edit = window.form.customer.edit
    edit.setText(CUSTOMER)
    place(qtbot, window)
    assert edit.selectedText() == edit.text()  # at once: typing replaces it

    window.status_panel.recent_list.setFocus()  # the agent looks at the result, then clicks back
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=edit.rect().center())
    qtbot.waitUntil(lambda: edit.selectedText() == edit.text())
    qtbot.keyClicks(edit, "9876500001")

    assert window.form.customer.parsed.e164 == "+919876500001"
    assert CUSTOMER in window.status_panel.recent_list.item(0).text()  # the old one stays in view


# -- item 2: an unknown outcome offers Try again safely first -----------------------------------


def test_enter_after_an_unknown_outcome_retries_safely_by_default(
    qtbot, window, sandbox, history, guard_dialogs
):
    sandbox.faults.lose_reply = 1  # queued by MyOperator, but the answer is lost
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    assert first.unknown

    guard_dialogs.answer("Return")
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        press_enter(qtbot, window)

    [asked] = guard_dialogs.shown
    assert (asked["name"], asked["default"], asked["escape"]) == (
        "unknownGuard",
        "Try again safely",
        "Cancel",
    )
    outcome = blocker.args[0]
    assert outcome.accepted and outcome.confirmed_by_duplicate
    assert references(sandbox) == [first.reference_id] * 2
    assert len(sandbox.accepted_calls) == 1  # the customer is rung once
    [entry] = history.entries()  # one intended call, sent twice
    assert (entry.reference_id, entry.status, entry.sends) == (first.reference_id, "accepted", 2)


def test_a_new_call_after_an_unknown_outcome_needs_the_explicit_choice(qtbot, window, sandbox, guard_dialogs):
    sandbox.faults.drop_connection = 1  # nothing reached MyOperator, but the app cannot know
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    assert first.unknown

    guard_dialogs.answer("Escape")
    press_enter(qtbot, window)
    assert not window.busy and len(sandbox.received) == 1  # Esc: nothing sent

    guard_dialogs.answer("newCall")
    second = place(qtbot, window)
    assert second.accepted and second.reference_id != first.reference_id


def test_a_documented_company_config_missing_stays_a_refusal(qtbot, window, sandbox, guard_dialogs):
    window.form.customer.edit.setText(CONFIG_MISSING)
    first = place(qtbot, window)
    assert first.status == "rejected" and not window.status_panel.retry_button.isVisible()
    place(qtbot, window)  # a refusal rang nobody: calling again after fixing it asks nothing
    assert guard_dialogs.shown == []
    assert len(set(references(sandbox))) == 2


def test_dial_again_from_history_after_a_restart_retries_an_unknown_call_safely(
    qtbot, make_window, sandbox, sandbox_profile, history, guard_dialogs
):
    sandbox.faults.lose_reply = 1
    before = make_window(client_factory=quick_client)
    before.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, before)
    assert first.unknown
    before.shutdown(timeout_s=10)
    before.close()

    after = make_window(client_factory=quick_client)  # a new window: only history remembers
    after.tabs.setCurrentWidget(after.history_view)
    history_settled(qtbot, after.history_view)
    after.history_view.table.selectRow(0)
    after.history_view.dial_button.click()
    assert "Try again safely" in after.statusBar().currentMessage()
    guard_dialogs.answer("Return")
    outcome = place(qtbot, after)

    assert outcome.accepted and outcome.reference_id == first.reference_id
    assert len(sandbox.accepted_calls) == 1
    [entry] = history.entries()
    assert (entry.status, entry.sends) == ("accepted", 2)
    after.tabs.setCurrentWidget(after.history_view)
    history_settled(qtbot, after.history_view)
    assert "sent 2×" in after.history_view.model.cell_text(after.history_view.model.entries[0], 5)


# -- item 3: Try again safely shows progress, Esc stops it, nothing flips back -------------------


def test_try_again_safely_shows_progress_like_call_and_esc_stops_waiting(qtbot, window, sandbox):
    sandbox.faults.lose_reply = 1
    window.form.customer.edit.setText(CUSTOMER)
    first = place(qtbot, window)
    sandbox.faults.latency_s = 1.0

    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.status_panel.retry_button.click()
        assert window.busy and window.form.busy
        assert not window.form.call_button.isEnabled()
        assert window.form.call_button.text().startswith("Calling…")
        assert window.form.cancel_button.isVisible()
        assert window.status_panel.headline.text().startswith("Sending")
        task = window.current_task
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        assert task.cancelled  # the client aborts the attempt in flight on this event
        assert window.form.call_button.text().startswith("Cancelling…")
    assert window.status_panel.current.outcome.reference_id == first.reference_id
    assert window.form.call_button.isEnabled()


def test_the_result_panel_never_shows_an_older_result_while_a_call_runs(qtbot, window, sandbox):
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    window.form.customer.edit.setText("+919876500001")
    place(qtbot, window)
    sandbox.faults.latency_s = 1.0
    window.form.customer.edit.setText("+919876500002")

    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
        window.status_panel.recent_list.setCurrentRow(1)  # an older result, picked while busy
        assert window.status_panel.headline.text().startswith("Sending")
        assert window.status_panel.current is None
    assert window.status_panel.current.outcome.request.to == "+919876500002"


def test_a_late_answer_to_an_older_call_is_listed_but_not_shown(qtbot, window, sandbox):
    """Only one call runs at a time today; this pins the rule for when an answer comes late."""
    window.form.customer.edit.setText(CUSTOMER)
    older = place(qtbot, window)
    sandbox.faults.latency_s = 1.0
    window.form.customer.edit.setText("+919876500002")
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
        window._call_finished(older, window.resolved, window._job - 1)  # delivered late
        assert window.status_panel.headline.text().startswith("Sending")
        assert window.busy
        assert len(window.status_panel.recent) == 2
    assert window.status_panel.current.outcome.request.to == "+919876500002"


# -- item 6: bookkeeping fails after the call went out -------------------------------------------


def damage(path) -> None:
    """Overwrite the real SQLite file (and its WAL) with garbage, as a disk fault would."""
    for suffix in ("", "-wal", "-shm"):
        target = path.with_name(path.name + suffix)
        if target.exists():
            with open(target, "r+b") as handle:
                handle.write(b"not sqlite" * 1000)


def test_a_damaged_history_still_shows_the_outcome_and_says_history_is_not_saved(
    qtbot, window, sandbox, history, guard_dialogs
):
    damage(history.path)
    window.form.customer.edit.setText(CUSTOMER)
    outcome = place(qtbot, window)

    assert outcome.accepted and len(sandbox.accepted_calls) == 1
    panel = window.status_panel
    assert panel.headline.text().startswith("Queued")
    assert panel.storage_note.isVisible()
    assert "History is not being saved" in panel.storage_note.text()
    assert "damaged" in panel.storage_note.text()
    assert window.statusBar().currentMessage().startswith("History is not being saved")
    window.tabs.setCurrentWidget(window.history_view)
    history_settled(qtbot, window.history_view)
    assert window.history_view.summary.text().startswith("History cannot be read: ")
    assert "Error" not in window.history_view.summary.text()  # words, not an exception's class name
    window.tabs.setCurrentIndex(0)

    guard_dialogs.answer("Return")  # without history the window still remembers this call
    press_enter(qtbot, window)
    assert [asked["name"] for asked in guard_dialogs.shown] == ["repeatGuard"]
    assert len(sandbox.received) == 1 and not window.busy


def test_a_call_that_crashed_after_sending_counts_as_unknown(
    qtbot, make_window, sandbox, sandbox_profile, guard_dialogs
):
    """A stand-in client: the real one, plus a bug after sending, which real parts cannot produce."""
    from desktop_app.api.client import ObdClient

    class CrashesAfterSending(ObdClient):
        crashes = 1

        def place_call(self, request, cancel=None, *, resending=False):
            outcome = super().place_call(request, cancel, resending=resending)
            if CrashesAfterSending.crashes:
                CrashesAfterSending.crashes -= 1
                raise RuntimeError("a bug after the request went out")
            return outcome

    window = make_window(client_factory=lambda r: CrashesAfterSending(r.account, max_attempts=1))
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        window.form.call_button.click()
    assert "outcome is unknown" in window.status_panel.body.text()

    guard_dialogs.answer("Return")
    outcome = place(qtbot, window)
    assert guard_dialogs.shown[0]["name"] == "unknownGuard"
    assert outcome.accepted and outcome.confirmed_by_duplicate
    assert len(sandbox.accepted_calls) == 1


def test_esc_cuts_the_attempt_in_flight_and_the_outcome_is_unknown(qtbot, window, sandbox):
    """MyOperator has the request but has not answered: Esc does not wait for it (20 s here), and
    since the call may be queued, the outcome is unknown and Try again safely is offered."""
    sandbox.faults.latency_s = 20.0
    window.form.customer.edit.setText(CUSTOMER)
    started = time.monotonic()
    with qtbot.waitSignal(window.call_finished, timeout=10_000):
        window.form.call_button.click()
        qtbot.waitUntil(lambda: len(sandbox.received) == 1, timeout=5_000)
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert time.monotonic() - started < 10  # cut, not waited out
    outcome = window.status_panel.current.outcome
    assert outcome.status == "failed" and outcome.unknown
    assert window.status_panel.retry_button.isVisible()
    assert window.form.call_button.isEnabled()
