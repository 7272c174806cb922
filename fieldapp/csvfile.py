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

from flask import Response, stream_with_context

from fieldapp.localtime import company_zone, local_today

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


def csv_download(rows: Iterable[Iterable[object]], name: str, batch: int = 500) -> Response:
    """Rows sent as the file name.csv, a batch at a time as they are made (so a list of every
    job or plotter never waits whole in memory), every cell made safe."""

    def lines():
        waiting: list = []
        for row in rows:
            waiting.append(row)
            if len(waiting) >= batch:
                yield csv_text(waiting)
                waiting = []
        if waiting:
            yield csv_text(waiting)

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def dated(name: str) -> str:
    """customers_2026-12-06: a download's name with the company's date."""
    return f"{name}_{local_today(company_zone()).isoformat()}"
