"""The visit pages (start, log on site, service report) and photo files."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from fieldapp.auth.access import STAFF, TECH, allow
from fieldapp.equipment.services import resolve_code
from fieldapp.errors import Invalid, ServiceError
from fieldapp.extensions import db
from fieldapp.form_values import optional_id
from fieldapp.jobs.queries import open_jobs_for
from fieldapp.jobs.services import find_job
from fieldapp.localtime import company_zone
from fieldapp.sops.services import current_versions, suggested_version, version_by_id, version_of
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work
from fieldapp.visits.forms import store_uploaded_photos, visit_input_from_form
from fieldapp.visits.models import Visit
from fieldapp.visits.queries import blank_form_context, report_context, visit_form_context
from fieldapp.visits.services import record_visit, start_visit

bp = Blueprint("visits", __name__)


def _own_visit(visit_id: uuid.UUID) -> Visit:
    visit = db.get_or_404(Visit, visit_id)
    if visit.tech_id != current_user.id:
        abort(403)
    return visit


@bp.get("/visits/new")
@allow(TECH)
def new():
    """Start a visit: the plotter (scanned or from a job), the job, and the SOP to follow."""
    job = find_job(request.args.get("job"))
    token = request.args.get("plotter") or (job.equipment.qr_token if job and job.equipment else "")
    found = resolve_code(token) if token else None
    equipment = found.equipment if found and found.state == "active" else None
    versions = current_versions()
    chosen = request.args.get("sop")
    suggested = suggested_version(job.kind if job else None, versions)
    selected = next((v for v in versions if v.sop.slug == chosen), None) or suggested
    return render_template(
        "visits/new.html",
        equipment=equipment,
        job=job,
        versions=[v for v in versions if v.sop.category in ("repair", "preventive")] or versions,
        selected=selected,
        suggested=suggested,
        visit_id=uuid.uuid4(),
        code=token,
        open_jobs=open_jobs_for(equipment.id) if equipment and not job else [],
    )


@bp.post("/visits/start")
@allow(TECH)
def start():
    found = resolve_code(request.form.get("plotter", ""))
    if found.state != "active":
        flash("Scan the plotter's label or type its short code to start a visit.", "error")
        return redirect(url_for("equipment.scan"))
    job = find_job(request.form.get("job"))
    version_id = optional_id(request.form.get("sop_version"))
    version = version_by_id(version_id) if version_id else None
    visit_id = _parse_uuid(request.form.get("visit_id")) or uuid.uuid4()
    try:
        with unit_of_work():
            visit = start_visit(
                visit_id=visit_id,
                equipment=found.equipment,
                tech=current_user,
                job=job,
                sop_version=version,
            )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("visits.new", plotter=found.token, job=job.number if job else None))
    return redirect(url_for("visits.form", visit_id=visit.id))


def _parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@bp.route("/visits/<uuid:visit_id>", methods=["GET", "POST"])
@allow(TECH)
def form(visit_id: uuid.UUID):
    """The visit on site: SOP steps, parts, photos, meter, outcome and the customer's sign-off."""
    visit = _own_visit(visit_id)
    if visit.status == "finished":
        return redirect(url_for("visits.report", visit_id=visit.id))
    version = visit.sop_version
    errors: dict = {}
    status = 200
    kept: dict[str, list[uuid.UUID]] = {}  # photos uploaded with this POST, re-shown on errors
    if request.method == "POST":
        # The photos first, in their own unit of work: kept even if the visit needs fixing.
        with unit_of_work():
            kept, photo_errors = store_uploaded_photos(request.files, version, current_user.id)
        try:
            data = visit_input_from_form(
                request.form, visit=visit, version=version, zone=company_zone(), stored=kept
            )
            if photo_errors:
                raise Invalid("Some photos could not be read.", photo_errors)
            recorded = in_unit_of_work(lambda: record_visit(data, tech=current_user, source="web"))
        except ServiceError as exc:
            errors, status = {**(exc.fields or {"_": [exc.message]}), **photo_errors}, exc.status
        else:
            message = "Visit saved."
            if recorded.follow_up_jobs:
                numbers = ", ".join(job.number for job in recorded.follow_up_jobs)
                message += f" Follow-up job {numbers} is with the office."
            if recorded.job_note:
                message += f" The job was not changed: {recorded.job_note}"
            flash(message, "success")
            target = url_for("equipment.plotter", token=visit.equipment.qr_token)
            return redirect(f"{target}#visit-{visit.id}")
    context = visit_form_context(visit, version, errors, kept)
    page = render_template("visits/form.html", **context)
    return page, status


@bp.get("/visits/form/<slug>")
@allow(TECH)
def blank_form(slug: str):
    """The visit form for one SOP (or "none"), filled in on the phone: it works offline."""
    version = None
    if slug != "none":
        version = version_of(slug)
        if version is None:
            abort(404)
    return render_template("visits/form.html", **blank_form_context(version, current_user.id))


@bp.get("/visits/<uuid:visit_id>/report")
@allow(STAFF)
def report(visit_id: uuid.UUID):
    """The printable service report for the customer."""
    visit = db.get_or_404(Visit, visit_id)
    if current_user.role == "tech" and visit.tech_id != current_user.id:
        abort(403)
    return render_template("visits/report.html", **report_context(visit))
