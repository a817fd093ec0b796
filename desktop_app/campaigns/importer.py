"""Reading contact lists: pasted text, CSV in any common dialect and encoding, XLSX.

The result is a ``Table`` (headers + text cells). ``guess_columns`` finds the phone column by
header name confirmed by content, or by content alone, and a label column (name/notes).
``extract`` yields one ``RawRow`` per number, splitting cells that hold several numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from desktop_app.numbers import is_scientific

DELIMITERS = ("\t", ";", "|", ",")
SAMPLE_ROWS = 200
PHONE_SCORE_MIN = 0.5

_PHONE_HEADER = re.compile(
    r"phone|mobile|mob\b|number|\bno\b|\bnum\b|cell|tel\b|telephone|msisdn|whats ?app|contact ?(no|num)",
    re.IGNORECASE,
)
_LABEL_HEADER = re.compile(r"name|contact|customer|client|label|note|comment|company", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[\s+()\-./0-9:;,|#*xXeE%]+$|^tel:|^callto:", re.IGNORECASE)
# Excel's delimiter hint: a first line "sep=;" (sometimes quoted) that is not part of the table.
_SEP_HINT = re.compile(r'\ufeff?"?sep=(.)"?[\r\n]*', re.IGNORECASE)
_FLOAT_ZERO = re.compile(r"^\s*(\+?\d{5,})\.0+\s*$")
_MULTI_HINT = re.compile(r":::|[;|,\n]| / ")
_MULTI_SPLIT = re.compile(r"\s*(?::::|;|\||,|\n|\s/\s)\s*")


class ListImportError(ValueError):
    """The file cannot be read as a contact list (message says why)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    has_header: bool
    source: str
    encoding: str = ""
    delimiter: str = ""
    first_line: int = field(default=1)  # source line number of rows[0]

    @property
    def column_count(self) -> int:
        return len(self.headers)


@dataclass(frozen=True)
class ColumnChoice:
    phone: int | None
    label: int | None
    phone_by: str  # "header", "content", "user" or "none"


class RawRow(NamedTuple):  # a tuple: 100,000 of them are made in one import
    line: int  # 1-based line/row in the source, for messages
    raw: str
    label: str


# -- reading ---------------------------------------------------------------------------------------


def read_file(path: str | Path) -> Table:
    path = Path(path)
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            return read_xlsx(path)
        data = path.read_bytes()
    except OSError as exc:
        raise ListImportError(f"Cannot read {path.name}: {exc.strerror or exc}") from exc
    if data.startswith(b"PK\x03\x04"):  # a workbook saved under another name (.csv, .txt…)
        return read_xlsx(path)
    if _looks_binary(data):
        raise ListImportError(
            f"{path.name} is not a text or spreadsheet file. Save the list as CSV or Excel (.xlsx) "
            "and open that."
        )
    encoding = detect_encoding(data)
    head = data[:65536].decode(encoding, errors="replace")
    # Stream the rows from the bytes: a whole-file str in a StringIO would cost 4 bytes a character.
    lines = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    table = _read_lines(lines, head, source=path.name)
    table.encoding = encoding
    return table


_BINARY_STARTS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0", b"\x7fELF", b"MZ")


def _looks_binary(data: bytes) -> bool:
    """A PDF, an image, an old .xls, a program…: not a list of numbers (UTF-16 text is not binary)."""
    if data.startswith(_BINARY_STARTS):
        return True
    head = data[:4000]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4:
        return False  # UTF-16: every other byte is NUL
    return b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 10


def detect_encoding(data: bytes) -> str:
    """BOMs first, then UTF-16 without BOM, UTF-8, and Windows-1252 as the fallback."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4000]
    if head and head.count(0) > len(head) // 4:  # UTF-16 without BOM: every other byte is NUL
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text with the detected encoding (undecodable bytes replaced)."""
    encoding = detect_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


def read_text(text: str, source: str = "pasted text") -> Table:
    return _read_lines(io.StringIO(text, newline=""), text[:65536], source)


def _read_lines(lines: Iterable[str], head: str, source: str) -> Table:
    head_lines = head.splitlines()
    hint = _SEP_HINT.fullmatch(head_lines[0]) if head_lines else None
    if hint:  # the delimiter is given; the hint line is neither a header nor a row
        lines = iter(lines)
        next(lines, None)
        delimiter = hint.group(1)
    else:
        delimiter = sniff_delimiter(head_lines[:50])
    # Cells are stripped where they are used, not all up front.
    try:
        if delimiter:
            # Row by row in Python, not list(reader): a C loop over 100,000 rows never lets the GIL
            # go, and the window (waiting for it) would stall for the whole parse.
            rows = [row for row in csv.reader(lines, delimiter=delimiter)]
        else:
            rows = [[line.strip()] for line in lines]
    except csv.Error as exc:  # a cell past the size limit, a stray NUL…: say it in words
        raise ListImportError(
            f"{source} could not be read as a list ({exc}). Save it again as CSV or Excel (.xlsx)."
        ) from None
    return _table(rows, source=source, delimiter=delimiter, skipped=1 if hint else 0)


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample into the most columns, consistently; '' for one column."""
    sample = [line for line in lines if line.strip()]
    if not sample:
        return ""
    best, best_score = "", 0.0
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        consistency = counts.count(mode) / len(counts)
        score = consistency * (1 + 0.01 * min(mode, 20))
        if consistency >= 0.6 and score > best_score:
            best, best_score = delimiter, score
    return best


def read_xlsx(path: Path) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ListImportError(f"Cannot open {path.name} as an Excel workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        rows = [[cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return _table(rows, source=path.name, delimiter="")


def cell_text(value: object) -> str:
    """An Excel cell as text; numeric cells keep every digit (9876543210.0 → 9876543210)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _table(rows: list[list[str]], source: str, delimiter: str, skipped: int = 0) -> Table:
    rows = [row for row in rows if "".join(row).strip()]
    if not rows:
        raise ListImportError(f"{source} holds no rows.")
    width = max(len(row) for row in rows)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    has_header = _looks_like_header(rows)
    if has_header:
        headers = [h.strip() or f"Column {i + 1}" for i, h in enumerate(rows[0])]
        body, first_line = rows[1:], 2
    else:
        headers, body, first_line = [f"Column {i + 1}" for i in range(width)], rows, 1
    return Table(headers, body, has_header, source, delimiter=delimiter, first_line=first_line + skipped)


