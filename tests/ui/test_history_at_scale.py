"""History with 100,000 calls: the tab opens on its first page, more arrive as you scroll, search and
export run on a worker, and the GUI thread keeps ticking throughout (generous bounds: the measured
figures are ``bench/responsiveness.py``'s)."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from desktop_app.history import COLUMNS, History
from desktop_app.ui.history_view import PAGE_SIZE
from tests.ui.conftest import StallMeter, history_settled

ROWS = 100_000
STALL_BOUND_MS = 400  # the same work on the GUI thread stalls for seconds (export) or ~150 ms (open)


def fill(history: History, rows: int) -> None:
    """``rows`` calls in one transaction, through the real schema (numbers are fictional)."""
    values = []
    for i in range(rows):
        status = ("accepted", "rejected", "failed")[i % 10 // 8 + (i % 10 == 9)]
        stamp = f"2026-{1 + i * 11 // rows:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000+00:00"
        row = {
            "id": i + 1, "time": stamp, "profile": "Acme Sales", "kind": ("user", "ivr")[i % 2],
            "customer": f"+9190000{i:05d}", "agent": "", "reference_id": f"opd-scale-{i:08d}",
            "status": status, "confirmed_by_duplicate": 0, "http_status": 200,
            "problem_code": "", "problem_title": "", "unique_id": "", "attempts": 1, "source": "window",
            "caller_id": "", "region": "", "route_group": "", "max_call_duration": None,
            "sends": 1, "updated": stamp, "result": "", "talk_seconds": None, "agent_answered": None,
            "matched_by": "", "log_record": "", "recording": "",
        }  # fmt: skip
        values.append(tuple(row[c] for c in COLUMNS))
    db = sqlite3.connect(history.path)
    with db:
        db.executemany(f"INSERT INTO calls VALUES ({', '.join('?' * len(COLUMNS))})", values)
    db.close()


@pytest.fixture
def big_window(make_window, sandbox_profile, history):
    fill(history, ROWS)
    return make_window()


def test_the_history_tab_opens_on_its_first_page_and_fetches_more_as_you_scroll(qtbot, big_window):
    view = big_window.history_view
    with StallMeter() as meter:
        big_window.tabs.setCurrentWidget(view)
        history_settled(qtbot, view)
    assert meter.longest_ms < STALL_BOUND_MS
    assert view.model.rowCount() == PAGE_SIZE and view.summary.text() == "100,000 calls"
    assert view.model.entries[0].reference_id == f"opd-scale-{ROWS - 1:08d}"  # newest first

    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 * PAGE_SIZE, timeout=10_000)
    ids = [entry.id for entry in view.model.entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)  # no gap, no repeat


def test_searching_100000_calls_keeps_the_window_ticking(qtbot, big_window):
    view = big_window.history_view
    big_window.tabs.setCurrentWidget(view)
    history_settled(qtbot, view)
    with StallMeter() as meter:
        view.search.setText("+91 90000 12345")
        history_settled(qtbot, view)
        view.search.setText("no such call anywhere")  # the slowest search: every row is read
        history_settled(qtbot, view)
    assert meter.longest_ms < STALL_BOUND_MS
    assert view.model.rowCount() == 0 and view.summary.text() == "0 of 100,000 calls match"


def test_exporting_100000_calls_runs_on_a_worker(qtbot, big_window, tmp_path):
    view = big_window.history_view
    big_window.tabs.setCurrentWidget(view)
    history_settled(qtbot, view)
    target = tmp_path / "all.csv"
    with StallMeter() as meter, qtbot.waitSignal(view.export(target).succeeded, timeout=60_000) as done:
        assert view.export_note.text().startswith("Exporting")
    assert meter.longest_ms < STALL_BOUND_MS
    assert done.args[0] == ROWS
    with target.open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.reader(handle)) == ROWS + 1  # and the header
