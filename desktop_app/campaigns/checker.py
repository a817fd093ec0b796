"""Checking an imported list: normalise every number, drop invalid, duplicate and do-not-call rows.

Every row ends in exactly one bucket, so ``rows == valid + invalid + duplicates + excluded``.
The rejected rows (with the reason) can be exported as CSV for the person who made the list.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from desktop_app import storage
from desktop_app.campaigns.importer import RawRow, extract, guess_columns, read_file
from desktop_app.csv_cells import csv_cell
from desktop_app.numbers import NumberError, normalise_fast

DO_NOT_CALL_PREF = "campaign_do_not_call"  # list of numbers managed in settings
DO_NOT_CALL_FILE_PREF = "campaign_do_not_call_file"  # path of a file with one number per line


class ValidRow(NamedTuple):  # tuples: cheap to make by the hundred thousand
    line: int
    e164: str
    label: str


class RejectedRow(NamedTuple):
    line: int
    raw: str
    label: str
    kind: str  # "invalid", "duplicate" or "excluded"
    reason: str


def counted(n: int, word: str) -> str:
    """'1 row', '2 rows', '1,000 numbers': the campaign words with their right plural."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass
class CheckResult:
    valid: list[ValidRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Numbers found (a cell may hold several): valid and left out together."""
        return len(self.valid) + len(self.rejected)

    def summary_text(self) -> str:
        """'3 numbers to call from 5 rows · 1 invalid · 1 duplicate · 0 on the do-not-call list'
        (rows are lines of the file; when a cell held several numbers, they are counted too)."""
        found = counted(self.lines, "row")
        if self.lines != self.rows:
            found += f" ({counted(self.rows, 'number')})"
        duplicates = counted(self.count("duplicate"), "duplicate")
        return (
            f"{counted(len(self.valid), 'number')} to call from {found} · {self.count('invalid')} invalid · "
            f"{duplicates} · {self.count('excluded')} on the do-not-call list"
        )

    @property
    def lines(self) -> int:
        """Rows of the file that held something to check."""
        return len({row.line for row in self.valid} | {row.line for row in self.rejected})

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rejected if row.kind == kind)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "valid": len(self.valid),
            "invalid": self.count("invalid"),
            "duplicates": self.count("duplicate"),
            "excluded": self.count("excluded"),
        }


def check_rows(
    raw_rows: Iterable[RawRow], default_region: str | None = "IN", do_not_call: Iterable[str] = ()
) -> CheckResult:
    """Normalise with the profile's region; the first occurrence of a number wins."""
    blocked = frozenset(do_not_call)
    result = CheckResult()
    valid, rejected = result.valid, result.rejected
    first_line: dict[str, int] = {}
    for row in raw_rows:
        try:
            e164 = normalise_fast(row.raw, default_region)
        except NumberError as error:
            reason = error.reason if row.raw.strip() else "No number in this row."
            rejected.append(RejectedRow(row.line, row.raw, row.label, "invalid", reason))
            continue
        seen = first_line.get(e164)
        if seen is not None:
            reason = f"Same number as line {seen} ({e164})."
            rejected.append(RejectedRow(row.line, row.raw, row.label, "duplicate", reason))
            continue
        first_line[e164] = row.line
        if e164 in blocked:
            reason = f"{e164} is on the do-not-call list."
            rejected.append(RejectedRow(row.line, row.raw, row.label, "excluded", reason))
            continue
        valid.append(ValidRow(row.line, e164, row.label))
    return result


def check_file(
    path: str | Path,
    default_region: str | None = "IN",
    column: str | None = None,
    do_not_call: Iterable[str] = (),
) -> tuple[CheckResult, str]:
    """Read, map and check a file in one go; returns the result and the phone column's name."""
    table = read_file(path)
    choice = guess_columns(table, column)
    if choice.phone is None:
        from desktop_app.campaigns.importer import ListImportError

        raise ListImportError(
            f"No column of {table.source} looks like phone numbers; choose one with --column "
            f"(columns: {', '.join(table.headers)})."
        )
    result = check_rows(extract(table, choice.phone, choice.label), default_region, do_not_call)
    return result, table.headers[choice.phone]


# -- do-not-call -----------------------------------------------------------------------------------


def normalise_many(numbers: Iterable[str], default_region: str | None = "IN") -> set[str]:
    """Numbers in any format to E.164; lines that are not numbers (comments, headers) are skipped."""
    found: set[str] = set()
    for text in numbers:
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            found.add(normalise_fast(text.split(",")[0].strip(), default_region))
        except NumberError:
            continue
    return found


def read_do_not_call_file(path: str | Path, default_region: str | None = "IN") -> set[str]:
    from desktop_app.campaigns.importer import decode

    text, _encoding = decode(Path(path).read_bytes())
    return normalise_many(text.splitlines(), default_region)


def do_not_call_from_settings(prefs: Any, default_region: str | None = "IN") -> set[str]:
    """The do-not-call numbers from preferences: a list kept in settings and/or a file.

    ``prefs`` is anything with ``get_pref(key, default)`` (``credentials.ProfileStore``).
    """
    numbers = normalise_many(prefs.get_pref(DO_NOT_CALL_PREF, []) or [], default_region)
    file_path = prefs.get_pref(DO_NOT_CALL_FILE_PREF, "") or ""
    if file_path and Path(file_path).is_file():
        numbers |= read_do_not_call_file(file_path, default_region)
    return numbers


# -- export ----------------------------------------------------------------------------------------

REJECTED_COLUMNS = ("line", "number_as_given", "label", "kind", "reason")


def rejected_as_dicts(rows: Iterable[RejectedRow]) -> list[Mapping[str, Any]]:
    return [
        {"line": r.line, "number_as_given": r.raw, "label": r.label, "kind": r.kind, "reason": r.reason}
        for r in rows
    ]


def export_rejected_csv(rows: Iterable[RejectedRow], path: str | Path) -> int:
    """Write the invalid/duplicate/excluded rows (UTF-8 with BOM so Excel opens it right).

    Cells that a spreadsheet would run as a formula are defused (``csv_cells``).
    """
    count = 0
    with storage.private_open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=REJECTED_COLUMNS)
        writer.writeheader()
        for row in rejected_as_dicts(rows):
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
            count += 1
    return count
