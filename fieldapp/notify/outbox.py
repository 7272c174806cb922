"""Queueing mail: each message is rendered now and written to the outbox in the caller's
transaction, so it is sent only if the event it tells of commits, and only once."""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.notify.models import MailOptOut, OutboxMail
from fieldapp.settings.services import company

SUBJECT_MAX = 200


def public_link(endpoint: str, **values) -> str:
    """An absolute link for a message, at the address the company's labels point to
    (FIELDAPP_PUBLIC_URL), whether or not a request is being served."""
    return _adapter().build(endpoint, values, force_external=True)


def app_path(endpoint: str, **values) -> str:
    """The page's path, for a push the app's own service worker opens."""
    return _adapter().build(endpoint, values)


def _adapter():
    base = urlsplit(current_app.config["PUBLIC_URL"])
    return current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )


def opted_out(address: str) -> bool:
    return db.session.get(MailOptOut, address.strip().lower()) is not None


def last_key(prefix: str) -> str | None:
    """The key of the newest message whose key starts with prefix (digits and colons)."""
    return db.session.scalar(
        sa.select(OutboxMail.key)
        .where(OutboxMail.key.startswith(prefix, autoescape=True))
        .order_by(OutboxMail.id.desc())
        .limit(1)
    )


def queue_mail(
    *,
    key: str,
    topic: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
    user_id: int | None = None,
    reference: str = "",
    attachment: str = "",
) -> OutboxMail | None:
    """Write one message to the outbox (flush only): mail/<template>.txt and .html rendered
    with context. None when a message with this key was already queued: the same event
    never mails twice. A customer address that unsubscribed is kept as skipped, not sent."""
    if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.key == key)) is not None:
        return None
    token = secrets.token_urlsafe(32)
    values = {
        **context,
        "company": company(),
        "subject": subject,
        "reference": reference,
        "unsubscribe_url": public_link("notify.unsubscribe_page", token=token),
    }
    subject = " ".join(f"{subject} [{reference}]".split() if reference else subject.split())
    skipped = user_id is None and opted_out(to)
    mail = OutboxMail(
        key=key,
        topic=topic,
        to=to.strip(),
        user_id=user_id,
        reference=reference,
        subject=subject[:SUBJECT_MAX],  # one line: a name with a line break cannot split it
        text=render_template(f"mail/{template}.txt", **values),
        html=render_template(f"mail/{template}.html", **values),
        attachment=attachment,
        unsubscribe_token=token,
        state="skipped" if skipped else "queued",
        last_error="The address unsubscribed." if skipped else "",
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def retry(mail: OutboxMail, now: datetime | None = None) -> bool:
    """The office asks for a failed message to be tried again (flush only)."""
    if mail.state != "failed":
        return False
    mail.state, mail.next_attempt_at, mail.attempts = "queued", now or utcnow(), 0
    return True
