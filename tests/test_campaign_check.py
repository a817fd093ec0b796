"""Checking a list before it is committed: invalid, duplicate and do-not-call rows, with reasons."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.campaigns.checker import (
    DO_NOT_CALL_FILE_PREF,
    DO_NOT_CALL_PREF,
    check_file,
    check_rows,
    do_not_call_from_settings,
    export_rejected_csv,
)
from desktop_app.campaigns.importer import RawRow, extract, read_text
from desktop_app.credentials import ProfileStore
from desktop_app.numbers import NumberError, ParsedNumber, check, normalise_fast

LIST = """Name,Mobile
Asha,098765 43210
Ben,+91-98765-43210
Chen,12345
Dev,not a number
Esha,+14155550123
Farah,
Gita,+442079460000
"""


def _check(text: str, region: str = "IN", do_not_call: set[str] | frozenset[str] = frozenset()):
    table = read_text(text)
    return check_rows(extract(table, 1, 0), region, do_not_call)


def test_every_row_lands_in_exactly_one_bucket_with_a_reason() -> None:
    result = _check(LIST, do_not_call={"+442079460000"})
    assert result.summary() == {"rows": 7, "valid": 2, "invalid": 3, "duplicates": 1, "excluded": 1}
    assert [row.e164 for row in result.valid] == ["+919876543210", "+14155550123"]
    reasons = {row.label: (row.kind, row.reason) for row in result.rejected}
    assert reasons["Chen"] == ("invalid", "Too short for a number in India (IN).")
    assert reasons["Dev"][0] == "invalid" and "letters" in reasons["Dev"][1]
    assert reasons["Farah"] == ("invalid", "No number in this row.")
    assert reasons["Ben"] == ("duplicate", "Same number as line 2 (+919876543210).")
    assert reasons["Gita"] == ("excluded", "+442079460000 is on the do-not-call list.")


def test_national_numbers_are_read_in_the_profiles_region() -> None:
    rows = [RawRow(1, "020 7946 0000", "")]
    assert check_rows(rows, "GB").valid[0].e164 == "+442079460000"
    assert [row.e164 for row in check_rows(rows, "IN").valid] != ["+442079460000"]


def test_do_not_call_list_from_settings_and_from_a_file(tmp_path: Path) -> None:
    dnc_file = tmp_path / "dnc.txt"
    dnc_file.write_text("# numbers that asked not to be called\n+14155550123\n", encoding="utf-8")
    store = ProfileStore()
    store.set_pref(DO_NOT_CALL_PREF, ["098765 43210"])
    store.set_pref(DO_NOT_CALL_FILE_PREF, str(dnc_file))
    blocked = do_not_call_from_settings(store, "IN")
    assert blocked == {"+919876543210", "+14155550123"}
    result = _check(LIST, do_not_call=blocked)
    assert result.summary()["excluded"] == 2


def test_rejected_rows_export_as_csv_for_the_list_owner(tmp_path: Path) -> None:
    result = _check(LIST, do_not_call={"+442079460000"})
    out = tmp_path / "rejected.csv"
    assert export_rejected_csv(result.rejected, out) == 5
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["kind"] for row in rows} == {"invalid", "duplicate", "excluded"}
    assert rows[1] == {
        "line": "4",
        "number_as_given": "12345",
        "label": "Chen",
        "kind": "invalid",
        "reason": "Too short for a number in India (IN).",
    }


def test_check_file_reads_maps_and_checks_in_one_go(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(LIST, encoding="utf-8")
    result, column = check_file(path, "IN")
    assert column == "Mobile"
    assert result.summary()["valid"] == 3


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="0123456789 +-.()", min_size=1, max_size=18)
    | st.sampled_from(
        ["098765 43210", "+91-98765-43210", "0091 98765 43210", "(0)98765 43210", "+1 415 555 0123"]
    ),
    region=st.sampled_from(["IN", "GB", "US", "DE"]),
)
def test_the_bulk_path_agrees_with_the_full_normalisation(text: str, region: str) -> None:
    full = check(text, region)
    try:
        fast = normalise_fast(text, region)
    except NumberError as error:
        assert isinstance(full, NumberError) and error.reason == full.reason
    else:
        assert isinstance(full, ParsedNumber) and fast == full.e164


def test_the_check_counts_rows_and_numbers_with_right_plurals() -> None:
    from desktop_app.campaigns.checker import check_rows
    from desktop_app.campaigns.importer import RawRow

    one_each = check_rows(
        [RawRow(2, "+919876500001", ""), RawRow(3, "12345", ""), RawRow(4, "+919876500001", "")]
    )
    assert one_each.summary_text() == (
        "1 number to call from 3 rows · 1 invalid · 1 duplicate · 0 on the do-not-call list"
    )
    two_in_a_cell = check_rows([RawRow(2, "+919876500001", ""), RawRow(2, "+919876500002", "")])
    assert two_in_a_cell.summary_text().startswith("2 numbers to call from 1 row (2 numbers)")
