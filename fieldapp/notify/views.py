"""The Outbox page, each user's notification choices, and the unsubscribe link."""

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

from fieldapp.auth.access import OFFICE, PUBLIC, STAFF, allow
from fieldapp.extensions import db
from fieldapp.notify import queries
from fieldapp.notify.models import OutboxMail
from fieldapp.notify.outbox import retry
from fieldapp.notify.preferences import (
    CHANNELS,
    choices,
    mail_for_unsubscribe,
    save_choices,
    topic_label,
    topics_for,
    unsubscribe,
    unsubscribed,
)
from fieldapp.notify.push import application_server_key, has_subscription
from fieldapp.security import secret_link_page
from fieldapp.unit_of_work import unit_of_work

bp = Blueprint("notify", __name__)


@bp.get("/outbox")
@allow(OFFICE)
def outbox():
    found = queries.outbox(request.args.get("tab", "waiting"))
    return render_template("notify/outbox.html", outbox=found, tabs=queries.OUTBOX_TABS)


@bp.post("/outbox/<int:mail_id>/retry")
@allow(OFFICE)
def retry_mail(mail_id: int):
    mail = db.get_or_404(OutboxMail, mail_id)
    with unit_of_work():
        again = retry(mail)
    if again:
        flash(f"The message to {mail.to} is queued again.", "success")
    else:
        flash(f"The message to {mail.to} is not failed: nothing to retry.", "info")
    return redirect(url_for("notify.outbox", tab="failed"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@allow(STAFF)
def preferences():
    """Which notices reach the user by email and by push, and push on this browser."""
    if request.method == "POST":
        wanted = {channel: set(request.form.getlist(channel)) for channel in CHANNELS}
        with unit_of_work():
            save_choices(current_user, wanted)
        flash("Your notification choices are saved.", "success")
        return redirect(url_for("notify.preferences"))
    return render_template(
        "notify/preferences.html",
        topics=topics_for(current_user),
        chosen=choices(current_user),
        push_key=application_server_key(),
        subscribed=has_subscription(current_user.id),
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def unsubscribe_page(token: str):
    """Works without signing in: the link in the email is the proof it is theirs. The GET
    only asks; the button's POST stops the mail."""
    mail = mail_for_unsubscribe(token)
    if mail is None:
        abort(404)
    done = unsubscribed(mail)
    if request.method == "POST" and not done:
        with unit_of_work():
            unsubscribe(mail)
        done = True
    page = render_template(
        "notify/unsubscribe.html", mail=mail, done=done, topic=topic_label(mail.topic)
    )
    return secret_link_page(make_response(page))
