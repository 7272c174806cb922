"""Scanning, the plotter page, claiming labels, and the office's plotter pages."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, PUBLIC, STAFF, allow
from fieldapp.contracts.queries import coverage_read
from fieldapp.contracts.services import describe
from fieldapp.csvfile import csv_download, dated
from fieldapp.customers.queries import customer_choices, site_choices
from fieldapp.dbtypes import utcnow
from fieldapp.equipment import services
from fieldapp.equipment.exports import plotter_rows
from fieldapp.equipment.models import EQUIPMENT_STATUSES, Equipment, short_code
from fieldapp.equipment.queries import equipment_query, meter_trend_read, plotters_of
from fieldapp.equipment.services import Scan, resolve_code
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.form_values import optional_id
from fieldapp.jobs.queries import job_numbered, jobs_of_plotter_read, open_jobs_read
from fieldapp.jsonrows import read_together
from fieldapp.localtime import company_zone, local_today, parse_day
from fieldapp.public.views import public_plotter_page
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits import history
from fieldapp.visits.queries import history_summaries, procedure_kinds_read, visit_under_way_read

bp = Blueprint("equipment", __name__)

KNOWN_MAKES = ("HP", "Canon", "Epson")


@bp.get("/scan")
@allow(STAFF)
def scan():
    """The in-app scanner; typing the short code (or a job number: the office gets the job,
    a tech its plotter) works without a camera or JavaScript."""
    code = request.args.get("code", "").strip()
    error = None
    if code:
        found = resolve_code(code)
        if found.state != "unknown":
            return redirect(url_for("equipment.plotter", token=found.token))
        job = job_numbered(code)
        if job is not None and current_user.is_office:
            return redirect(url_for("jobs.detail", job_id=job.id))
        if job is not None and job.equipment is not None:
            return redirect(url_for("equipment.plotter", token=job.equipment.qr_token))
        if job is not None:
            error = f"{job.number} has no plotter on file yet: ask the office which one it is."
        else:
            error = (
                f"“{code}” is not a FieldApp label code or job number. Codes look like "
                "PM-7K3Q-9XA4 (letters and digits, no 0, O, 1, I or L); jobs like J-1042."
            )
    page = render_template(
        "equipment/scan.html", code=code, error=error, public_url=current_app.config["PUBLIC_URL"]
    )
    return page, (422 if error else 200)


@bp.get("/e/<token>")
@allow(PUBLIC)
def plotter(token: str):
    """What a QR scan opens: the plotter page for staff, the public page for everyone else."""
    found = resolve_code(token)
    if found.token and found.token != token:
        return redirect(url_for("equipment.plotter", token=found.token), code=301)
    if not current_user.is_authenticated:
        return public_plotter_page(found)
    if found.state == "unknown":
        return render_template("equipment/unknown_label.html", code=token), 404
    if found.state == "revoked":
        return render_template("equipment/revoked_label.html", found=found), 410
    if found.state == "unclaimed":
        return redirect(url_for("equipment.claim", token=found.token))
    return plotter_page(found)


def plotter_page(found: Scan):
    equipment = found.equipment
    before = request.args.get("before")
    page = history.timeline(equipment.id, before=before)
    if request.args.get("fragment") == "history":
        return render_template("equipment/_timeline.html", page=page, equipment=equipment)
    latest = page.entries[0] if page.entries and not before else None
    cover_day = local_today(company_zone(), utcnow())
    # The rest of the page in one round trip to the database.
    reads = [
        meter_trend_read(equipment.id),
        history.parts_used_read(equipment.id),
        history.recurrences_read(equipment.id),
        open_jobs_read(equipment.id),
        procedure_kinds_read(),
        coverage_read(equipment, cover_day),
        visit_under_way_read(current_user.id, equipment.id),
    ]
    if current_user.is_office:
        reads.append(jobs_of_plotter_read(equipment))
    meter, parts, hints, jobs, kinds, cover, my_visit, *office = read_together(*reads)
    job_history, jobs_total = office[0] if office else ([], 0)
    return render_template(
        "equipment/plotter.html",
        equipment=equipment,
        page=page,
        older=bool(before),
        latest=latest,
        last_visit=history.last_visit_line(latest),
        meter=meter,
        parts=parts,
        hints=hints,
        jobs=jobs,
        job_history=job_history,
        jobs_total=jobs_total,
        procedure_kinds=kinds,
        cover=cover,
        cover_day=cover_day,
        describe_plan=describe,
        old_label=found.token != equipment.qr_token,
        my_visit=my_visit,
    )


def _equipment_fields(form) -> dict:
    return {
        "customer_id": optional_id(form.get("customer_id")),
        "site_id": optional_id(form.get("site_id")),
        "make": form.get("make", ""),
        "model": form.get("model", ""),
        "serial_number": form.get("serial_number", ""),
        "location_note": form.get("location_note", ""),
        # The window (1990 to today) is the service's to check and say.
        "installed_on": parse_day(
            form.get("installed_on"), "installed_on", earliest=date.min, latest=date.max
        ),
        "notes": form.get("notes", ""),
        "meter_unit": form.get("meter_unit") or None,
    }


@bp.get("/plotters")
@allow(OFFICE)
def index():
    q = request.args.get("q", "")
    status = request.args.get("status", "active")
    query = equipment_query(q, status=status if status in EQUIPMENT_STATUSES else None)
    page = db.paginate(query, per_page=50, count=True)
    summaries = history_summaries([plotter.id for plotter in page.items])
    return render_template(
        "equipment/index.html", page=page, q=q, status=status, summaries=summaries
    )


@bp.get("/plotters.csv")
@allow(OFFICE)
def index_csv():
    """The plotters list as filtered, every page, as a CSV file in the import's columns."""
    status = request.args.get("status", "active")
    query = equipment_query(
        request.args.get("q", ""), status=status if status in EQUIPMENT_STATUSES else None
    )
    return csv_download(plotter_rows(query), dated("plotters"))


