"""The Campaigns view with real widgets, real journals and the real sandbox."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt

from desktop_app.campaigns.checker import CheckResult, ValidRow
from desktop_app.campaigns.journal import CampaignSettings, Journal
from desktop_app.credentials import Profile, Resolved
from desktop_app.ui.campaigns_view import CampaignsView
from tests.campaign_helpers import assert_exactly_once, numbers
from tests.ui.conftest import StallMeter


@pytest.fixture
def resolved(sandbox) -> Resolved:
    account = sandbox.account
    profile = Profile(name="Acme Sales", company_id=account.company_id, public_ivr_id=account.public_ivr_id)
    return Resolved(profile=profile, account=account, sources={})


@pytest.fixture
def view(qtbot, resolved):
    widget = CampaignsView(lambda: resolved)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown(timeout_s=10)


def _paste_and_check(qtbot, view: CampaignsView, text: str) -> None:
    view.paste.setPlainText(text)
    view.paste_button.click()
    qtbot.waitUntil(lambda: view.checked is not None, timeout=10_000)


def _contacts(count: int) -> str:
    return "Name,Mobile,Notes\n" + "".join(f"Customer {i},{p},vip\n" for i, p in enumerate(numbers(count)))


def test_pasted_list_is_previewed_mapped_and_checked_before_anything_is_sent(qtbot, view, sandbox) -> None:
    text = _contacts(3) + "Wrong,12345,\nAgain,098765 00000,\n"
    _paste_and_check(qtbot, view, text)
    assert view.phone_column.currentText() == "Mobile"
    assert view.label_column.currentText() == "Name"
    assert "name and confirmed by its content" in view.mapping_hint.text()
    assert view.preview_model.rowCount() == 5
    summary = view.check_summary.text()
    assert "<b>3 numbers to call</b> from 5 rows" in summary
    assert "1 invalid" in summary and "1 duplicate ·" in summary
    assert view.create_start_button.isEnabled() and view.export_rejected_button.isEnabled()
    assert sandbox.received == []


def test_changing_the_phone_column_rechecks(qtbot, view) -> None:
    _paste_and_check(qtbot, view, "Home,Work\n020 7946 0000,+14155550123\n")
    index = view.phone_column.findText("Work")
    view.phone_column.setCurrentIndex(index)
    view.phone_column.activated.emit(index)
    qtbot.waitUntil(lambda: view.checked is not None and view.checked.valid[0].e164 == "+14155550123")


def test_left_out_rows_export(qtbot, view, tmp_path: Path) -> None:
    _paste_and_check(qtbot, view, _contacts(1) + "Wrong,12345,\n")
    out = tmp_path / "left-out.csv"
    with qtbot.waitSignal(view.export_rejected(out).succeeded) as saved:
        pass
    assert saved.args[0] == 1 and view.import_error.text() == f"Saved 1 left-out row to {out}."
    with out.open(encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["kind"] == "invalid" and row["label"] == "Wrong"


def test_file_import_create_and_run_shows_live_progress_then_saves_a_screenshot(
    qtbot, view, sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "october-leads.csv"
    path.write_text(_contacts(30) + "Wrong,12345,\nDup,098765 00001,\n", encoding="utf-8")
    sandbox.faults.latency_s = 0.01
    sandbox.faults.lose_reply, sandbox.faults.server_error = 2, 2
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, 0.1
    view.load_file(path)
    qtbot.waitUntil(lambda: view.checked is not None, timeout=10_000)
    view.new_settings.rate.setValue(0)
    view.new_settings.concurrency.setValue(4)
    view.new_settings.window.setText("any")
    with qtbot.waitSignal(view.run_finished, timeout=30_000) as finished:
        view.create_start_button.click()
    result = finished.args[0]
    assert result.status == "finished"
    assert view.pages.currentWidget() is view.campaign_page
    assert "Finished" in view.status.text()
    assert "Accepted 30" in view.counts.text()
    assert view.progress.value() == 30 and view.progress.maximum() == 30
    qtbot.waitUntil(lambda: view.rows_model.rowCount() == 30)  # the table reads on a worker
    qtbot.waitUntil(lambda: view.rows_model.index(0, 3).data() == "Accepted")
    assert_exactly_once(sandbox, Journal.open(view.current_id).path)
    qtbot.waitUntil(
        lambda: view.campaign_list.count() == 1 and "30/30 accepted" in view.campaign_list.item(0).text()
    )
    view.row_filter.setCurrentIndex(view.row_filter.findText("Accepted"))
    qtbot.waitUntil(lambda: not view.rows_model.loading)
    assert view.rows_model.rowCount() == 30
    assert view.grab().save(str(tmp_path / "campaigns.png"))  # renders; docs/ shots: scripts/screenshots.py


def test_pause_and_resume_from_the_window(qtbot, view, sandbox) -> None:
    _paste_and_check(qtbot, view, _contacts(20))
    view.new_settings.rate.setValue(0)
    view.new_settings.concurrency.setValue(2)
    view.new_settings.window.setText("any")
    sandbox.faults.latency_s = 0.05
    with qtbot.waitSignal(view.run_finished, timeout=30_000) as paused:
        view.create_start_button.click()
        qtbot.waitUntil(lambda: len(sandbox.accepted_calls) >= 4, timeout=10_000)
        view.pause_button.click()
    assert paused.args[0].status == "paused"
    assert "Paused" in view.status.text()
    assert view.start_button.text() == "Resume" and view.start_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=30_000) as resumed:
        view.start_button.click()
    assert resumed.args[0].status == "finished"
    assert_exactly_once(sandbox, Journal.open(view.current_id).path)


def test_pause_pressed_the_moment_a_campaign_starts_is_kept(qtbot, view, sandbox) -> None:
    """The runner is built on its worker; a Pause pressed before it exists must not be lost."""
    _paste_and_check(qtbot, view, _contacts(20))
    view.new_settings.rate.setValue(0)
    view.new_settings.window.setText("any")
    sandbox.faults.latency_s = 0.2
    with qtbot.waitSignal(view.run_finished, timeout=30_000) as paused:
        view.create_start_button.click()
        qtbot.waitUntil(lambda: view.running, timeout=10_000)
        assert view.pause_button.isEnabled()
        # while running, only the calling window may change (the runner takes it at once)
        assert view.run_settings.window.isEnabled() and not view.run_settings.rate.isEnabled()
        view.pause_button.click()  # at once: the runner may still be being built
    assert paused.args[0].status == "paused"
    assert len(sandbox.accepted_calls) < 20


def test_account_problem_is_explained_in_the_window(qtbot, sandbox) -> None:
    from dataclasses import replace

    wrong = replace(sandbox.account, api_key="not-the-key")
    profile = Profile(name="Acme", company_id=wrong.company_id, public_ivr_id=wrong.public_ivr_id)
    view = CampaignsView(lambda: Resolved(profile=profile, account=wrong, sources={}))
    qtbot.addWidget(view)
    try:
        _paste_and_check(qtbot, view, _contacts(5))
        view.new_settings.window.setText("any")
        with qtbot.waitSignal(view.run_finished, timeout=30_000) as blocked:
            view.create_start_button.click()
        assert blocked.args[0].status == "blocked"
        assert "Stopped by a problem" in view.status.text() and "x-api-key" in view.status.text()
        assert "not-the-key" not in view.status.text()
    finally:
        view.shutdown(timeout_s=10)


def _open_past_campaign(qtbot, view: CampaignsView, rows: int) -> str:
    """A campaign of ``rows`` already-checked numbers (+919800000000, …), opened from the sidebar."""
    checked = CheckResult()  # already checked: these tests are about the view, not the checker
    checked.valid.extend(ValidRow(i + 1, f"+9198{i:08d}", f"Customer {i}") for i in range(rows))
    with Journal.create(checked, CampaignSettings(calling_window="any")) as journal:
        campaign_id = journal.id
    view.refresh_campaigns()
    qtbot.waitUntil(lambda: view.campaign_list.count() == 1, timeout=20_000)
    view.campaign_list.itemClicked.emit(view.campaign_list.item(0))
    return campaign_id


def test_a_past_campaign_with_100k_rows_reopens_without_loading_every_row(qtbot, view) -> None:
    campaign_id = _open_past_campaign(qtbot, view, 100_000)
    assert view.current_id == campaign_id
    model = view.rows_model
    with StallMeter() as meter:
        qtbot.waitUntil(lambda: model.rowCount() == 100_000, timeout=10_000)  # ids read on a worker
        qtbot.waitUntil(lambda: model.index(99_999, 1).data() == "+919800099999", timeout=10_000)
    assert meter.longest_ms < 400  # generous: the ids alone took ~110 ms on the GUI thread before
    assert len(model._pages) <= 3  # only the pages on screen (and the one asked for) were read
    view.row_search.setText("+919800012345")
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert view.start_button.text() == "Start" and view.start_button.isEnabled()


def test_every_control_is_labelled_and_no_secret_is_shown(qtbot, view, sandbox) -> None:
    from tests.ui.widget_walk import all_texts, unlabelled_controls

    _paste_and_check(qtbot, view, _contacts(2))
    with qtbot.waitSignal(view.run_finished, timeout=30_000):
        view.new_settings.window.setText("any")
        view.create_start_button.click()
    assert unlabelled_controls(view) == []
    secrets = sandbox.account.secrets
    assert not [text for _owner, text in all_texts(view) if any(s in text for s in secrets)]


def test_the_do_not_call_list_edited_in_its_dialog_leaves_numbers_out(qtbot, view, tmp_path: Path) -> None:
    from desktop_app.credentials import ProfileStore
    from desktop_app.ui.do_not_call_dialog import DoNotCallDialog

    first, second, third = numbers(3)
    shared = tmp_path / "shared-dnc.txt"
    shared.write_text(f"{third}\n", encoding="utf-8")
    dialog = DoNotCallDialog(ProfileStore(), "IN")
    qtbot.addWidget(dialog)
    dialog.numbers.setPlainText(f"# asked not to be called\n{first}\nnot a number")
    dialog.file.setText(str(shared))
    assert "1 numbers recognised in the list; 1 in the file" in dialog.summary.text()
    dialog.save()

    _paste_and_check(qtbot, view, _contacts(3))
    assert view.checked.summary()["excluded"] == 2 and view.checked.summary()["valid"] == 1
    assert "2 on the do-not-call list" in view.check_summary.text()
    assert {row.e164 for row in view.checked.valid} == {second}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is not a text or spreadsheet file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a text or spreadsheet file"),
        (b"Name,Mobile\nA,+919876543210\nB,\"x" + b"y" * 200_000 + b"\"\n", "could not be read as a list"),
    ],
)
def test_a_file_that_is_not_a_list_is_said_in_words_and_clears_the_last_one(
    qtbot, view, tmp_path: Path, content: bytes, words: str
) -> None:
    _paste_and_check(qtbot, view, _contacts(3))  # a good list first
    bad = tmp_path / "contacts.csv"
    bad.write_bytes(content)
    with qtbot.waitSignal(view.load_file(bad).failed, timeout=10_000):
        pass
    message = view.import_error.text()
    assert words in message and "contacts.csv" in message
    assert "Error" not in message and "Traceback" not in message  # no Python class names
    assert view.checked is None and view.preview_model.rowCount() == 0
    assert not view.create_start_button.isEnabled()  # the previous list cannot be created by mistake


def test_new_campaign_starts_from_a_clean_form(qtbot, view) -> None:
    _paste_and_check(qtbot, view, _contacts(3) + "Wrong,12345,\n")
    view.new_button.click()
    assert view.paste.toPlainText() == "" and view.preview_model.rowCount() == 0
    assert view.check_summary.text() == "" and view.checked is None
    assert not view.create_start_button.isEnabled()


def test_rows_are_lines_of_the_file_and_numbers_are_numbers_to_call(qtbot, view) -> None:
    _paste_and_check(qtbot, view, "Name,Mobile\nA,+919876500001 / +919876500002\nB,+919876500003\n")
    summary = view.check_summary.text()
    assert "<b>3 numbers to call</b> from 2 rows (3 numbers)" in summary
    assert "0 duplicates" in summary


def test_the_rows_table_shows_problem_titles_and_local_times_with_their_zone(monkeypatch) -> None:
    import time as time_module

    from desktop_app.ui.campaigns_view import _problem_title, local_time

    assert _problem_title("auth_failed") == "Not authorised" and _problem_title(None) == ""
    assert _problem_title("something_new") == "something_new"  # an unknown code is still shown
    if not hasattr(time_module, "tzset"):  # Windows: the zone cannot be switched for a test
        return
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time_module.tzset()
    try:
        assert local_time("2026-12-06T21:40:00Z") == "2026-12-07 03:10:00 IST"
        assert local_time("not a time") == "not a time"
    finally:
        monkeypatch.undo()
        time_module.tzset()


def test_the_preview_marks_each_row_left_out_with_its_reason_and_can_show_only_those(qtbot, view) -> None:
    _paste_and_check(qtbot, view, _contacts(3) + "Wrong,12345,\nAgain,098765 00000,\n")
    model = view.preview_model
    last = model.columnCount() - 1
    assert model.headerData(last, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == "Check"
    verdicts = [model.index(row, last).data() for row in range(model.rowCount())]
    assert verdicts[:3] == ["✓ to call"] * 3
    assert verdicts[3].startswith("Invalid: ") and verdicts[4].startswith("Duplicate: Same number as line")
    view.problems_only.setChecked(True)
    assert model.rowCount() == 2
    assert [model.headerData(r, Qt.Orientation.Vertical, Qt.ItemDataRole.DisplayRole) for r in range(2)] == [
        "5",
        "6",
    ]  # their lines in the file
    view.new_button.click()
    assert not view.problems_only.isChecked() and not view.problems_only.isEnabled()


def test_the_preview_paints_every_role_of_a_cell_as_data_answers_it(qtbot, view) -> None:
    # Views ask multiData (one call into Python per cell); it must say what data says, role by role.
    _paste_and_check(qtbot, view, _contacts(2) + "Wrong,12345,\n")
    model = view.preview_model
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole]
    roles += [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.DecorationRole]
    answered = 0
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in roles:
                slot = QModelRoleData(int(role))
                model.multiData(index, QModelRoleDataSpan(slot))
                assert slot.data() == model.data(index, role), (row, column, role)
                answered += slot.data() is not None
    assert answered > model.rowCount() * model.columnCount()  # not all blank


def test_the_sidebar_follows_a_running_campaign_without_waiting_for_its_end(qtbot, view, sandbox) -> None:
    _paste_and_check(qtbot, view, _contacts(12))
    sandbox.faults.latency_s = 0.15  # slow enough to look at it mid-run
    view.new_settings.rate.setValue(0)
    view.new_settings.concurrency.setValue(1)
    view.new_settings.window.setText("any")
    view.create_start_button.click()

    def mid_run() -> bool:
        if view.campaign_list.count() != 1:
            return False
        text = view.campaign_list.item(0).text()
        return "Calling…" in text and any(f"{n}/12 accepted" in text for n in range(1, 12))

    qtbot.waitUntil(mid_run, timeout=20_000)
    assert view.running
    with qtbot.waitSignal(view.run_finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: "12/12 accepted" in view.campaign_list.item(0).text())
    assert view.campaign_list.item(0).text().splitlines()[2].endswith(time.strftime("%Z"))  # local, with zone


def test_a_running_campaigns_table_rereads_its_rows_on_screen_and_repaints_only_those_that_changed(
    qtbot, view
) -> None:
    # Each painted cell is a call from Qt into Python, which waits for the GIL the campaign's workers
    # hold: a refresh that changes nothing repaints nothing, and one changed row repaints one row.
    campaign_id = _open_past_campaign(qtbot, view, 600)
    model = view.rows_model
    qtbot.waitUntil(lambda: model.index(0, 1).data() == "+919800000000", timeout=10_000)
    on_screen = view._rows_on_screen()
    assert 0 in on_screen and len(on_screen) < 256  # the first page, not the whole campaign
    repainted: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, *_roles: repainted.append((first.row(), last.row())))

    model.refresh_rows(on_screen)
    qtbot.waitUntil(lambda: not model.loading)
    assert repainted == []

    with Journal.open(campaign_id) as journal:
        [claimed] = journal.claim(1, time.time())
    model.refresh_rows(view._rows_on_screen())
    qtbot.waitUntil(lambda: bool(repainted))
    assert repainted == [(0, 0)] and claimed.number == "+919800000000"
    state = model.index(0, 3)
    assert state.data() != "Pending" and model.index(1, 3).data() == "Pending"
    assert state.data(Qt.ItemDataRole.ToolTipRole) == state.data()  # no problem: the state in words
