"""The mail and push outboxes, the browsers that take pushes, the addresses that asked for no
more mail, and who wants which notice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

# queued: waiting for the worker (again, after a failure, from next_attempt_at); sending: a
# worker has it; sent: the server took it; logged: no SMTP server is set, so it was written to
# the log instead; failed: refused for good, or out of attempts; skipped: the address opted out.
MAIL_STATES = ("queued", "sending", "sent", "logged", "failed", "skipped")
UNSUBSCRIBE_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


class OutboxMail(db.Model):
    """One email, written in the same transaction as the event it tells of, sent by the
    worker. ``key`` names the event and the recipient, so the same event never mails twice."""

    __tablename__ = "outbox_mails"
    __table_args__ = (
        one_of("state", MAIL_STATES),
        sa.Index("ix_outbox_mails_state_next_attempt_at", "state", "next_attempt_at"),
        sa.Index("ix_outbox_mails_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    topic: Mapped[str] = mapped_column(sa.String(32))
    to: Mapped[str] = mapped_column(sa.String(254))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reference: Mapped[str] = mapped_column(sa.String(40), default="")
    subject: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text)
    # What the worker renders and attaches when it sends, e.g. "visit-report:<visit id>".
    attachment: Mapped[str] = mapped_column(sa.String(80), default="")
    unsubscribe_token: Mapped[str] = mapped_column(sa.String(UNSUBSCRIBE_TOKEN_LENGTH), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMail {self.key} {self.state}>"


class MailOptOut(db.Model):
    """An address that followed an unsubscribe link: no customer mail goes to it again."""

    __tablename__ = "mail_opt_outs"

    address: Mapped[str] = mapped_column(sa.String(254), primary_key=True)  # lower case
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationChoice(db.Model):
    """A user's choice for one topic, stored only where it differs from the default (on)."""

    __tablename__ = "notification_choices"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class PushSubscription(db.Model):
    """A browser (a tech's phone, an office PC) where its user turned notifications on."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(100))  # the browser's public key
    auth: Mapped[str] = mapped_column(sa.String(40))  # its authentication secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PUSH_STATES = ("queued", "sending", "sent", "failed")


class OutboxPush(db.Model):
    """One notification for a user's browsers, queued with its event, sent by the worker."""

    __tablename__ = "outbox_pushes"
    __table_args__ = (
        one_of("state", PUSH_STATES),
        sa.Index("ix_outbox_pushes_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    topic: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(80))
    body: Mapped[str] = mapped_column(sa.String(240))
    url: Mapped[str] = mapped_column(sa.String(500))  # where tapping it opens
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker took it
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
