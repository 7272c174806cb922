"""Training pages: the matrix for the office (with CSV and "observed doing it"), the sign-off
form behind the SOP page's button, and the template helpers the sign-off partials use."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, TECH, allow
from fieldapp.csvfile import csv_text
from fieldapp.dbtypes import utcnow
from fieldapp.errors import ServiceError
from fieldapp.form_values import optional_id
from fieldapp.localtime import company_zone
from fieldapp.security import local_url
from fieldapp.sops.models import SopTraining, SopVersion
from fieldapp.training import queries
from fieldapp.training.services import record_observation, sign_off_version
from fieldapp.unit_of_work import in_unit_of_work

bp = Blueprint("training", __name__)


# --- what the sign-off partials ask ---------------------------------------------------------


@bp.app_template_global()
def my_signoff(version: SopVersion | None) -> SopTraining | None:
    """The signed-in tech's sign-off of this version (for templates/sops/_signoff.html)."""
    if version is None or not current_user.is_authenticated or current_user.role != "tech":
        return None
    return queries.signoff_of(current_user.id, version.id)


@bp.app_template_global()
def unsigned_by_me(versions: Iterable[SopVersion | None]) -> set[int]:
    """Ids of these versions the signed-in tech has not signed off (one query)."""
    if not current_user.is_authenticated or current_user.role != "tech":
        return set()
    return queries.unsigned_among(current_user.id, (v.id for v in versions if v is not None))


@bp.app_template_global()
def techs_signed(version: SopVersion) -> tuple[int, int]:
    """(active techs who signed off this version, active techs), for the office."""
    return queries.signed_count(version.id)


# --- a tech signs off -----------------------------------------------------------------------


@bp.post("/training/signoff/<slug>/v<int:number>")
@allow(TECH)
def sign(slug: str, number: int):
    """The sign-off button without JavaScript (with it, the phone sends it through its
    outbox): back to the SOP's page, or to the page that asked (the visit start)."""
    try:
        record, created = in_unit_of_work(lambda: sign_off_version(current_user, slug, number))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(local_url(request.form.get("next")) or url_for("sops.index"))
    title = record.version.sop.title
    if created:
        flash(f"You signed off {title}, version {number}. Thank you.", "success")
    else:
        flash(f"You had already signed off {title}, version {number}.", "info")
    return redirect(
        local_url(request.form.get("next")) or url_for("sops.detail", slug=slug, number=number)
    )


# --- the matrix -----------------------------------------------------------------------------


def _filters(values) -> dict:
    """The matrix's filters from the query string; a value that names nothing is ignored."""
    state = values.get("state", "")
    return {
        "tech": optional_id(values.get("tech")),
        "sop": (values.get("sop") or "").strip()[:80] or None,
        "state": state if state in queries.STATES else None,
    }


def _matrix(filters: dict) -> queries.Matrix:
    return queries.training_matrix(
        tech_id=filters["tech"], slug=filters["sop"], state=filters["state"]
    )


def _query(filters: dict) -> dict:
    return {name: value for name, value in filters.items() if value is not None}


@bp.get("/training")
@allow(OFFICE)
def matrix():
    """Who has signed off which procedure, at which version, and who was seen doing it."""
    filters = _filters(request.args)
    return render_template(
        "training/matrix.html",
        matrix=_matrix(filters),
        filters=filters,
        query=_query(filters),
        states=queries.STATES,
        state_labels=queries.STATE_LABELS,
    )


def _when(value) -> str:
    return value.astimezone(company_zone()).strftime("%Y-%m-%d %H:%M") if value else ""


@bp.get("/training.csv")
@allow(OFFICE)
def matrix_csv():
    """The matrix as CSV, one line per tech and SOP, with the page's filters."""
    cells = _matrix(_filters(request.args)).cells
    rows = [
        [
            "Tech",
            "SOP",
            "SOP title",
            "Current version",
            "State",
            "Signed version",
            "Signed at",
            "Observed at",
            "Observed by",
        ]
    ]
    rows += [
        [
            cell.tech_name,
            cell.column.slug,
            cell.column.title,
            cell.column.number,
            cell.state,
            cell.signed_number or "",
            _when(cell.signed_at),
            _when(cell.observed_at),
            cell.observed_by or "",
        ]
        for cell in cells
    ]
    name = f"training_{utcnow().astimezone(company_zone()).date().isoformat()}.csv"
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/training/observed")
@allow(OFFICE)
def observed():
    """A trainer records that they saw a tech follow an SOP's version (from a matrix cell)."""
    tech_id, _, version_id = (request.form.get("observe") or "").partition(":")
    back = url_for("training.matrix", **_query(_filters(request.form)))
    try:
        tech, version, _ = in_unit_of_work(
            lambda: record_observation(
                optional_id(tech_id) or 0, optional_id(version_id) or 0, trainer=current_user
            )
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(
        f"Recorded: {tech.name} was seen doing {version.sop.title} (version {version.number}).",
        "success",
    )
    return redirect(f"{back}#tech-{tech.id}")
