"""The front door: Today for techs, the office dashboard for office and admin; the More page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from fieldapp.auth.access import PUBLIC, STAFF, allow
from fieldapp.dbtypes import utcnow
from fieldapp.jobs.queries import open_jobs_for_tech
from fieldapp.localtime import company_zone, local_today
from fieldapp.office.queries import dashboard
from fieldapp.office.reports import recent_owner_trend
from fieldapp.training.services import unsigned_versions
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
            to_read=unsigned_versions(current_user),
        )
    zone = company_zone()
    return render_template(
        "office/dashboard.html",
        board=dashboard(utcnow(), zone),
        owner=recent_owner_trend(local_today(zone), zone),
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
