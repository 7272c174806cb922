"""The office's settings page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.errors import ServiceError
from fieldapp.jobs.models import JOB_KINDS
from fieldapp.settings import services
from fieldapp.unit_of_work import unit_of_work

bp = Blueprint("settings", __name__)


@bp.route("/settings", methods=["GET", "POST"])
@allow(OFFICE)
def index():
    """Which jobs need the company's procedure, and who gets follow-up jobs."""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                services.change_visit_settings(
                    procedure_kinds=request.form.getlist("procedure_kinds"),
                    follow_up_to=request.form.get("follow_up_to", ""),
                    actor_id=current_user.id,
                )
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash("Settings saved. Phones pick them up with their next offline data.", "success")
            return redirect(url_for("settings.index"))
    page = render_template(
        "settings/index.html",
        settings=services.visit_settings(),
        kinds=JOB_KINDS,
        kind_labels=services.KIND_LABELS,
        follow_up_choices=services.FOLLOW_UP_CHOICES,
        errors=errors,
    )
    return page, status
