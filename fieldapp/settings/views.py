"""The settings pages: visits and jobs (office), the company's details and logo (admin)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import ADMIN, OFFICE, PUBLIC, allow
from fieldapp.errors import Invalid, ServiceError
from fieldapp.form_values import cents_from_text
from fieldapp.jobs.models import JOB_KINDS
from fieldapp.photos.services import stored_file_response
from fieldapp.settings import services
from fieldapp.unit_of_work import unit_of_work

bp = Blueprint("settings", __name__)

TIME_ZONES = sorted(zone for zone in available_timezones() if "/" in zone)


@bp.route("/settings", methods=["GET", "POST"])
@allow(OFFICE)
def index():
    """Which jobs need the company's procedure, how long each kind of job is planned for,
    and who gets follow-up jobs."""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                problems: dict[str, list[str]] = {}
                try:
                    services.change_visit_settings(
                        procedure_kinds=request.form.getlist("procedure_kinds"),
                        follow_up_to=request.form.get("follow_up_to", ""),
                        minutes={
                            kind: request.form[f"minutes_{kind}"]
                            for kind in JOB_KINDS
                            if f"minutes_{kind}" in request.form
                        },
                        actor_id=current_user.id,
                    )
                except Invalid as exc:
                    problems.update(exc.fields)
                if "hourly_cost" in request.form:
                    try:
                        services.change_hourly_cost(
                            cents_from_text(request.form["hourly_cost"]), actor_id=current_user.id
                        )
                    except Invalid as exc:
                        problems.update(exc.fields)
                if problems:
                    raise Invalid("Some settings need attention.", problems)
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash("Settings saved. Phones pick them up with their next offline data.", "success")
            return redirect(url_for("settings.index"))
    page = render_template(
        "settings/index.html",
        settings=services.visit_settings(),
        job_types=services.job_types(),
        max_minutes=services.MAX_JOB_MINUTES,
        follow_up_choices=services.FOLLOW_UP_CHOICES,
        hourly_cost=services.hourly_cost_cents(),
        form=request.form if errors else None,
        errors=errors,
    )
    return page, status


@bp.route("/settings/company", methods=["GET", "POST"])
@allow(ADMIN)
def company():
    """The company's name, contact details, time zone, label text and working hours."""
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            with unit_of_work():
                services.change_company(
                    name=form.get("name", ""),
                    phone=form.get("phone", ""),
                    email=form.get("email", ""),
                    address=form.get("address", ""),
                    time_zone=form.get("time_zone", ""),
                    label_text=form.get("label_text", ""),
                    day_starts=form.get("day_starts", ""),
                    day_ends=form.get("day_ends", ""),
                    working_days=form.getlist("working_days"),
                    actor_id=current_user.id,
                )
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash("Company details saved.", "success")
            return redirect(url_for("settings.company"))
    return _company_page(errors, status)


@bp.post("/settings/company/logo")
@allow(ADMIN)
def logo_upload():
    """A new logo for labels, reports and the public page (or, with remove, none)."""
    upload = request.files.get("logo")
    removing = "remove" in request.form
    if not removing and (upload is None or not upload.filename):
        return _company_page({"logo": ["Choose an image file for the logo."]}, 422)
    try:
        with unit_of_work():
            if removing:
                services.remove_logo(actor_id=current_user.id)
            else:
                services.change_logo(upload.read(), actor_id=current_user.id)
    except ServiceError as exc:
        return _company_page(exc.fields, exc.status)
    flash("Logo removed." if removing else "Logo saved.", "success")
    return redirect(url_for("settings.company"))


@bp.get("/company/logo-<string:digest>.png")
@allow(PUBLIC)
def logo(digest: str):
    """The company's logo; its address changes with every new logo, so it caches long."""
    name = services.company().logo
    if name != f"{services.LOGO_PREFIX}{digest}.png":
        abort(404)
    return stored_file_response(name, "image/png", public=True)


def _company_page(errors: dict, status: int):
    page = render_template(
        "settings/company.html",
        company=services.company(),
        limits=services.COMPANY_LIMITS,
        time_zones=TIME_ZONES,
        weekdays=services.WEEKDAYS,
        form=request.form if errors and request.endpoint == "settings.company" else None,
        errors=errors,
    )
    return page, status
