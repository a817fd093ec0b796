"""Every campaign CSV export defuses formulas: the results and the rows left out at import.

Contact lists come from outside; a name like ``=HYPERLINK(...)`` or a "number" like ``@SUM(A1)``
must come back out as text, never run by the spreadsheet that opens the export.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from desktop_app.campaigns.checker import check_rows, export_rejected_csv
from desktop_app.campaigns.importer import RawRow
from desktop_app.campaigns.journal import CampaignSettings, Journal
from desktop_app.csv_cells import csv_cell

EVIL = '=HYPERLINK("http://evil.example","click")'
ROWS = [
    RawRow(2, "+91 98765 43210", EVIL),  # valid, with a formula for a name
    RawRow(3, "=1+2", "Asha"),  # invalid: the "number" is a formula
    RawRow(4, "@SUM(A1:A9)", "-2+3"),  # invalid, and the label too
    RawRow(5, "098765 43210", "+cmd|' /C calc'!A0"),  # duplicate of line 2
]


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _no_formula(cells: list[list[str]]) -> None:
    for row in cells:
        for cell in row:
            risky = cell[:1] in ("=", "@", "\t", "\r") or (cell[:1] in ("+", "-") and not cell[1:].isdigit())
            assert not risky, f"a spreadsheet would run {cell!r}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+919876543210", "+919876543210"),
        ("-5", "-5"),
        (EVIL, "'" + EVIL),
        ("@x", "'@x"),
        ("+1 415", "'+1 415"),
        ("\tx", "'\tx"),
        (None, ""),
        (True, "yes"),
        (3, 3),
    ],
)
def test_one_rule_for_every_cell(value: object, shown: object) -> None:
    assert csv_cell(value) == shown


def test_campaign_results_export_defuses_formulas_and_keeps_e164(tmp_path: Path) -> None:
    checked = check_rows(ROWS, "IN")
    with Journal.create(checked, CampaignSettings(), directory=tmp_path) as journal:
        out = tmp_path / "results.csv"
        assert journal.export_csv(out) == 4
    cells = _cells(out)
    _no_formula(cells)
    assert cells[1][1:3] == ["+919876543210", "'" + EVIL]
    assert cells[2][1:3] == ["'=1+2", "Asha"]
    assert cells[3][1:3] == ["'@SUM(A1:A9)", "'-2+3"]


def test_left_out_rows_export_defuses_formulas(tmp_path: Path) -> None:
    checked = check_rows(ROWS, "IN")
    out = tmp_path / "left-out.csv"
    assert export_rejected_csv(checked.rejected, out) == 3
    cells = _cells(out)
    _no_formula(cells)
    assert [row[1:3] for row in cells[1:]] == [
        ["'=1+2", "Asha"],
        ["'@SUM(A1:A9)", "'-2+3"],
        ["098765 43210", "'+cmd|' /C calc'!A0"],
    ]


def test_history_uses_the_same_rule() -> None:
    from desktop_app import history

    assert history._csv_cell is csv_cell
