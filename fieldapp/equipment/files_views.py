"""The plotters file: check a CSV of customers, sites, contacts and plotters (every row's
result, nothing written), then import it (the rows without errors; the others are listed,
skipped); and the empty template to fill in. The export is the plotters list's CSV."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.csvfile import csv_download
from fieldapp.csvimport import carry, chosen_file, render_import_page, too_large
from fieldapp.equipment.imports import COLUMNS, NAMES, import_plotters
from fieldapp.errors import ServiceError
from fieldapp.unit_of_work import in_unit_of_work

bp = Blueprint("plotter_files", __name__)


def _page(*, preview=None, problem="", carried=None, filename="", status=200):
    return render_import_page(
        "equipment/import.html",
        status=status,
        columns=COLUMNS,
        preview=preview,
        problem=problem,
        carried=carried,
        filename=filename,
    )


@bp.route("/plotters/import", methods=["GET", "POST"])
@allow(OFFICE)
def import_page():
    """Check the chosen file (a dry run through the same import, rolled back); then import
    the content the check carried over, checked again row by row as it goes in."""
    if request.method == "GET":
        return _page()
    importing = request.form.get("action") == "import"
    filename = ""
    try:
        data, filename = chosen_file()
        if importing:
            preview = in_unit_of_work(
                lambda: import_plotters(data, actor_id=current_user.id, filename=filename)
            )
        else:
            preview = import_plotters(
                data, actor_id=current_user.id, filename=filename, dry_run=True
            )
    except ServiceError as exc:
        return _page(problem=exc.message, filename=filename, status=exc.status)
    if not importing:
        return _page(preview=preview, carried=carry(data), filename=filename)
    what = filename or "the plotters file"
    done = preview.tally if preview.changing else "nothing changed"
    skipped = preview.counts["error"]
    if not skipped:
        flash(f"Imported {what}: {done}.", "success")
        return redirect(url_for("equipment.index", status="all"))
    # The skipped rows stay on the screen, each with its reason, to correct and import again.
    flash(
        f"Imported {what}: {done}; {skipped:,} row{' was' if skipped == 1 else 's were'} "
        "skipped for errors (listed below).",
        "warning",
    )
    return _page(preview=preview, filename=filename)


@bp.errorhandler(413)
def file_too_large(_exc):
    """A file over the upload limit gets the import page with the reason, not a bare error."""
    return _page(problem=too_large(), status=413)


@bp.get("/plotters/import/template.csv")
@allow(OFFICE)
def import_template():
    """An empty file with the plotters file's columns, to fill in."""
    return csv_download([list(NAMES)], "plotters_template")
