"""The mail worker: sends what is queued, retries with backoff, and records the server's answer.

Each message is claimed (queued -> sending) in its own commit before it is sent, so two
workers never send the same one; one whose worker died mid-send is queued again after
STALE_SENDING. Without an SMTP host, each message is written to the log instead.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr

import sqlalchemy as sa
from flask import current_app
from flask_mailman import EmailMultiAlternatives

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db, mail
from fieldapp.notify.events import VISIT_REPORT
from fieldapp.notify.models import OutboxMail
from fieldapp.notify.outbox import opted_out, public_link
from fieldapp.settings.services import company
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.models import Visit
from fieldapp.visits.reports import service_report_pdf

log = logging.getLogger("fieldapp.mail")

# After the nth failed attempt the next one waits BACKOFF[n - 1]; after the last, it failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
STALE_SENDING = timedelta(minutes=15)
BATCH = 50


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): trying again cannot help."""


@dataclass
class Sent:
    sent: int = 0
    logged: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.logged + self.retrying + self.failed


def send_queued(now: datetime | None = None, limit: int = BATCH) -> Sent:
    """Send the messages that are due, each in its own commit; the result counts them."""
    now = now or utcnow()
    with unit_of_work():  # each claim below is then a transaction of its own
        db.session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.state == "sending", OutboxMail.next_attempt_at < now - STALE_SENDING)
            .values(state="queued")
        )
        due = list(
            db.session.scalars(
                sa.select(OutboxMail.id)
                .where(OutboxMail.state == "queued", OutboxMail.next_attempt_at <= now)
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(limit)
            )
        )
    result = Sent()
    if not due:
        return result
    connection = _connection()
    try:
        for mail_id in due:
            message = _claim(mail_id)
            if message is not None:
                _deliver(message, connection, now, result)
    finally:
        if connection is not None:
            connection.close()
    return result


def _connection():
    """An SMTP connection as the app's settings now say, or None without a host."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return None
    return mail.get_connection(
        host=config["MAIL_SERVER"],
        port=config["MAIL_PORT"],
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        use_tls=config.get("MAIL_USE_TLS", False),
        use_ssl=config.get("MAIL_USE_SSL", False),
        timeout=config.get("MAIL_TIMEOUT"),
    )


def _claim(mail_id: int) -> OutboxMail | None:
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.state == "queued")
            .values(state="sending", next_attempt_at=utcnow())  # when it was taken
        ).rowcount
    return db.session.get(OutboxMail, mail_id) if claimed else None


def _deliver(message: OutboxMail, connection, now: datetime, result: Sent) -> None:
    error = ""
    permanent = False
    if message.user_id is None and opted_out(message.to):
        with unit_of_work():  # unsubscribed after this was queued
            message.state, message.last_error = "skipped", "The address unsubscribed."
        return
    try:
        if connection is None:  # (an attachment is not rendered only to be thrown away)
            attached = f"\n[attached: {message.attachment}]" if message.attachment else ""
            log.info(
                "mail (no SMTP host) to %s: %s\n%s%s",
                message.to,
                message.subject,
                message.text,
                attached,
            )
        else:
            connection.open()
            _email(message, connection).send()
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        error, permanent = _answer(code, answer), code >= 500
    except smtplib.SMTPResponseException as exc:
        error, permanent = _answer(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        if connection is not None:
            connection.close()  # a broken connection is opened afresh for the next one
    except Exception as exc:  # a fault of ours (the report would not render): tried again
        log.exception("mail %s could not be built", message.key)
        error = f"The message could not be built: {type(exc).__name__}"
    with unit_of_work():
        message.attempts += 1
        if not error:
            message.state = "logged" if connection is None else "sent"
            message.sent_at, message.last_error = utcnow(), ""
            result.logged += connection is None
            result.sent += connection is not None
        elif permanent or message.attempts >= MAX_ATTEMPTS:
            message.state, message.last_error = "failed", error[:500]
            result.failed += 1
            result.errors.append(f"{message.to}: {error}")
        else:
            message.state, message.last_error = "queued", error[:500]
            # From the attempt, not the batch: a slow batch must not bring retries forward.
            message.next_attempt_at = max(now, utcnow()) + BACKOFF[message.attempts - 1]
            result.retrying += 1
            result.errors.append(f"{message.to}: {error}")


def _answer(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return f"{code} {text}"


def _email(message: OutboxMail, connection) -> EmailMultiAlternatives:
    profile = company()
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or profile.email or "fieldapp@localhost"
    unsubscribe = public_link("notify.unsubscribe_page", token=message.unsubscribe_token)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=formataddr((profile.name, sender)),
        to=[message.to],
        reply_to=[profile.email] if profile.email else None,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "X-FieldApp-Key": message.key},
        connection=connection,
    )
    email.attach_alternative(message.html, "text/html")
    if message.attachment:
        name, content, kind = _attachment(message.attachment)
        email.attach(name, content, kind)
    return email


def _attachment(spec: str) -> tuple[str, bytes, str]:
    kind, _, ident = spec.partition(":")
    if kind == VISIT_REPORT:
        visit = db.session.get(Visit, uuid.UUID(ident))
        if visit is not None:
            # The report's page links (a procedure, a plotter) are built for the public address.
            base = current_app.config["PUBLIC_URL"]
            with current_app.test_request_context("/", base_url=base):
                document, name = service_report_pdf(visit)
            return name, document, "application/pdf"
    raise PermanentFailure(f"The attachment {spec} no longer exists.")