@bp.route("/plotters/new", methods=["GET", "POST"])
@allow(OFFICE)
def new():
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                equipment = services.create_equipment(
                    **_equipment_fields(request.form), actor_id=current_user.id
                )
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(f"Registered {equipment.display_name}. Print its label below.", "success")
            return redirect(url_for("equipment.plotter", token=equipment.qr_token) + "#label")
    form = (
        request.form
        if request.method == "POST"
        else {
            "customer_id": request.args.get("customer", ""),
            "site_id": request.args.get("site", ""),
        }
    )
    page = render_template(
        "equipment/form.html",
        equipment=None,
        form=form,
        errors=errors,
        customers=customer_choices(),
        sites=site_choices(),
        makes=KNOWN_MAKES,
    )
    return page, status


@bp.route("/plotters/<int:equipment_id>/edit", methods=["GET", "POST"])
@allow(OFFICE)
def edit(equipment_id: int):
    equipment = db.get_or_404(Equipment, equipment_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                services.update_equipment(
                    equipment, **_equipment_fields(request.form), actor_id=current_user.id
                )
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved {equipment.display_name}.", "success")
            return redirect(url_for("equipment.plotter", token=equipment.qr_token))
    page = render_template(
        "equipment/form.html",
        equipment=equipment,
        form=request.form,
        errors=errors,
        customers=customer_choices(),
        sites=site_choices(),
        makes=KNOWN_MAKES,
    )
    return page, status


@bp.post("/plotters/<int:equipment_id>/status")
@allow(OFFICE)
def set_status(equipment_id: int):
    equipment = db.get_or_404(Equipment, equipment_id)
    with unit_of_work():
        services.set_equipment_status(
            equipment, request.form.get("status", ""), actor_id=current_user.id
        )
    flash(f"{equipment.display_name} is now {equipment.status}.", "success")
    return redirect(url_for("equipment.plotter", token=equipment.qr_token))


@bp.route("/e/<token>/claim", methods=["GET", "POST"])
@allow(STAFF)
def claim(token: str):
    """Link a pre-printed label to a plotter: pick one, or register it on the spot."""
    found = resolve_code(token)
    if found.state != "unclaimed":
        return redirect(url_for("equipment.plotter", token=token))
    errors, status = {}, 200
    form = request.form
    if request.method == "POST":
        try:
            with unit_of_work():
                if form.get("mode") == "existing":
                    equipment = services.claim_label(
                        found.token,
                        actor_id=current_user.id,
                        equipment_id=optional_id(form.get("equipment_id")),
                    )
                else:
                    equipment = services.claim_label(
                        found.token,
                        actor_id=current_user.id,
                        new_equipment=_equipment_fields(form),
                    )
        except ServiceError as exc:
            errors, status = exc.fields or {"_": [exc.message]}, exc.status
            flash(exc.message, "error")
        else:
            flash(
                f"Label {equipment.short_code} now opens this {equipment.display_name}.", "success"
            )
            return redirect(url_for("equipment.plotter", token=equipment.qr_token))
    customer_id = optional_id(form.get("customer_id") or request.args.get("customer"))
    plotters = plotters_of(customer_id) if customer_id else []
    page = render_template(
        "equipment/claim.html",
        token=found.token,
        code=short_code(found.token),
        form=form,
        errors=errors,
        customers=customer_choices(),
        customer_id=customer_id,
        plotters=plotters,
        makes=KNOWN_MAKES,
    )
    return page, status
