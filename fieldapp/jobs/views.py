"""Dispatch: the job board, taking a call into a job, the job page, assigning and status."""

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

from fieldapp.activity.queries import latest_event_id
from fieldapp.auth.access import OFFICE, TECH, allow
from fieldapp.auth.queries import active_techs, every_tech
from fieldapp.contracts.queries import coverage_of
from fieldapp.csvfile import csv_download, dated
from fieldapp.customers.queries import find_customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.queries import find_equipment
from fieldapp.errors import Invalid, ServiceError
from fieldapp.extensions import db
from fieldapp.jobs import exports, queries, services
from fieldapp.jobs.forms import assignment_fields, chosen_target, list_filters, new_job_fields
from fieldapp.jobs.models import JOB_KINDS, JOB_PRIORITIES, JOB_STATUSES, Job
from fieldapp.localtime import company_zone, local_today, parse_day
from fieldapp.messages.queries import job_thread, unread_by_job
from fieldapp.security import local_url
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.queries import job_visits

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

INTAKE_SOURCES = ("phone", "email", "walk_in")


@bp.get("")
@allow(OFFICE)
def board():
    """Jobs by status, filtered by tech, customer, priority and the day they are scheduled."""
    args = request.args
    try:
        day, bad_day = parse_day(args.get("day"), "day"), None
    except Invalid as exc:
        day, bad_day = None, exc.fields["day"][0]
    filters = queries.BoardFilters(
        tech=args.get("tech", ""),
        customer=args.get("customer", "")[:200],
        priority=args.get("priority", ""),
        day=day,
    )
    found = queries.board(filters, utcnow(), company_zone())
    unread = unread_by_job(current_user, found.job_ids)
    if args.get("part") == "live":
        # The columns and counts alone, drawn by the same macros: live.js swaps them in when
        # the activity feed moves (never stored: it is asked for only then).
        fragment = render_template(
            "jobs/board_live.html", board=found, unread=unread, filters=filters
        )
        return fragment, {"Cache-Control": "no-store"}
    return render_template(
        "jobs/board.html",
        board=found,
        unread=unread,
        filters=filters,
        bad_day=bad_day,
        priorities=JOB_PRIORITIES,
        latest_event=latest_event_id(),
    )


@bp.get("/all")
@allow(OFFICE)
def index():
    """Every job ever, filtered, sorted and a page at a time."""
    filters, problems = list_filters(request.args)
    page = db.paginate(
        queries.jobs_query(filters, company_zone()),
        per_page=queries.JOBS_PER_PAGE,
        error_out=False,
        count=True,
    )
    return render_template(
        "jobs/list.html",
        page=page,
        filters=filters,
        problems=problems,
        techs=every_tech(),
        customer=find_customer(filters.customer_id) if filters.customer_id else None,
        plotter=find_equipment(filters.plotter_id) if filters.plotter_id else None,
        statuses=JOB_STATUSES,
        status_labels=services.STATUS_LABELS,
        priorities=JOB_PRIORITIES,
    )


@bp.get("/all.csv")
@allow(OFFICE)
def index_csv():
    """The jobs list as it is filtered and sorted, every page, as a CSV file (sent as it is
    read, so every job ever never waits in memory)."""
    filters, _ = list_filters(request.args)
    zone = company_zone()

    def rows():
        yield exports.JOB_CSV_HEADER
        for batch in queries.job_batches(filters, zone):
            yield from (exports.job_row(job, zone) for job in batch)

    return csv_download(rows(), dated("jobs"))


@bp.route("/new", methods=["GET", "POST"])
@allow(OFFICE)
def new():
    """Take a call: who called, which plotter (found by customer, serial or short code), the
    symptom and error code, the priority, and who goes when. Searching works without JS: the
    Find button posts the form back (action=find) to show matches, so nothing typed is lost."""
    errors, status = {}, 200
    values = request.form if request.method == "POST" else request.args
    if request.method == "POST" and values.get("action") != "find":
        try:
            with unit_of_work():
                job = services.open_job(
                    actor_id=current_user.id, **new_job_fields(values, company_zone())
                )
        except ServiceError as exc:
            errors, status = exc.fields or {"_": [exc.message]}, exc.status
        else:
            who = f" and sent to {job.assigned_to.name}" if job.assigned_to else ""
            flash(f"{job.number} opened{who}.", "success")
            return redirect(url_for("jobs.detail", job_id=job.id))
    equipment, customer = chosen_target(values)
    context = {
        "values": values,
        "errors": errors,
        "equipment": equipment,
        "customer": customer,
        "finder": queries.intake_matches(values.get("find", "")[:200]),
        "techs": active_techs(),
        "priorities": JOB_PRIORITIES,
        "kinds": JOB_KINDS,
        "sources": INTAKE_SOURCES,
    }
    if request.args.get("fragment") == "finder":
        return render_template("jobs/_finder.html", **context)
    return render_template("jobs/new.html", **context), status


def _job(job_id: int) -> Job:
    return db.get_or_404(Job, job_id)


@bp.get("/<int:job_id>")
@allow(OFFICE)
def detail(job_id: int):
    """The job: what, where, who and when; its visits; and its thread with the office."""
    job = _job(job_id)
    today = local_today(company_zone(), utcnow())
    return render_template(
        "jobs/detail.html",
        job=job,
        cover=coverage_of(job.equipment_id, today) if job.equipment_id else None,
        now=utcnow(),
        thread=job_thread(job),
        visits=job_visits(job.id),
        next_statuses=services.next_statuses(job),
        techs=active_techs(),
        status_labels=services.STATUS_LABELS,
        message_id=uuid.uuid4(),
    )


@bp.get("/<job_number>")
@allow(OFFICE)
def by_number(job_number: str):
    """/jobs/J-1399, as the number is said on the phone and printed on the report."""
    job = queries.job_numbered(job_number)
    if job is None:
        abort(404)
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/<int:job_id>/assign")
@allow(OFFICE)
def assign(job_id: int):
    job = _job(job_id)
    try:
        with unit_of_work():
            services.assign_job(
                job, **assignment_fields(request.form, company_zone()), actor_id=current_user.id
            )
    except ServiceError as exc:
        flash(_explain(exc), "error")
    else:
        if job.assigned_to:
            flash(f"{job.number} is with {job.assigned_to.name}.", "success")
        else:
            flash(f"{job.number} is back with the unassigned jobs.", "success")
    return redirect(local_url(request.form.get("next")) or url_for("jobs.detail", job_id=job.id))


@bp.post("/<int:job_id>/status")
@allow(OFFICE)
def change_status(job_id: int):
    job = _job(job_id)
    try:
        with unit_of_work():
            services.change_job_status(
                job,
                request.form.get("status", ""),
                actor_id=current_user.id,
                reason=request.form.get("reason", "").strip()[:200],
            )
    except ServiceError as exc:
        flash(_explain(exc), "error")
    else:
        flash(f"{job.number} is {services.STATUS_LABELS[job.status]}.", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/<int:job_id>/on-the-way")
@allow(TECH)
def on_the_way(job_id: int):
    """The tech's "On my way" without the offline outbox: the customer is told."""
    job = _job(job_id)
    try:
        with unit_of_work():
            told = services.announce_on_the_way(job, current_user)
    except ServiceError as exc:
        flash(_explain(exc), "error")
    else:
        if told:
            flash(f"{job.customer.name} is told you are on the way.", "success")
    return redirect(url_for("home.index"))


def _explain(exc: ServiceError) -> str:
    details = " ".join(message for messages in exc.fields.values() for message in messages)
    return details if details and details != exc.message else exc.message
