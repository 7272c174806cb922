"""The front door: Today for techs, the office dashboard for office and admin; the More page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from fieldapp.auth.access import PUBLIC, STAFF, allow
from fieldapp.dbtypes import utcnow
from fieldapp.jobs.queries import open_jobs_for_tech, today_version
from fieldapp.localtime import company_zone, local_today
from fieldapp.notify.push import application_server_key, has_subscription
from fieldapp.office.queries import dashboard
from fieldapp.office.reports import recent_owner_trend
from fieldapp.training.queries import unsigned_versions
from fieldapp.visits.queries import visits_in_progress

bp = Blueprint("home", __name__)

# A page's live parts are never stored: its poller asks for them only when something moved.
LIVE_HEADERS = {"Cache-Control": "no-store"}


@bp.get("/")
@allow(STAFF)
def index():
    """Today for a tech, the dashboard for the office; ?part=live is only the parts that
    change (a tech's own jobs, or the dashboard's cards, counts and lists), drawn by the same
    macros, for the page's poller to swap in."""
    live = request.args.get("part") == "live"
    if current_user.role == "tech":
        jobs = open_jobs_for_tech(current_user.id)
        visits = visits_in_progress(current_user.id)
        if live:
            return render_template("home/today_live.html", jobs=jobs, visits=visits), LIVE_HEADERS
        return render_template(
            "home/today.html",
            jobs=jobs,
            visits=visits,
            to_read=unsigned_versions(current_user),
            version=today_version(current_user.id),
        )
    zone = company_zone()
    board = dashboard(utcnow(), zone, feed=not live)
    if live:
        return render_template("office/dashboard_live.html", board=board), LIVE_HEADERS
    return render_template(
        "office/dashboard.html", board=board, owner=recent_owner_trend(local_today(zone), zone)
    )


@bp.get("/more")
@allow(STAFF)
def more():
    return render_template(
        "home/more.html",
        push_key=application_server_key(),
        subscribed=has_subscription(current_user.id),
    )


@bp.get("/healthz")
@allow(PUBLIC)
def health():
    """For load balancers and uptime checks: answers without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
