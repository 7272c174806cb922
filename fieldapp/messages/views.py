"""A job's thread as its own page (what a tech opens from Today), posting to it, and marking
it read."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import STAFF, allow
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import may_act_on
from fieldapp.messages.queries import job_thread
from fieldapp.messages.services import mark_thread_read, post_message_with_uploads
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work

bp = Blueprint("messages", __name__)


def _job_for_me(job_id: int) -> Job:
    """The job, if the signed-in user is in its thread (office always, a tech if it is theirs)."""
    job = db.get_or_404(Job, job_id)
    if not may_act_on(current_user, job):
        abort(403)
    return job


def _parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _parse_instant(value: str | None) -> datetime | None:
    """An ISO time with its offset (as the page printed it), else None."""
    try:
        instant = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return instant if instant and instant.tzinfo else None


@bp.route("/jobs/<int:job_id>/messages", methods=["GET", "POST"])
@allow(STAFF)
def thread(job_id: int):
    """Read the thread and post to it. The form is a plain POST that works without JavaScript;
    its hidden id makes a double tap or a resend post the message once."""
    job = _job_for_me(job_id)
    errors, status = {}, 200
    if request.method == "POST":
        uploads = [f.read() for f in request.files.getlist("photos") if f and f.filename]
        message_id = _parse_uuid(request.form.get("id")) or uuid.uuid4()
        try:
            message, _ = in_unit_of_work(
                lambda: post_message_with_uploads(
                    job,
                    current_user,
                    request.form.get("body", ""),
                    message_id=message_id,
                    uploads=uploads,
                )
            )
        except ServiceError as exc:
            errors, status = exc.fields or {"body": [exc.message]}, exc.status
        else:
            if current_user.is_office and request.form.get("from") == "job":
                target = url_for("jobs.detail", job_id=job.id)
            else:
                target = url_for("messages.thread", job_id=job.id)
            return redirect(f"{target}#m-{message.id}")
    page = render_template(
        "messages/thread.html",
        job=job,
        thread=job_thread(job),
        errors=errors,
        form=request.form,
        message_id=uuid.uuid4(),
    )
    return page, status


@bp.post("/jobs/<int:job_id>/messages/read")
@allow(STAFF)
def mark_read(job_id: int):
    """Mark the thread read (the page's own button, for a browser without JavaScript): up to
    the newest message the page showed (its `at`), so one that came in since stays unread."""
    job = _job_for_me(job_id)
    with unit_of_work():
        mark_thread_read(job, current_user, _parse_instant(request.form.get("at")))
    if current_user.is_office and request.form.get("from") == "job":
        return redirect(url_for("jobs.detail", job_id=job.id, _anchor="thread"))
    return redirect(url_for("messages.thread", job_id=job.id))
