"""Cells for CSV files people open in a spreadsheet: one rule for every export (history, campaigns).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets (CSV injection), so a contact name such as
``=HYPERLINK("http://evil.example")`` in an imported list must come back out as text.
"""

from __future__ import annotations


def csv_cell(value: object) -> object:
    """Keep spreadsheets from running a cell as a formula; E.164 numbers stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    risky = text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].isdigit())
    return "'" + text if risky else value
