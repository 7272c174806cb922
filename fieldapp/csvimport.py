"""Reading the CSV files people bring (what a spreadsheet or an old system saves), and what
an import reports back, row by row.

Every import reads its file here: the first row names the columns (in any case, spaced or
underscored, in any order, extra ones ignored), a spreadsheet's empty rows are skipped, and
a file that is not CSV text (a workbook, binary data, another encoding) is refused with what
to do instead. What a row means is the importing feature's to say.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import current_app, render_template, request

from fieldapp.csvfile import plain_cell
from fieldapp.errors import Invalid

MAX_ROWS = 5_000
MB = 1024 * 1024
STATUSES = ("new", "updated", "unchanged", "error")
SAVE_AS_CSV = (
    "In your spreadsheet choose Save as (or Download) and “CSV UTF-8”, then choose that file."
)
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx/.ods (zip), .xls (OLE)
BOM = b"\xef\xbb\xbf"
# Room left in an import form's hidden field for the other fields of the request.
FORM_ROOM = 4_096
CHOOSE_AGAIN = "The checked file did not come back whole: choose it again and check it."


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    example: str
    required: bool = False


@dataclass
class SourceRow:
    number: int  # as a spreadsheet shows it: the column names are row 1
    cells: dict[str, str]  # every known column the file has, trimmed
    overflow: bool = False  # a value beyond the last named column


@dataclass
class SourceFile:
    ignored: list[str]  # columns the file has that this kind of file does not use
    rows: list[SourceRow]


def column_key(text: str) -> str:
    """A column as the first row names it: "Unit cost" and "unit_cost" are one column."""
    return "_".join(plain_cell(text).strip().lower().replace("-", "_").split())


def read_table(
    data: bytes,
    columns: Sequence[Column],
    *,
    looks_like: Callable[[list[str]], str] = lambda header: "",
) -> SourceFile:
    """The file's rows by column, or Invalid saying why it cannot be read with these columns.
    looks_like(header) may add a sentence when required columns are missing (such as "It
    looks like a stock levels file")."""
    text = _text_of(data)
    known = [column.name for column in columns]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, known))
    header: list[str] | None = None
    rows: list[SourceRow] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if header is None:
                header = _checked_header(record, columns, looks_like)
                continue
            if not any(cell.strip() for cell in record):
                continue  # a spreadsheet's empty rows
            if len(rows) == MAX_ROWS:
                raise Invalid.field(
                    "file",
                    f"The file has more than {MAX_ROWS:,} rows: import it in parts of up to "
                    f"{MAX_ROWS:,} rows.",
                )
            rows.append(_source_row(number, header, record, known))
    except csv.Error as exc:
        raise Invalid.field(
            "file", f"Row {number + 1} could not be read as CSV ({exc}). {SAVE_AS_CSV}"
        ) from exc
    if header is None:
        raise Invalid.field("file", "The file is empty.")
    if not rows:
        raise Invalid.field("file", "The file names its columns but has no rows to import.")
    ignored = [name for name in header if name and name not in known]
    return SourceFile(ignored, rows)


