"""What someone who scans a label without signing in sees, and the service request form."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from fieldapp.auth.access import OFFICE, PUBLIC, allow
from fieldapp.auth.queries import active_techs
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.services import Scan, resolve_code
from fieldapp.errors import Invalid, ServiceError, Throttled
from fieldapp.extensions import db
from fieldapp.jobs.forms import assignment_fields
from fieldapp.jobs.models import JOB_PRIORITIES
from fieldapp.localtime import company_zone
from fieldapp.pdf import asked_paper, pdf_response
from fieldapp.public import queries, services
from fieldapp.public.models import ServiceRequest
from fieldapp.public.services import count_request_attempt, submit_service_request
from fieldapp.security import secret_link_page
from fieldapp.settings.services import company
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.reports import service_report_pdf

bp = Blueprint("public", __name__)


def public_plotter_page(found: Scan, form=None, errors=None, status: int = 200):
    """The plotter's make and model, who services it, and the request form; nothing else.

    Unknown, unclaimed and revoked labels all get the same page and status, so the page
    cannot be used to learn which codes exist.
    """
    if found.state != "active" or found.equipment.status != "active":
        return render_template("public/inactive_label.html"), 404
    return (
        render_template(
            "public/plotter.html",
            equipment=found.equipment,
            token=found.token,
            form=form or {},
            errors=errors or {},
        ),
        status,
    )


@bp.post("/e/<token>/request")
@allow(PUBLIC)
def request_service(token: str):
    found = resolve_code(token)
    if found.state != "active" or found.equipment.status != "active":
        return render_template("public/inactive_label.html"), 404
    address = request.remote_addr or "unknown"
    try:
        # Counted on its own, first: a refused or broken request still counts.
        with unit_of_work():
            count_request_attempt(found.equipment, address, company_phone=company().phone)
    except Throttled as exc:
        return public_plotter_page(found, request.form, {"_": [exc.message]}, 429)
    upload = request.files.get("photo")
    try:
        with unit_of_work():
            service_request = submit_service_request(
                found.equipment,
                name=request.form.get("name", ""),
                phone=request.form.get("phone", ""),
                email=request.form.get("email", ""),
                problem=request.form.get("problem", ""),
                photo=upload.read() if upload and upload.filename else None,
                address=address,
            )
    except Invalid as exc:
        return public_plotter_page(found, request.form, exc.fields, 422)
    flash(service_request.reference, "request-sent")
    flash(url_for("public.request_status", token=service_request.status_token), "request-link")
    return redirect(url_for("equipment.plotter", token=found.token) + "#sent")


# -- the requester's status page ----------------------------------------------------------


def _followed(token: str) -> queries.RequestStatus:
    """The request this status link follows; a 404 that says nothing of any request for a
    link that is unknown or has expired."""
    found = queries.request_status(token, utcnow())
    if found is None:
        abort(secret_link_page(make_response(render_template("public/status_gone.html"), 404)))
    return found


@bp.get("/r/<token>")
@allow(PUBLIC)
def request_status(token: str):
    """Where a service request stands, for whoever has its link (the requester): received,
    scheduled, on site, done with the report to download; nothing else."""
    page = render_template("public/status.html", status=_followed(token), token=token)
    return secret_link_page(make_response(page))


@bp.get("/r/<token>/report.pdf")
@allow(PUBLIC)
def request_report(token: str):
    """The service report of the request's finished visit, as a PDF."""
    status = _followed(token)
    if status.report_visit is None:
        abort(404)
    return secret_link_page(pdf_response(*service_report_pdf(status.report_visit, asked_paper())))


# -- the office's inbox -----------------------------------------------------------------


@bp.get("/requests")
@allow(OFFICE)
def inbox():
    """Service requests from label scans: make each a job in one step, or dismiss it."""
    return render_template(
        "public/inbox.html",
        inbox=queries.inbox(request.args.get("status", "new")),
        techs=active_techs(),
        priorities=JOB_PRIORITIES,
    )


def _service_request(request_id: int) -> ServiceRequest:
    return db.get_or_404(ServiceRequest, request_id)


@bp.post("/requests/<int:request_id>/convert")
@allow(OFFICE)
def convert(request_id: int):
    service_request = _service_request(request_id)
    try:
        with unit_of_work():
            job = services.convert_request(
                service_request,
                actor_id=current_user.id,
                priority=request.form.get("priority", "normal"),
                **assignment_fields(request.form, company_zone()),
            )
    except ServiceError as exc:
        flash(f"{service_request.reference}: {_explain(exc)}", "error")
        return redirect(url_for("public.inbox") + f"#sr-{service_request.id}")
    flash(f"{service_request.reference} is now {job.number}.", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/requests/<int:request_id>/dismiss")
@allow(OFFICE)
def dismiss(request_id: int):
    service_request = _service_request(request_id)
    try:
        with unit_of_work():
            services.dismiss_request(
                service_request, request.form.get("reason", ""), actor_id=current_user.id
            )
    except ServiceError as exc:
        flash(f"{service_request.reference}: {_explain(exc)}", "error")
        return redirect(url_for("public.inbox") + f"#sr-{service_request.id}")
    flash(f"{service_request.reference} dismissed.", "success")
    return redirect(url_for("public.inbox"))


def _explain(exc: ServiceError) -> str:
    details = " ".join(message for messages in exc.fields.values() for message in messages)
    return details or exc.message
