"""Numbers Excel shortened (9.19877E+11) are never dialled, on every intake path; exact values work.

A 12-digit number in a General column is written to CSV as 9.19877E+11: six digits are gone, and
expanding it would ring a stranger (+919877000000). Every path that takes a number refuses it with
the same reason, because they all go through ``numbers``.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from desktop_app import numbers
from desktop_app.campaigns.checker import check_file, check_rows
from desktop_app.campaigns.importer import extract, guess_columns, read_file, read_text
from desktop_app.cli import main
from desktop_app.links import LinkError, parse_intake
from tests.strict_json import loads as strict_json

REASON = numbers.SHORTENED_BY_EXCEL
SHORTENED = ["9.19877E+11", "9.19877e+11", "+9.19877E+11", "9,19877E+11", "9.1987654321E+11", "9.87654E+09"]
EXACT = {
    "9.19876543210E+11": "+919876543210",
    "9,19876543210E+11": "+919876543210",
    "+9.19876543210E+11": "+919876543210",
    "9.876543210E+09": "+919876543210",
    "9.1987654321000E+11": "+919876543210",
}


@pytest.mark.parametrize("text", SHORTENED)
def test_a_shortened_number_is_refused_with_the_reason_by_every_numbers_function(text: str) -> None:
    with pytest.raises(numbers.NumberError) as refused:
        numbers.normalise(text, "IN")
    assert refused.value.reason == REASON
    with pytest.raises(numbers.NumberError, match="Excel shortened"):
        numbers.normalise_fast(text, "IN")
    checked = numbers.check(text, "IN")
    assert isinstance(checked, numbers.NumberError) and checked.reason == REASON


@pytest.mark.parametrize(("text", "e164"), EXACT.items())
def test_scientific_notation_with_every_digit_is_exact_and_works(text: str, e164: str) -> None:
    assert numbers.normalise(text, "IN").e164 == e164
    assert numbers.normalise_fast(text, "IN") == e164
    assert parse_intake(text, "IN").number.e164 == e164


def test_a_fraction_in_scientific_notation_is_not_a_phone_number() -> None:
    with pytest.raises(numbers.NumberError, match="not a whole number"):
        numbers.normalise("9.19876543210123E+11", "IN")


def test_link_intake_refuses_a_shortened_number_also_inside_a_link() -> None:
    for text in ("9.19877E+11", "tel:9.19877E+11", "opdial:dial?to=9.19877E%2B11"):
        with pytest.raises(LinkError, match=r"(?i)excel shortened this number"):
            parse_intake(text, "IN")


def test_cli_number_refuses_a_shortened_number_and_accepts_an_exact_one(capsys) -> None:
    assert main(["--json", "number", "9.19877E+11", "--region", "IN"]) == 2
    answer = strict_json(capsys.readouterr().out)
    assert answer == {"input": "9.19877E+11", "valid": False, "reason": REASON}
    assert main(["number", "9.19877E+11", "--region", "IN"]) == 2
    assert "Excel shortened this number" in capsys.readouterr().err
    assert main(["--json", "number", "9.19876543210E+11", "--region", "IN"]) == 0
    assert strict_json(capsys.readouterr().out)["e164"] == "+919876543210"


def _checked(table):
    choice = guess_columns(table)
    return check_rows(extract(table, choice.phone, choice.label), "IN")


def test_cli_call_never_sends_a_shortened_number(sandbox, sandbox_env, capsys) -> None:
    assert main(["--json", "call", "ivr", "--to", "9.19877E+11"]) == 2
    assert "Excel shortened" in json.dumps(strict_json(capsys.readouterr().out))
    assert sandbox.received == []  # nothing went out


def test_file_import_marks_the_shortened_row_invalid_and_keeps_the_exact_one(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("Name,Phone\r\nAsha,9.19877E+11\r\nBen,9.19876543210E+11\r\nCara,098765 43211\r\n")
    checked, column = check_file(path, "IN")
    assert column == "Phone"
    assert [row.e164 for row in checked.valid] == ["+919876543210", "+919876543211"]
    (refused,) = checked.rejected
    assert (refused.line, refused.raw, refused.kind, refused.reason) == (2, "9.19877E+11", "invalid", REASON)


def test_pasted_list_refuses_the_shortened_number_too() -> None:
    checked = _checked(read_text("9.19877E+11\n+91 98765 43212\n"))
    assert [row.e164 for row in checked.valid] == ["+919876543212"]
    assert [(r.raw, r.reason) for r in checked.rejected] == [("9.19877E+11", REASON)]


def test_excel_sep_line_is_a_delimiter_hint_not_a_header(tmp_path: Path) -> None:
    """Excel (with a comma decimal mark) writes 'sep=;' first and 9,19877E+11 in the cells."""
    path = tmp_path / "european.csv"
    path.write_bytes("\ufeffsep=;\r\nName;Phone\r\nAsha;9,19877E+11\r\nBen;+91 98765 43213\r\n".encode())
    table = read_file(path)
    assert (table.headers, table.delimiter, table.has_header) == (["Name", "Phone"], ";", True)
    checked = _checked(table)
    assert [(r.line, r.label) for r in checked.valid] == [(4, "Ben")]
    assert [(r.line, r.raw, r.reason) for r in checked.rejected] == [(3, "9,19877E+11", REASON)]


def test_quoted_sep_line_and_a_list_without_header(tmp_path: Path) -> None:
    table = read_text('"sep=,"\n+91 98765 43214,Asha\n+91 98765 43215,Ben\n')
    assert (table.delimiter, table.has_header, table.first_line) == (",", False, 2)
    assert [r.e164 for r in _checked(table).valid] == ["+919876543214", "+919876543215"]


def test_xlsx_numeric_cells_are_exact_and_a_text_cell_excel_shortened_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone"])
    sheet.append(["Integer cell", 919876543216])
    sheet.append(["Float cell", 9.19876543217e11])
    sheet.append(["Text cell copied from a CSV", "9.19877E+11"])
    book.save(path)
    checked, _column = check_file(path, "IN")
    assert [row.e164 for row in checked.valid] == ["+919876543216", "+919876543217"]
    assert [r.reason for r in checked.rejected] == [REASON]


def test_cli_campaign_never_dials_a_shortened_number(sandbox, sandbox_env, tmp_path, capsys) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Phone\nAsha,9.19877E+11\nBen,+91 98765 43218\n")
    args = ["--json", "campaign", "run", str(path), "--rate", "0", "--calling-window", "any"]
    assert main(args) == 0
    summary = strict_json(capsys.readouterr().out)
    assert (summary["valid"], summary["invalid"], summary["accepted"]) == (1, 1, 1)
    assert [call["number"] for call in sandbox.accepted_calls] == ["+919876543218"]
    out = tmp_path / "results.csv"
    assert main(["campaign", "export", summary["id"], "--out", str(out)]) == 0
    assert REASON in out.read_text(encoding="utf-8-sig")


def test_the_windows_number_field_refuses_a_shortened_number(qtbot) -> None:
    from desktop_app.ui.call_form import NumberField

    field = NumberField("Customer number", "+91 98765 43210", "The customer's number")
    qtbot.addWidget(field.edit)
    field.set_region("IN")
    field.set_text("9.19877E+11")
    assert field.parsed is None
    assert REASON in field.status.text()
    field.set_text("9.19876543210E+11")
    assert field.parsed is not None and field.parsed.e164 == "+919876543210"
