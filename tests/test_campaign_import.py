"""Importing contact lists: every delimiter, encoding and Excel quirk; choosing the phone column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from desktop_app.campaigns.importer import (
    ListImportError,
    extract,
    guess_columns,
    read_file,
    read_text,
    split_numbers,
)

ROWS = [("Asha Rao", "098765 43210", "call after lunch"), ("Ben Li", "+1 415 555 0123", "")]


def _csv_text(delimiter: str) -> str:
    lines = [delimiter.join(("Name", "Mobile", "Notes"))]
    lines += [delimiter.join(row) for row in ROWS]
    return "\r\n".join(lines) + "\r\n"


def _numbers(path_or_table) -> list[str]:
    table = read_file(path_or_table) if isinstance(path_or_table, Path) else path_or_table
    choice = guess_columns(table)
    assert choice.phone is not None
    return [row.raw for row in extract(table, choice.phone, choice.label)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_with_each_common_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(_csv_text(delimiter), encoding="utf-8")
    table = read_file(path)
    assert table.delimiter == delimiter
    assert table.headers == ["Name", "Mobile", "Notes"]
    assert _numbers(path) == ["098765 43210", "+1 415 555 0123"]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
def test_encodings_including_excel_unicode_text_and_windows_1252(
    tmp_path: Path, encoding: str, detected: str
) -> None:
    path = tmp_path / "list.txt"
    text = "Name\tMobile\r\nJosé Müller – café\t+442079460000\r\nZoë\t098765 43210\r\n"
    path.write_bytes(text.encode(encoding))
    table = read_file(path)
    assert table.encoding == detected
    assert table.headers == ["Name", "Mobile"]
    labels = [row.label for row in extract(table, 1, 0)]
    assert labels == ["José Müller – café", "Zoë"]  # no mojibake, BOM not glued to the header


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes("Phone\n+919876543210\n".encode("utf-16-le"))
    assert _numbers(path) == ["+919876543210"]


def test_xlsx_numeric_cells_integers_floats_and_scientific_notation(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Customer", "Phone"])
    sheet.append(["Int cell", 9876543210])
    sheet.append(["Float cell", 9876543211.0])
    sheet.append(["Scientific cell", 9.876543212e9])
    sheet.append(["Text cell", "+91 98765 43213"])
    book.save(path)
    assert _numbers(path) == ["9876543210", "9876543211", "9876543212", "+91 98765 43213"]


def test_spreadsheet_damage_in_csv_text_is_undone() -> None:
    """'9876543211.0' is undone here; scientific notation is left for ``numbers`` to expand or refuse."""
    table = read_text("Phone\n9.876543210E+09\n9876543211.0\n")
    assert _numbers(table) == ["9.876543210E+09", "9876543211"]


def test_phone_column_by_header_is_confirmed_by_content() -> None:
    """A 'Contact' column of names is not the phone column; 'Contact No' holding numbers is."""
    text = "Contact,Contact No,City\nAsha Rao,098765 43210,Pune\nBen Li,+14155550123,SF\n"
    table = read_text(text)
    choice = guess_columns(table)
    assert (choice.phone, choice.phone_by, choice.label) == (1, "header", 0)


def test_header_named_like_phone_but_holding_names_is_not_chosen() -> None:
    text = "Phone owner,Whatever\nAsha Rao,098765 43210\nBen Li,+14155550123\n"
    choice = guess_columns(read_text(text))
    assert (choice.phone, choice.phone_by) == (1, "content")


def test_phone_column_by_content_alone_without_a_header() -> None:
    table = read_text("Asha Rao;098765 43210\nBen Li;+14155550123\n")
    assert not table.has_header
    choice = guess_columns(table)
    assert (choice.phone, choice.phone_by, choice.label) == (1, "content", 0)


def test_user_choice_of_column_wins_by_name_or_number() -> None:
    table = read_text("Home,Work\n02079460000,+14155550123\n")
    assert guess_columns(table, "Work").phone == 1
    assert guess_columns(table, "1").phone == 0
    with pytest.raises(ListImportError, match="No column named 'Fax'"):
        guess_columns(table, "Fax")


def test_no_phone_column_is_reported_as_none() -> None:
    choice = guess_columns(read_text("Name,City\nAsha,Pune\nBen,SF\n"))
    assert choice.phone is None


def test_pasted_single_column_of_numbers() -> None:
    table = read_text("098765 43210\n+14155550123\n\n+442079460000\n")
    assert _numbers(table) == ["098765 43210", "+14155550123", "+442079460000"]


def test_cells_with_several_numbers_are_split_and_keep_their_label() -> None:
    text = (
        "Name,Phone 1 - Value\n"
        "Asha Rao,+919876543210 ::: +14155550123\n"
        '"Ben Li","02079460000; 098765 43211"\n'
    )
    table = read_text(text)
    rows = list(extract(table, 1, 0))
    assert [(r.line, r.raw, r.label) for r in rows] == [
        (2, "+919876543210", "Asha Rao"),
        (2, "+14155550123", "Asha Rao"),
        (3, "02079460000", "Ben Li"),
        (3, "098765 43211", "Ben Li"),
    ]


def test_split_keeps_a_number_with_spaces_whole() -> None:
    assert split_numbers("+91 98765 43210") == ["+91 98765 43210"]


def test_empty_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ListImportError, match="holds no rows"):
        read_file(path)
