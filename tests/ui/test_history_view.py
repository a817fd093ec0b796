"""The history view: the table, search, outcome filter, dial again, CSV export."""

from __future__ import annotations

import csv

from desktop_app.api.models import CallKind
from tests.ui.conftest import CUSTOMER, history_settled, place


def _calls(qtbot, window) -> None:
    for kind, number in (
        (CallKind.USER, CUSTOMER),
        (CallKind.IVR, "+442079460000"),
        (CallKind.USER, "+919000000403"),
    ):
        window.form.set_kind(kind)
        window.form.customer.edit.setText(number)
        place(qtbot, window)
    window.tabs.setCurrentWidget(window.history_view)
    history_settled(qtbot, window.history_view)


def test_table_shows_every_call_newest_first(qtbot, window):
    _calls(qtbot, window)
    view = window.history_view
    model = view.model

    assert model.rowCount() == 3
    first = [model.cell_text(model.entries[0], c) for c in range(len(model.HEADERS))]
    assert first[1:8] == [
        "Acme Sales",
        "User dial",
        "+919000000403",
        "a1b2c3d4e5f60718",
        "Refused",
        "",  # no result: the call was not queued
        "Not authorised",
    ]
    assert model.cell_text(model.entries[1], 2) == "IVR call"
    assert model.entries[2].reference_id in model.cell_text(model.entries[2], 8)


def test_search_by_number_in_any_format_and_filter_by_outcome(qtbot, window):
    _calls(qtbot, window)
    view = window.history_view

    view.search.setText("+44 20 7946 0000")
    history_settled(qtbot, view)
    assert [e.customer for e in view.model.entries] == ["+442079460000"]

    view.search.setText("098765 43210")  # national form, read in the profile's country
    history_settled(qtbot, view)
    assert [e.customer for e in view.model.entries] == [CUSTOMER]

    view.search.setText("Not authorised")
    history_settled(qtbot, view)
    assert [e.problem_title for e in view.model.entries] == ["Not authorised"]

    view.search.clear()
    view.filter.setCurrentIndex(view.filter.findData("rejected"))
    history_settled(qtbot, view)
    assert [e.status for e in view.model.entries] == ["rejected"]
    assert view.summary.text() == "1 of 3 calls match"


def test_dial_again_fills_the_form(qtbot, window):
    _calls(qtbot, window)
    view = window.history_view
    view.table.selectRow(1)  # the IVR call
    window.form.set_kind(CallKind.USER)
    window.form.customer.edit.clear()

    view.dial_button.click()

    assert window.tabs.currentIndex() == 0
    assert window.form.kind is CallKind.IVR
    assert window.form.customer.parsed.e164 == "+442079460000"
    assert window.form.call_button.isEnabled()


def test_export_writes_the_rows_shown(qtbot, window, tmp_path):
    _calls(qtbot, window)
    view = window.history_view
    view.filter.setCurrentIndex(view.filter.findData("accepted"))

    history_settled(qtbot, view)
    with qtbot.waitSignal(view.export(tmp_path / "calls.csv").succeeded) as done:
        assert not view.export_button.isEnabled()  # one export at a time
    written = done.args[0]
    assert view.export_note.text() == f"Exported 2 calls to {tmp_path / 'calls.csv'}"

    rows = list(csv.DictReader((tmp_path / "calls.csv").open(encoding="utf-8")))
    assert written == len(rows) == 2
    assert {row["customer"] for row in rows} == {CUSTOMER, "+442079460000"}
    assert "sandbox-secret" not in (tmp_path / "calls.csv").read_text()
