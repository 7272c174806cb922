"""Dispatch: the job board, taking a call into a job, the job page, assigning and status."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.customers.models import Customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.services import resolve_code
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.jobs import services
from fieldapp.jobs.forms import assignment_fields, new_job_fields
from fieldapp.jobs.models import JOB_KINDS, JOB_PRIORITIES, Job
from fieldapp.messages.queries import job_thread
from fieldapp.messages.services import mark_thread_read
from fieldapp.office import queries

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

INTAKE_SOURCES = ("phone", "email", "walk_in")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("")
@allow(OFFICE)
def board():
    """Jobs by status, filtered by tech, customer, priority and the day they are scheduled."""
    args = request.args
    filters = queries.BoardFilters(
        tech=args.get("tech", ""),
        customer=args.get("customer", ""),
        priority=args.get("priority", ""),
        day=_day(args.get("day")),
    )
    return render_template(
        "jobs/board.html",
        board=queries.board(filters, current_user, utcnow(), _zone()),
        filters=filters,
        bad_day=bool(args.get("day")) and filters.day is None,
        priorities=JOB_PRIORITIES,
    )


def _chosen(values) -> tuple[Equipment | None, Customer | None]:
    """The plotter or customer the intake form has chosen (or ?plotter=TOKEN from elsewhere)."""
    kind, _, ident = values.get("target", "").partition(":")
    if ident.isdigit():
        if kind == "equipment":
            return db.session.get(Equipment, int(ident)), None
        return None, db.session.get(Customer, int(ident))
    if values.get("plotter"):
        found = resolve_code(values["plotter"])
        if found.state == "active":
            return found.equipment, None
    return None, None


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
            job = services.open_job(actor_id=current_user.id, **new_job_fields(values, _zone()))
        except ServiceError as exc:
            db.session.rollback()
            errors, status = exc.fields or {"_": [exc.message]}, exc.status
        else:
            who = f" and sent to {job.assigned_to.name}" if job.assigned_to else ""
            flash(f"{job.number} opened{who}.", "success")
            return redirect(url_for("jobs.detail", job_id=job.id))
    equipment, customer = _chosen(values)
    finder = queries.intake_matches(values.get("find", ""))
    context = {
        "values": values,
        "errors": errors,
        "equipment": equipment,
        "customer": customer,
        "finder": finder,
        "techs": queries.active_techs(),
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
    mark_thread_read(job, current_user)
    return render_template(
        "jobs/detail.html",
        job=job,
        thread=job_thread(job),
        visits=queries.job_visits(job.id),
        next_statuses=services.next_statuses(job),
        techs=queries.active_techs(),
        status_labels=services.STATUS_LABELS,
        message_id=uuid.uuid4(),
    )


@bp.post("/<int:job_id>/assign")
@allow(OFFICE)
def assign(job_id: int):
    job = _job(job_id)
    try:
        services.assign_job(
            job,
            **assignment_fields(request.form, _zone()),
            actor_id=current_user.id,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(_explain(exc), "error")
    else:
        who = job.assigned_to.name if job.assigned_to else "nobody"
        flash(f"{job.number} is with {who}.", "success")
    return redirect(_back(url_for("jobs.detail", job_id=job.id)))


@bp.post("/<int:job_id>/status")
@allow(OFFICE)
def change_status(job_id: int):
    job = _job(job_id)
    try:
        services.set_job_status(
            job,
            request.form.get("status", ""),
            actor_id=current_user.id,
            reason=request.form.get("reason", "").strip()[:200],
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(_explain(exc), "error")
    else:
        flash(f"{job.number} is {services.STATUS_LABELS[job.status]}.", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


def _explain(exc: ServiceError) -> str:
    details = " ".join(message for messages in exc.fields.values() for message in messages)
    return details if details and details != exc.message else exc.message


def _back(default: str) -> str:
    """Where a form came from, when it is a page of this app (the board's quick assign)."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