def _looks_like_header(rows: list[list[str]]) -> bool:
    first = rows[0]
    if any(looks_like_phone(cell) for cell in first):
        return False
    if len(rows) == 1:
        return any(_PHONE_HEADER.search(cell) for cell in first)
    return any(column_phone_score(rows[1:SAMPLE_ROWS], i) >= PHONE_SCORE_MIN for i in range(len(first)))


# -- choosing columns ------------------------------------------------------------------------------


def looks_like_phone(cell: str) -> bool:
    text = cell.strip()
    if not text or not _PHONE_CHARS.search(text):
        return False
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6


def column_phone_score(rows: list[list[str]], index: int) -> float:
    cells = [row[index] for row in rows if index < len(row) and row[index].strip()]
    if not cells:
        return 0.0
    return sum(looks_like_phone(cell) for cell in cells) / len(cells)


def guess_columns(table: Table, preferred: str | None = None) -> ColumnChoice:
    """Phone column by header confirmed by content, else by content; plus a label column.

    ``preferred`` (a header name or 1-based column number) is the user's choice and wins.
    """
    sample = table.rows[:SAMPLE_ROWS]
    scores = [column_phone_score(sample, i) for i in range(table.column_count)]
    phone, by = None, "none"
    if preferred:
        phone, by = find_column(table, preferred), "user"
    if phone is None and table.has_header:
        named = [i for i, h in enumerate(table.headers) if _PHONE_HEADER.search(h)]
        confirmed = [i for i in named if scores[i] >= PHONE_SCORE_MIN]
        if confirmed:
            phone, by = max(confirmed, key=lambda i: scores[i]), "header"
    if phone is None:
        best = max(range(table.column_count), key=lambda i: scores[i])
        if scores[best] >= PHONE_SCORE_MIN:
            phone, by = best, "content"
    return ColumnChoice(phone, _guess_label(table, phone, scores), by)


def find_column(table: Table, name: str) -> int | None:
    wanted = name.strip().lower()
    for i, header in enumerate(table.headers):
        if header.strip().lower() == wanted:
            return i
    if wanted.isdigit() and 1 <= int(wanted) <= table.column_count:
        return int(wanted) - 1
    count = table.column_count
    if wanted.isdigit():
        raise ListImportError(
            f"There is no column {int(wanted)}: the list has {count} column{'' if count == 1 else 's'} "
            f"({', '.join(table.headers)})."
        )
    raise ListImportError(f"No column named {name!r}; the columns are: {', '.join(table.headers)}.")


def _guess_label(table: Table, phone: int | None, scores: list[float]) -> int | None:
    candidates = [i for i in range(table.column_count) if i != phone and scores[i] < PHONE_SCORE_MIN]
    if table.has_header:
        for i in candidates:
            if _LABEL_HEADER.search(table.headers[i]):
                return i
    for i in candidates:
        if any(cell.strip() for cell in (row[i] for row in table.rows[:SAMPLE_ROWS])):
            return i
    return None


# -- rows ------------------------------------------------------------------------------------------


def numeric_text(cell: str) -> str:
    """Undo harmless spreadsheet damage: '9876543210.0' back to plain digits.

    Scientific notation ('9.19877E+11') is left as written: ``numbers`` expands it when every digit
    is there and refuses it, with the reason, when Excel dropped some.
    """
    if "." not in cell:
        return cell
    match = _FLOAT_ZERO.match(cell)
    return match.group(1) if match else cell


def split_numbers(cell: str) -> list[str]:
    """'a ::: b' (contact exports), 'a; b', 'a, b' → ['a', 'b']."""
    if not _MULTI_HINT.search(cell):
        stripped = cell.strip()
        return [stripped] if stripped else []
    return [part for part in _MULTI_SPLIT.split(cell) if part.strip()]


def extract(table: Table, phone: int, label: int | None) -> Iterator[RawRow]:
    """One RawRow per number (rows are padded to the table's width, so indexing is safe)."""
    first = table.first_line
    for offset, row in enumerate(table.rows):
        text_label = row[label].strip() if label is not None else ""
        cell = row[phone]
        # The usual case: one number (or nothing) in the cell. '9,19877E+11' is one number too.
        if not _MULTI_HINT.search(cell) or is_scientific(cell):
            yield RawRow(first + offset, numeric_text(cell.strip()), text_label)
            continue
        parts = split_numbers(cell) or [""]  # only separators: still a row, reported as empty
        for part in parts:
            yield RawRow(first + offset, numeric_text(part), text_label)


def preview(table: Table, limit: int = 20) -> list[list[str]]:
    return [list(row) for row in table.rows[:limit]]
