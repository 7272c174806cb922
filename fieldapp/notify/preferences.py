"""Who wants which notice: each user's choices, and the unsubscribe link in every email."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.notify.models import MailOptOut, NotificationChoice, OutboxMail, PushSubscription

CHANNELS = ("email", "push")


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    hint: str
    channels: tuple[str, ...]


# What each role may hear of, and how. Every topic is on until the user turns it off.
OFFICE_TOPICS = (
    Topic(
        "new_request",
        "New service requests",
        "Someone scanned a label and asked for service.",
        ("email", "push"),
    ),
    Topic(
        "visit_refused",
        "Visits refused from a phone",
        "A tech's phone sent a visit the server could not accept; it needs a look.",
        ("email",),
    ),
    Topic(
        "negative_stock",
        "Stock below zero",
        "A part was used that the records say was not there.",
        ("email",),
    ),
)
TECH_TOPICS = (
    Topic(
        "job_assigned",
        "Jobs given to me or moved",
        "The office assigned you a job, or changed when it is.",
        ("push",),
    ),
    Topic(
        "job_message",
        "Messages on my jobs",
        "Someone wrote on one of your jobs' threads.",
        ("push",),
    ),
    Topic(
        "restock_picked",
        "Van restock sent",
        "The warehouse sent the parts you asked for.",
        ("push",),
    ),
)
# What customers' site contacts are told; they opt out by their email's unsubscribe link,
# and the office may opt a whole customer out.
CONTACT_TOPICS = ("request_received", "visit_scheduled", "on_the_way", "service_report")


def topics_for(user: User) -> tuple[Topic, ...]:
    return OFFICE_TOPICS if user.is_office else TECH_TOPICS


def choices(user: User) -> dict[str, dict[str, bool]]:
    """Each of the user's topics: whether they get it on each of its channels."""
    stored = {
        choice.topic: choice
        for choice in db.session.scalars(
            sa.select(NotificationChoice).where(NotificationChoice.user_id == user.id)
        )
    }
    found = {}
    for topic in topics_for(user):
        choice = stored.get(topic.key)
        found[topic.key] = {
            channel: choice is None or getattr(choice, channel) for channel in topic.channels
        }
    return found


def wants(user: User, topic: str, channel: str) -> bool:
    choice = db.session.get(NotificationChoice, (user.id, topic))
    return user.active and (choice is None or getattr(choice, channel))


def recipients(topic: str, channel: str = "email") -> list[User]:
    """The active office users who have not turned this off and can get it: with an email,
    or with a browser that takes pushes."""
    turned_off = sa.select(NotificationChoice.user_id).where(
        NotificationChoice.topic == topic, getattr(NotificationChoice, channel).is_(False)
    )
    reachable = (
        User.email != "" if channel == "email" else User.id.in_(sa.select(PushSubscription.user_id))
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.active,
                User.role.in_(("office", "admin")),
                reachable,
                User.id.not_in(turned_off),
            )
            .order_by(User.id)
        )
    )


def save_choices(user: User, wanted: dict[str, set[str]]) -> None:
    """Keep the topics named in wanted[channel] on and turn the user's others off (flush
    only); a topic left on everywhere keeps no row."""
    for topic in topics_for(user):
        on = {channel: topic.key in wanted.get(channel, set()) for channel in topic.channels}
        choice = db.session.get(NotificationChoice, (user.id, topic.key))
        if choice is None and all(on.values()):
            continue
        if choice is None:
            choice = NotificationChoice(user_id=user.id, topic=topic.key, email=True, push=True)
            db.session.add(choice)
        for channel, value in on.items():
            setattr(choice, channel, value)
    db.session.flush()


def mail_for_unsubscribe(token: str) -> OutboxMail | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(OutboxMail).where(OutboxMail.unsubscribe_token == token))


def topic_label(key: str) -> str:
    found = next((t for t in (*OFFICE_TOPICS, *TECH_TOPICS) if t.key == key), None)
    return found.label if found else key


def unsubscribed(mail: OutboxMail) -> bool:
    """Whether this message's recipient already stopped mail like it."""
    if mail.user_id is not None:
        choice = db.session.get(NotificationChoice, (mail.user_id, mail.topic))
        return choice is not None and not choice.email
    return db.session.get(MailOptOut, mail.to.strip().lower()) is not None


def unsubscribe(mail: OutboxMail) -> None:
    """The recipient of this message wants no more like it (flush only): a user turns its
    topic off; a customer's address gets no more customer mail."""
    if mail.user_id is not None:
        choice = db.session.get(NotificationChoice, (mail.user_id, mail.topic))
        if choice is None:
            db.session.add(
                NotificationChoice(user_id=mail.user_id, topic=mail.topic, email=False, push=True)
            )
        else:
            choice.email = False
        db.session.flush()
        return
    address = mail.to.strip().lower()
    if db.session.get(MailOptOut, address) is None:
        db.session.add(MailOptOut(address=address))
        record_event(
            "mail.unsubscribed",
            "mail",
            mail.id,
            f"{mail.to} unsubscribed from the company's emails",
            actor_id=None,
        )
    db.session.flush()
