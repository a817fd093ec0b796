"""Call results in the window: after "queued", the result from the call log appears in the result
panel and Recent results (in place), and in History's Result column; without a token the panel
says what is needed. Real sandbox, real widgets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from desktop_app.credentials import NO_API_TOKEN
from desktop_app.sandbox.server import LOG_AGENT_NO_ANSWER
from tests.ui.conftest import history_settled, place

CUSTOMER = "+919000000021"  # fictional


def run_campaign(qtbot, view, pasted: str) -> None:
    """Paste a list, create the campaign and run it to the end (no pacing, any hour)."""
    view.paste.setPlainText(pasted)
    view.paste_button.click()
    qtbot.waitUntil(lambda: view.checked is not None, timeout=10_000)
    view.new_settings.rate.setValue(0)
    view.new_settings.window.setText("any")
    with qtbot.waitSignal(view.run_finished, timeout=30_000):
        view.create_campaign(True)


@pytest.fixture
def demo_window(make_window):
    window = make_window(demo=True)
    window.demo_session.server.config.log_delay_s = 0.0  # the record is there when the poller asks
    return window


def test_a_queued_call_shows_its_result_when_the_call_log_has_it(qtbot, demo_window):
    window = demo_window
    window.form.customer.edit.setText(CUSTOMER)
    assert place(qtbot, window).accepted
    panel = window.status_panel
    assert "MyOperator queued the call; the call log shows how it went" in panel.body.text()
    qtbot.waitUntil(lambda: panel.result_line.text().startswith("Result: Answered"), timeout=15_000)
    assert "talked 0:42 · matched by" in panel.result_line.text()
    assert panel.recording_button.isVisible()
    assert panel.recent_list.item(0).text().endswith("Answered · 0:42")  # updated in place

    window.tabs.setCurrentWidget(window.history_view)
    history_settled(qtbot, window.history_view)
    model = window.history_view.model
    assert model.cell_text(model.entries[0], model.HEADERS.index("Result")) == "Answered · 0:42"


def test_a_missed_call_says_who_did_not_answer_and_offers_no_recording(qtbot, demo_window):
    window = demo_window
    window.form.customer.edit.setText(LOG_AGENT_NO_ANSWER)
    place(qtbot, window)
    panel = window.status_panel
    qtbot.waitUntil(lambda: "Missed" in panel.result_line.text(), timeout=15_000)
    assert panel.result_line.text().startswith("Result: Missed: the agent did not answer")
    assert not panel.recording_button.isVisible()


def test_without_an_api_token_the_panel_says_what_is_needed(qtbot, window, caplog):
    """The sandbox profile has no API token: everything works as before, and the panel says why
    (an answer, not a failure: no traceback in the log)."""
    window.form.customer.edit.setText(CUSTOMER)
    qtbot.waitUntil(lambda: window.results.note == NO_API_TOKEN, timeout=10_000)
    logged = caplog.get_records("setup") + caplog.records
    assert not [r for r in logged if "find the API token" in r.getMessage()]
    place(qtbot, window)
    QApplication.processEvents()
    panel = window.status_panel
    assert panel.result_line.text() == NO_API_TOKEN
    assert "cannot see whether it is answered" in panel.body.text()


def test_the_agent_is_picked_by_name_and_a_typed_id_says_whose_it_is(qtbot, demo_window):
    window = demo_window
    form = window.form
    qtbot.waitUntil(lambda: len(form.agents) == 3, timeout=10_000)  # read with the demo's API token
    assert form.agent_who.text() == "✓ Asha (demo agent) · ext 11"  # the profile's User ID, by name
    form.agent_user_id.clear()
    form.agent_user_id.setFocus()
    qtbot.keyClicks(form.agent_user_id, "ravi")
    popup = form.agent_user_id.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert popup.model().data(popup.model().index(0, 0)) == "Ravi (demo agent) · ext 12 · 9000000012 · Agent"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.agent_user_id.text() == "b2c3d4e5f6071829")
    assert form.agent_who.text() == "✓ Ravi (demo agent) · ext 12"
    form.agent_user_id.setText("ffffffffffffffff")  # typed by hand: still works, and is questioned
    assert form.agent_who.text().startswith("Not one of this company's users")
    assert "User ID" not in (form.problem or "")  # not refused: the list may be out of date


def test_without_a_token_the_user_id_field_says_how_to_pick_by_name(qtbot, window):
    qtbot.waitUntil(lambda: window.form.agent_who.text() == NO_API_TOKEN, timeout=10_000)


def test_a_campaigns_calls_get_results_in_its_counts_and_its_summary(qtbot, demo_window):
    from desktop_app.campaigns import journal as jr

    window = demo_window
    window.demo_session.server.config.demo_triggers_enabled = True
    view = window.campaigns_view
    run_campaign(qtbot, view, f"+919000000031\n+919000000032\n{LOG_AGENT_NO_ANSWER}\n")
    qtbot.waitUntil(lambda: "From the call log: answered 2 · missed 1" in view.counts.text(), timeout=20_000)
    with jr.Journal.open(view.current_id, window.active_campaigns_dir()) as journal:
        summary = journal.summary()
    assert summary.to_json()["results"] == {"answered": 2, "missed": 1, "none": 0}
    assert window.history.entries() == []  # campaign calls stay in their journal


class LinkCatcher(QObject):
    """Qt's own hook for opening URLs (QDesktopServices.setUrlHandler): the link OpDial would open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@contextlib.contextmanager
