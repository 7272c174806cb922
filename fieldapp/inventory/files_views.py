"""CSV files for the office: importing the parts catalogue and stock levels (checked first,
then imported all or nothing), and exporting the catalogue, the levels and the ledger."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.csvfile import csv_download, csv_text, dated
from fieldapp.csvimport import ImportPreview, carry, chosen_file, render_import_page, too_large
from fieldapp.errors import Invalid, ServiceError
from fieldapp.inventory import exports
from fieldapp.inventory.imports import COLUMNS, KIND_NAMES, KINDS, check_file, import_file
from fieldapp.localtime import company_zone, local_today, parse_day, start_of
from fieldapp.unit_of_work import in_unit_of_work

bp = Blueprint("inventory_files", __name__)


def _kind(value: str | None) -> str:
    return value if value in KINDS else KINDS[0]


def _page(kind: str, *, preview=None, problem="", carried=None, filename="", status=200):
    return render_import_page(
        "inventory/import.html",
        status=status,
        kind=kind,
        kinds=KINDS,
        kind_names=KIND_NAMES,
        columns=COLUMNS,
        preview=preview,
        problem=problem,
        carried=carried,
        filename=filename,
    )


@bp.route("/stock/import", methods=["GET", "POST"])
@allow(OFFICE)
def import_page():
    """Choose a file and check it (a dry run: every row's result, nothing written); then
    import it: the same content, checked again, applied only when no row has an error."""
    if request.method == "GET":
        return _page(_kind(request.args.get("kind")))
    kind = _kind(request.form.get("kind"))
    importing = request.form.get("action") == "import"
    filename = ""
    try:
        data, filename = chosen_file()
        if importing:
            # Someone adding the same SKU meanwhile: the second run finds it and updates it.
            preview = in_unit_of_work(
                lambda: import_file(kind, data, actor_id=current_user.id, filename=filename)
            )
        else:
            preview = check_file(kind, data)
    except ServiceError as exc:
        return _page(kind, problem=exc.message, filename=filename, status=exc.status)
    if preview.applied:
        flash(_imported_message(preview, filename), "success")
        return redirect(url_for("inventory.parts" if kind == "catalogue" else "inventory.stock"))
    status = 200
    if importing:
        errors = preview.counts["error"]
        flash(
            "Nothing was imported: "
            + ("1 row has an error." if errors == 1 else f"{errors} rows have errors."),
            "error",
        )
        status = 422
    return _page(kind, preview=preview, carried=carry(data), filename=filename, status=status)


def _imported_message(preview: ImportPreview, filename: str) -> str:
    what = f"{filename} ({KIND_NAMES[preview.kind]})" if filename else KIND_NAMES[preview.kind]
    if not preview.changing:
        return f"Imported {what}: nothing changed, every row matches what is stored."
    return f"Imported {what}: {preview.tally}."


@bp.errorhandler(413)
def file_too_large(_exc):
    """A file over the upload limit gets the import page with the reason, not a bare error."""
    return _page(_kind(request.args.get("kind")), problem=too_large(), status=413)


@bp.get("/stock/import/template.csv")
@allow(OFFICE)
def import_template():
    """An empty file with the columns of one kind, to fill in."""
    kind = request.args.get("kind", KINDS[0])
    if kind not in KINDS:
        abort(404)
    return csv_download([[column.name for column in COLUMNS[kind]]], f"{kind}_template")


# -- Exports ---------------------------------------------------------------------------------


@bp.get("/parts.csv")
@allow(OFFICE)
def parts_csv():
    """The catalogue in the import's columns: edit it in a spreadsheet and import it back."""
    return csv_download(exports.catalogue_rows(), dated("parts"))


@bp.get("/stock/levels.csv")
@allow(OFFICE)
def levels_csv():
    """Every level with its minimum, maximum and value; imports back as a levels file."""
    return csv_download(exports.level_rows(), dated("stock_levels"))


@bp.get("/stock/movements.csv")
@allow(OFFICE)
def movements_csv():
    """The ledger, oldest first; ?since= and ?until= (YYYY-MM-DD, both days included) limit it
    to days in the company's time zone. Sent as it is read, so a long ledger never waits."""
    zone = company_zone()
    since = parse_day(request.args.get("since"), "since")
    until = parse_day(request.args.get("until"), "until")
    if since and until and until < since:
        raise Invalid.field("until", "Choose an end date on or after the start date.")
    start = start_of(since, zone) if since else None
    end = start_of(until + timedelta(days=1), zone) if until else None

    def lines():
        yield csv_text([exports.MOVEMENT_HEADER])
        for batch in exports.movement_batches(start, end):
            yield csv_text(exports.movement_row(movement) for movement in batch)

    name = f"stock_movements_{since or 'start'}_to_{until or local_today(zone)}"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
