"""The front door: Today for techs, the office overview for office and admin; the More page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from fieldapp.activity.queries import latest_events
from fieldapp.auth.access import PUBLIC, STAFF, allow
from fieldapp.jobs.models import OPEN_STATUSES
from fieldapp.jobs.queries import open_job_counts_by_status, open_jobs, open_jobs_for_tech
from fieldapp.visits.queries import visits_in_progress

bp = Blueprint("home", __name__)


@bp.get("/")
@allow(STAFF)
def index():
    if current_user.role == "tech":
        return render_template(
            "home/today.html",
            jobs=open_jobs_for_tech(current_user.id),
            visits=visits_in_progress(current_user.id),
        )
    return render_template(
        "home/office.html",
        counts=open_job_counts_by_status(),
        statuses=OPEN_STATUSES,
        jobs=open_jobs(),
        events=latest_events(15),
    )


@bp.get("/more")
@allow(STAFF)
def more():
    return render_template("home/more.html")


@bp.get("/healthz")
@allow(PUBLIC)
def health():
    """For load balancers and uptime checks: answers without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