def catching_links() -> Iterator[LinkCatcher]:
    """Qt's URL-handler hook: links the window opens are recorded instead of reaching a browser."""
    catcher = LinkCatcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        yield catcher
    finally:
        QDesktopServices.unsetUrlHandler("http")


def place_an_answered_call(qtbot, window) -> None:
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    qtbot.waitUntil(window.status_panel.recording_button.isVisible, timeout=15_000)


def test_open_recording_asks_for_a_fresh_link_each_time_and_opens_it(qtbot, demo_window):
    window = demo_window
    with catching_links() as catcher:
        place_an_answered_call(qtbot, window)
        panel = window.status_panel
        panel.recording_button.click()
        qtbot.waitUntil(lambda: len(catcher.opened) == 1, timeout=10_000)
        panel.recording_button.click()
        qtbot.waitUntil(lambda: len(catcher.opened) == 2, timeout=10_000)
    server = window.demo_session.server
    assert all(link.startswith(f"{server.logs_url}/recordings/") for link in catcher.opened)
    assert catcher.opened[0] != catcher.opened[1]  # links expire: a new one each time
    assert server.config.logs_token not in " ".join(catcher.opened)


def test_campaign_rows_show_their_result(qtbot, demo_window):
    window = demo_window
    view = window.campaigns_view
    run_campaign(qtbot, view, f"+919000000041\n{LOG_AGENT_NO_ANSWER}\n")
    column = view.rows_model.COLUMNS.index("Result")
    results = lambda: {view.rows_model.index(r, column).data() for r in range(view.rows_model.rowCount())}  # noqa: E731
    qtbot.waitUntil(lambda: results() == {"Answered", "Missed"}, timeout=20_000)


def test_the_wait_for_a_result_is_a_setting(make_window, store):
    store.set_pref("call_results_wait_min", 5)
    assert make_window().results.wait_s == 300
    store.set_pref("call_results_wait_min", "soon")  # a damaged value: the default
    assert make_window().results.wait_s == 1800


def test_the_demo_shows_a_result_within_seconds_with_its_usual_log_delay(qtbot, make_window):
    """The demo's call log is a local sandbox: it is asked every 2 s, not MyOperator's 10 s."""
    window = make_window(demo=True)  # records appear 2 s after acceptance, as in the demo
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    qtbot.waitUntil(lambda: "Answered" in window.status_panel.result_line.text(), timeout=8_000)


def test_history_opens_an_answered_calls_recording(qtbot, demo_window):
    window = demo_window
    with catching_links() as catcher:
        place_an_answered_call(qtbot, window)
        view = window.history_view
        window.tabs.setCurrentWidget(view)
        history_settled(qtbot, view)
        view.table.selectRow(0)
        assert view.recording_button.isEnabled()
        view.recording_button.click()
        qtbot.waitUntil(lambda: len(catcher.opened) == 1, timeout=10_000)
    assert catcher.opened[0].startswith(f"{window.demo_session.server.logs_url}/recordings/")
