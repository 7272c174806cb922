"""What someone who scans a label without signing in sees, and the service request form."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from fieldapp.auth.access import PUBLIC, allow
from fieldapp.equipment.services import Scan, resolve_code
from fieldapp.errors import Invalid, Throttled
from fieldapp.public.services import submit_service_request

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
    upload = request.files.get("photo")
    try:
        service_request = submit_service_request(
            found.equipment,
            name=request.form.get("name", ""),
            phone=request.form.get("phone", ""),
            email=request.form.get("email", ""),
            problem=request.form.get("problem", ""),
            photo=upload.read() if upload and upload.filename else None,
            address=request.remote_addr or "unknown",
            company_phone=current_app.config["COMPANY_PHONE"],
        )
    except Throttled as exc:
        return public_plotter_page(found, request.form, {"_": [exc.message]}, 429)
    except Invalid as exc:
        return public_plotter_page(found, request.form, exc.fields, 422)
    flash(service_request.reference, "request-sent")
    return redirect(url_for("equipment.plotter", token=found.token) + "#sent")
