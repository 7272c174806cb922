"""Office pages: the search, the schedule, a tech's day, and the reports (each with a chart,
a date range and CSV)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.auth.models import User
from fieldapp.auth.queries import active_techs
from fieldapp.csvfile import csv_text
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Invalid, ServiceError
from fieldapp.extensions import db
from fieldapp.jobs.forms import schedule_fields
from fieldapp.jobs.models import JOB_NUMBER_OFFSET
from fieldapp.jobs.queries import job_with_parties
from fieldapp.jobs.services import schedule_job
from fieldapp.localtime import company_zone, parse_day
from fieldapp.office import queries, schedule
from fieldapp.office import reports as reporting
from fieldapp.office.search import PER_KIND, PER_KIND_PAGE, QUERY_MAX, search
from fieldapp.security import local_url
from fieldapp.settings.services import default_minutes
from fieldapp.unit_of_work import unit_of_work
from fieldapp.wire import INT32_MAX

bp = Blueprint("office", __name__)

REPORT_SLUGS = "any(" + ", ".join(f'"{slug}"' for slug in reporting.REPORTS) + ")"


def _zone() -> ZoneInfo:
    return company_zone()


def _today() -> date:
    return utcnow().astimezone(_zone()).date()


@bp.get("/techs/<int:user_id>/day")
@allow(OFFICE)
def tech_day(user_id: int):
    """One tech's day: the visits on a timeline, time on site, parts used, what was planned."""
    tech = db.get_or_404(User, user_id)
    if tech.role != "tech":
        abort(404, description=f"{tech.name} is not a technician, so has no visits.")
    error = None
    try:
        day = parse_day(request.args.get("date"), "date") or _today()
    except Invalid as exc:
        day, error = _today(), f"{exc.fields['date'][0]} Showing today instead."
    return render_template(
        "office/tech_day.html",
        day=queries.tech_day(tech, day, utcnow(), _zone()),
        today=_today(),
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        error=error,
        zone=_zone(),
    )


@bp.get("/reports")
@allow(OFFICE)
def reports():
    """The reports, each answering one question about how the business runs."""
    return render_template("office/reports.html", kinds=reporting.REPORTS.values())


def _range() -> tuple[reporting.DateRange, dict]:
    try:
        return (
            reporting.parse_range(request.args.get("from"), request.args.get("to"), _today()),
            {},
        )
    except Invalid as exc:
        return reporting.default_range(_today()), exc.fields


def _sort() -> tuple[int | None, bool]:
    """?sort=<column number>&dir=desc: the table's order (the report's own when absent)."""
    column = request.args.get("sort", "")
    return (int(column) if column.isdigit() and len(column) < 3 else None), (
        request.args.get("dir") == "desc"
    )


@bp.get(f"/reports/<{REPORT_SLUGS}:slug>")
@allow(OFFICE)
def report(slug: str):
    span, errors = _range()
    sort, descending = _sort()
    return render_template(
        "office/report.html",
        kind=reporting.REPORTS[slug],
        kinds=reporting.REPORTS.values(),
        report=reporting.sort_rows(reporting.build_report(slug, span, _zone()), sort, descending),
        sort=sort,
        descending=descending,
        errors=errors,
        form=request.args,
        cell=reporting.cell_text,
    ), (422 if errors else 200)


@bp.get(f"/reports/<{REPORT_SLUGS}:slug>.csv")
@allow(OFFICE)
def report_csv(slug: str):
    """The report's table as CSV (money in dollars, rates in percent), named by its range."""
    span = reporting.parse_range(request.args.get("from"), request.args.get("to"), _today())
    built = reporting.sort_rows(reporting.build_report(slug, span, _zone()), *_sort())
    rows = [[reporting.csv_header(column) for column in built.columns]]
    for row in [*built.rows, *([built.total] if built.total else [])]:
        cells = zip(row, built.columns, strict=True)
        rows.append([reporting.cell_csv(value, column.kind) for value, column in cells])
    name = f"{slug}_{span.start.isoformat()}_{span.end.isoformat()}.csv"
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.app_template_filter("job_number")
def job_number(job_id: int) -> str:
    """A job's number from its id, for lines that carry only the id (events, step results)."""
    return f"J-{job_id + JOB_NUMBER_OFFSET}"


@bp.get("/schedule")
@allow(OFFICE)
def schedule_page():
    """The day or the week with a lane per tech; what waits for a time or a tech beside it."""
    view = request.args.get("view", "day")
    if view not in schedule.VIEWS:
        view = "day"
    error = None
    try:
        day = parse_day(request.args.get("date"), "date") or _today()
    except Invalid as exc:
        day, error = _today(), f"{exc.fields['date'][0]} Showing today instead."
    step = timedelta(days=1 if view == "day" else 7)
    return render_template(
        "office/schedule.html",
        plan=schedule.schedule(day, view, _zone()),
        day=day,
        today=_today(),
        previous=day - step,
        following=day + step,
        error=error,
        windows=WINDOW_CHOICES,
    )


@bp.route("/jobs/<int:job_id>/schedule", methods=["GET", "POST"])
@allow(OFFICE)
def schedule_job_page(job_id: int):
    """Plan one job: tech, start, length and arrival window (the schedule's drag does the
    same through this form, so the keyboard and the mouse have one path)."""
    job = job_with_parties(job_id) if job_id <= INT32_MAX else None
    if job is None:
        abort(404)
    errors: dict = {}
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.method == "POST":
        try:
            with unit_of_work():
                schedule_job(
                    job, **schedule_fields(request.form, _zone()), actor_id=current_user.id
                )
        except ServiceError as exc:
            if wants_json:
                body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
                return {"error": body}, exc.status
            errors = exc.fields or {"_": [exc.message]}
        else:
            if wants_json:
                return {"job": job.number}
            flash(f"{job.number} is planned.", "success")
            back = local_url(request.form.get("next"))
            return redirect(back or url_for("office.schedule_page", date=_day_of(job)))
    page = render_template(
        "office/schedule_job.html",
        job=job,
        techs=active_techs(),
        default_minutes=default_minutes(job.kind),
        windows=WINDOW_CHOICES,
        form=request.form if errors else None,
        errors=errors,
        back=local_url(request.values.get("next")),
    )
    return page, 422 if errors else 200


def _day_of(job) -> str | None:
    when = job.scheduled_for
    return when.astimezone(_zone()).date().isoformat() if when else None


WINDOW_CHOICES = [
    (0, "Exact time"),
    (30, "30 minutes"),
    (60, "1 hour"),
    (120, "2 hours"),
    (180, "3 hours"),
    (240, "4 hours"),
]


@bp.get("/search")
@allow(OFFICE)
def search_page():
    """Find anything: the search page, or (?fragment=1) the list under the search box."""
    fragment = request.args.get("fragment") == "1"
    results = search(request.args.get("q", ""), per_kind=PER_KIND if fragment else PER_KIND_PAGE)
    if fragment:
        return render_template("office/_search_results.html", results=results, fragment=True)
    return render_template("office/search.html", results=results, query_max=QUERY_MAX)