def _text_of(data: bytes) -> str:
    if not data.removeprefix(BOM).strip():
        raise Invalid.field("file", "The file is empty.")
    if data.startswith(WORKBOOK_MAGIC):
        raise Invalid.field(
            "file", f"This is a spreadsheet workbook, not a CSV file. {SAVE_AS_CSV}"
        )
    if b"\x00" in data:
        raise Invalid.field("file", f"This is not a CSV file: it holds binary data. {SAVE_AS_CSV}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid.field("file", f"This file is not UTF-8 text. {SAVE_AS_CSV}") from exc


def _delimiter(text: str, known: list[str]) -> str:
    """Commas, or what names the most columns: a spreadsheet set to a comma decimal saves
    with semicolons, and some tools save tabs."""
    first = text.split("\n", 1)[0]
    return max(
        (",", ";", "\t"),
        key=lambda mark: sum(column_key(cell) in known for cell in first.split(mark)),
    )


def _checked_header(
    record: list[str], columns: Sequence[Column], looks_like: Callable[[list[str]], str]
) -> list[str]:
    header = [column_key(cell) for cell in record]
    names = [name for name in header if name]
    required = [column.name for column in columns if column.required]
    if not names:
        raise Invalid.field(
            "file", f"The first row must name the columns, such as {', '.join(required)}."
        )
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice:
        raise Invalid.field("file", f"The first row names the column {twice} twice.")
    missing = [name for name in required if name not in header]
    if missing:
        s = "s" if len(missing) > 1 else ""
        message = (
            f"The first row must name the columns; this file has no {' or '.join(missing)} "
            f"column{s}."
        )
        hint = looks_like(header)
        raise Invalid.field("file", f"{message} {hint}".strip())
    return header


def _source_row(number: int, header: list[str], record: list[str], known: list[str]) -> SourceRow:
    padded = record + [""] * (len(header) - len(record))
    cells = {
        name: plain_cell(value).strip()
        for name, value in zip(header, padded, strict=False)
        if name in known
    }
    return SourceRow(number, cells, any(cell.strip() for cell in record[len(header) :]))


# -- What an import reports --------------------------------------------------------------


@dataclass
class RowResult:
    """One row of the file: what importing it does, or why it cannot be imported."""

    number: int
    key: str  # what the row is matched by (a SKU, a serial number)
    label: str  # what a person knows it by
    status: str = "unchanged"
    changes: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    work: Callable[[int], None] | None = field(default=None, repr=False)


@dataclass
class ImportPreview:
    kind: str
    rows: list[RowResult]
    ignored: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(row.status == status for row in self.rows) for status in STATUSES}

    @property
    def ready(self) -> bool:
        """No row has an error."""
        return self.counts["error"] == 0

    @property
    def changing(self) -> int:
        counts = self.counts
        return counts["new"] + counts["updated"]

    @property
    def tally(self) -> str:
        """Such as "3 new, 1 updated, 12 unchanged": what the rows come to, errors aside."""
        counts = self.counts
        return ", ".join(
            f"{counts[status]:,} {status}" for status in STATUSES[:3] if counts[status]
        )


def add_error(errors: dict[str, list[str]], column: str, message: str) -> None:
    messages = errors.setdefault(column, [])
    if message not in messages:
        messages.append(message)


# -- The file between the check and the import -------------------------------------------


def upload_limit() -> str | None:
    """The upload limit as the import page states it (such as "16 MB"), if there is one."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return None
    return f"{limit / MB:g} MB" if limit >= MB else f"{limit // 1024:,} KB"


def too_large() -> str:
    """Why a file over the upload limit was refused, and what to do instead."""
    return (
        f"The file is larger than the upload limit of {upload_limit()}: split it into files "
        f"of up to {MAX_ROWS:,} rows and import them one after the other."
    )


def render_import_page(template: str, *, status: int = 200, **context) -> tuple[str, int]:
    """An import page (the form, a check's rows, or why the file was refused), with the
    limits every import states."""
    return render_template(template, max_rows=MAX_ROWS, limit=upload_limit(), **context), status


def chosen_file() -> tuple[bytes, str]:
    """The request's uploaded file, or the content its check page carried over to the
    import, with the file's name."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read(), upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    carried = request.form.get("content", "")
    if carried:
        return uncarry(carried), request.form.get("filename", "")[:120]
    raise Invalid.field("file", "Choose a CSV file to check.")


def carry(data: bytes) -> str | None:
    """The checked file for the import form to send back (compressed: a 5,000-row file fits
    in one form field), or None when even so it is too big and has to be chosen again."""
    packed = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    room = request.max_form_memory_size
    return packed if room is None or len(packed) <= room - FORM_ROOM else None


def uncarry(text: str) -> bytes:
    """What carry() packed; never more than an upload may be (a tampered field may hold
    anything: what comes out is checked again as any file is)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024
    try:
        packed = base64.b64decode(text, validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, limit + 1)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise Invalid.field("file", CHOOSE_AGAIN) from exc
    if len(data) > limit or inflater.unconsumed_tail or not inflater.eof:
        raise Invalid.field("file", CHOOSE_AGAIN)
    return data
