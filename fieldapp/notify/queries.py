"""The office's Outbox page: every message, newest first, with the server's last answer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.notify.models import MAIL_STATES, OutboxMail

OUTBOX_PAGE = 100
# The tabs: waiting (queued or being sent), then each end state.
OUTBOX_TABS = {
    "waiting": ("queued", "sending"),
    "failed": ("failed",),
    "sent": ("sent", "logged"),
    "skipped": ("skipped",),
}


@dataclass
class Outbox:
    tab: str
    mails: list[OutboxMail]
    counts: dict[str, int]


def outbox(tab: str = "waiting") -> Outbox:
    tab = tab if tab in OUTBOX_TABS else "waiting"
    mails = list(
        db.session.scalars(
            sa.select(OutboxMail)
            .where(OutboxMail.state.in_(OUTBOX_TABS[tab]))
            .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
            .limit(OUTBOX_PAGE)
        )
    )
    by_state = dict.fromkeys(MAIL_STATES, 0)
    by_state.update(
        db.session.execute(
            sa.select(OutboxMail.state, sa.func.count()).group_by(OutboxMail.state)
        ).all()
    )
    counts = {name: sum(by_state[s] for s in states) for name, states in OUTBOX_TABS.items()}
    return Outbox(tab, mails, counts)
