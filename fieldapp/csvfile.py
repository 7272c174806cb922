"""Writing CSV that is safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula: a plotter make like ``=HYPERLINK("http://evil", "HP")``,
typed by anyone who can claim a label, would run on the office's computer. Such cells get a
leading apostrophe (shown by no spreadsheet, and plain text to all of them); numbers stay
numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


def plain_cell(text: str) -> str:
    """A cell read back from a file this app wrote: the apostrophe safe_cell added, taken off
    again (so an export imported as it is changes nothing)."""
    rest = text[1:]
    if text.startswith("'") and rest.startswith(FORMULA_STARTS) and not _NUMBER.match(rest):
        return rest
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
