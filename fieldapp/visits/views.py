"""The visit pages (start, log on site, service report) and photo files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
from fieldapp.jobs.models import Job
from fieldapp.jobs.queries import open_jobs_for
from fieldapp.jobs.services import find_job
from fieldapp.localtime import company_zone
from fieldapp.pdf import asked_paper, pdf_response
from fieldapp.sops.models import SopVersion
from fieldapp.sops.services import current_versions, suggested_version, version_by_id, version_of
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work
from fieldapp.visits.forms import range_notes, store_uploaded_photos, visit_input_from_form
from fieldapp.visits.models import Visit
from fieldapp.visits.queries import (
    blank_form_context,
    report_context,
    visit_as_form,
    visit_form_context,
)
from fieldapp.visits.reports import service_report_pdf
from fieldapp.visits.services import (
    abandon_visit,
    amend_visit,
    correctable,
    procedure_kinds,
    record_visit,
    start_visit,
)

bp = Blueprint("visits", __name__)


@dataclass(frozen=True)
class JobChoice:
    """An open job on the start page, with the procedure its kind suggests."""

    job: Job
    suggested: SopVersion | None
    needs_procedure: bool


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
    open_jobs = open_jobs_for(equipment.id) if equipment and not job else []
    kinds = procedure_kinds()
    # Each job the tech may pick brings its own suggested procedure, and a job of a procedure
    # kind takes the quick visit off the list (visit-new.js follows the pick on the page).
    choices = [
        JobChoice(open_job, suggested_version(open_job.kind, versions), open_job.kind in kinds)
        for open_job in open_jobs
    ]
    default = job or (open_jobs[0] if open_jobs else None)
    suggested = suggested_version(default.kind if default else None, versions)
    if default is not None and default.sop_id is not None:
        # A PM job names the procedure its plan asks for.
        suggested = next((v for v in versions if v.sop_id == default.sop_id), suggested)
    needs_procedure = bool(default) and default.kind in kinds
    chosen = request.args.get("sop")
    if chosen == "none" and not needs_procedure:
        selected = None  # a quick visit, as asked
    else:
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
        job_choices=choices,
        no_job_suggests=suggested_version(None, versions),
        needs_procedure=needs_procedure,
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
@allow(STAFF)
def form(visit_id: uuid.UUID):
    """A visit: on site, its tech's form (SOP steps, parts, photos, meter, outcome, sign-off);
    once finished, what was done, for everyone in the company."""
    visit = db.get_or_404(Visit, visit_id)
    if visit.status == "finished":
        if request.method == "POST":
            return redirect(url_for("visits.form", visit_id=visit.id))
        return render_template(
            "visits/detail.html",
            **report_context(visit),
            correctable=correctable(visit, current_user),
            own=visit.tech_id == current_user.id,
        )
    if visit.tech_id != current_user.id:
        abort(403)
    return _visit_form(visit, amend=False)


@bp.route("/visits/<uuid:visit_id>/edit", methods=["GET", "POST"])
@allow(TECH)
def edit(visit_id: uuid.UUID):
    """Correct a finished visit: its tech, within a day (the same form, filled in)."""
    visit = _own_visit(visit_id)
    if not correctable(visit, current_user):
        flash("This visit can no longer be corrected: ask the office to add a note.", "error")
        return redirect(url_for("visits.form", visit_id=visit.id))
    return _visit_form(visit, amend=True)


def _visit_form(visit: Visit, *, amend: bool):
    """The visit form, and what it posts without JavaScript (with JavaScript the phone sends
    it through its outbox instead)."""
    version = visit.sop_version
    errors: dict = {}
    status = 200
    kept: dict[str, list[uuid.UUID]] = {}  # photos uploaded with this POST, re-shown on errors
    form = request.form if request.method == "POST" else visit_as_form(visit) if amend else None
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
            save = amend_visit if amend else record_visit
            recorded = in_unit_of_work(lambda: save(data, tech=current_user))
        except ServiceError as exc:
            errors, status = {**(exc.fields or {"_": [exc.message]}), **photo_errors}, exc.status
        else:
            message = "Correction saved." if amend else "Visit saved."
            if recorded.follow_up_jobs:
                numbers = ", ".join(job.number for job in recorded.follow_up_jobs)
                message += f" Follow-up job {numbers} is open."
            if recorded.job_note:
                message += f" The job was not changed: {recorded.job_note}"
            flash(message, "success")
            return redirect(url_for("visits.form", visit_id=visit.id))
    context = visit_form_context(
        visit, version, errors, kept, form or request.form, posted=form is not None
    )
    notes = range_notes(form or request.form, version)
    page = render_template("visits/form.html", **context, range_notes=notes, amend=amend)
    return page, status


@bp.post("/visits/<uuid:visit_id>/abandon")
@allow(TECH)
def abandon(visit_id: uuid.UUID):
    """Drop an unfinished visit (started on a phone that is gone, or by mistake)."""
    visit = _own_visit(visit_id)
    try:
        with unit_of_work():
            abandon_visit(visit, tech=current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("The unfinished visit is gone; its job is back on your list.", "success")
    return redirect(url_for("home.index"))


@bp.get("/visits/form/<slug>")
@allow(TECH)
def blank_form(slug: str):
    """The visit form for one SOP (or "none"), filled in on the phone: it works offline."""
    version = None
    if slug != "none":
        version = version_of(slug)
        if version is None:
            abort(404)
    return render_template(
        "visits/form.html",
        **blank_form_context(version, current_user.id, request.form),
        amend=False,
    )


def _reported(visit_id: uuid.UUID) -> Visit:
    """The visit whose report is asked for: the office reads any, a tech their own."""
    visit = db.get_or_404(Visit, visit_id)
    if current_user.role == "tech" and visit.tech_id != current_user.id:
        abort(403)
    return visit


@bp.get("/visits/<uuid:visit_id>/report")
@allow(STAFF)
def report(visit_id: uuid.UUID):
    """The printable service report for the customer."""
    return render_template("visits/report.html", **report_context(_reported(visit_id)))


@bp.get("/visits/<uuid:visit_id>/report.pdf")
@allow(STAFF)
def report_pdf(visit_id: uuid.UUID):
    """The service report as a PDF (Letter, or ?paper=a4): the page's content, with the
    company's logo, the visit's photos and the customer's signature."""
    return pdf_response(*service_report_pdf(_reported(visit_id), asked_paper()))
