"""Which events are told to whom by email. Each listens on the activity feed and queues its
messages in the event's own transaction; a key per event and recipient keeps it to one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fieldapp.activity.models import ActivityEvent
from fieldapp.activity.services import event_recorded
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.inventory.models import RestockRequest
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import planned_time
from fieldapp.messages.models import Message
from fieldapp.notify.outbox import app_path, last_key, public_link, queue_mail
from fieldapp.notify.preferences import recipients, wants
from fieldapp.notify.push import has_subscription, queue_push
from fieldapp.public.models import ServiceRequest
from fieldapp.visits.models import OUTCOME_LABELS, Visit

VISIT_REPORT = "visit-report"  # an attachment the worker renders: the visit's report PDF
ON_THE_WAY_NEWS = timedelta(hours=2)


def _subject(model, event: ActivityEvent, parse: Callable = int):
    """The event's subject, or None when it names none (an event with no such row)."""
    try:
        return db.session.get(model, parse(event.subject_id))
    except ValueError:
        return None


def _job(event: ActivityEvent) -> Job | None:
    return db.session.get(Job, event.job_id) if event.job_id is not None else None


def _office(topic: str, event: ActivityEvent, subject: str, template: str, **context) -> None:
    db.session.flush()  # the event's id names the messages
    for user in recipients(topic):
        queue_mail(
            key=f"{topic}:{event.id}:{user.id}",
            topic=topic,
            to=user.email,
            user_id=user.id,
            subject=subject,
            template=template,
            context={"event": event, "user": user, **context},
            reference=context.get("reference", ""),
        )


def _contact_of(equipment: Equipment | None):
    """The person at the plotter's site the customer wants told, or None."""
    if equipment is None or not equipment.customer.mail_contacts:
        return None
    contact = equipment.contact
    return contact if contact.email else None


def _push(user: User | None, topic: str, event: ActivityEvent, title: str, body: str, url: str):
    """A push for this user's browsers, if they have one and take this topic by push."""
    if user is None or user.id == event.actor_id or not wants(user, topic, "push"):
        return
    if not has_subscription(user.id):
        return
    db.session.flush()
    queue_push(
        key=f"{topic}:{event.id}:{user.id}",
        topic=topic,
        user_id=user.id,
        title=title,
        body=body,
        url=url,
    )


def request_received(event: ActivityEvent) -> None:
    request = _subject(ServiceRequest, event)
    if request is None:
        return
    equipment = request.equipment
    status_url = public_link("public.request_status", token=request.status_token)
    if request.email:
        queue_mail(
            key=f"request_received:{request.id}",
            topic="request_received",
            to=request.email,
            subject="We received your service request",
            template="request_received",
            context={"request": request, "equipment": equipment, "status_url": status_url},
            reference=request.reference,
        )
    _office(
        "new_request",
        event,
        f"New service request: {equipment.display_name} at {equipment.customer.name}",
        "office_new_request",
        request=request,
        equipment=equipment,
        reference=request.reference,
        inbox_url=public_link("public.inbox"),
    )
    for user in recipients("new_request", "push"):
        queue_push(
            key=f"new_request:{event.id}:{user.id}",
            topic="new_request",
            user_id=user.id,
            title=f"New request {request.reference}",
            body=f"{equipment.display_name} at {equipment.customer.name}: {request.problem}",
            url=app_path("public.inbox"),
        )


def job_assigned(event: ActivityEvent) -> None:
    """The tech hears of a job given to them or moved; the customer, of the visit's plan."""
    job = _job(event)
    if job is None:
        return
    if job.assigned_to is not None and job.is_open:
        where = job.equipment.display_name if job.equipment else job.problem[:60]
        _push(
            job.assigned_to,
            "job_assigned",
            event,
            f"{job.number}: {job.customer.name}",
            f"{where} · {planned_time(job, with_day=True)}",
            app_path("home.index"),
        )
    visit_scheduled(job, event)


def visit_scheduled(job: Job, event: ActivityEvent) -> None:
    """The site contact hears of the visit's day, window and tech whenever they change (back
    to an earlier plan too), never twice about the plan they were told last."""
    if job.status != "scheduled" or job.assigned_to is None or job.scheduled_for is None:
        return
    if job.scheduled_for < utcnow():
        return  # a visit put on the schedule after the fact: nobody needs telling
    contact = _contact_of(job.equipment)
    if contact is None:
        return
    plan = f"{job.scheduled_for.isoformat()}+{job.arrival_window_minutes}+{job.assigned_to_id}"
    told = last_key(f"visit_scheduled:{job.id}:")
    if told is not None and told.endswith(f":{plan}"):
        return
    db.session.flush()
    queue_mail(
        key=f"visit_scheduled:{job.id}:{event.id}:{plan}",
        topic="visit_scheduled",
        to=contact.email,
        subject="Your service visit is scheduled",
        template="visit_scheduled",
        context={"job": job, "contact": contact, "tech": job.assigned_to.first_name},
        reference=job.number,
    )


def message_posted(event: ActivityEvent) -> None:
    message, job = _subject(Message, event, uuid.UUID), _job(event)
    if message is None or job is None:
        return
    _push(
        job.assigned_to,
        "job_message",
        event,
        f"{message.author.name} on {job.number}",
        message.body,
        app_path("messages.thread", job_id=job.id),
    )


def restock_picked(event: ActivityEvent) -> None:
    request = _subject(RestockRequest, event, uuid.UUID)
    if request is None:
        return
    _push(
        db.session.get(User, request.tech_id),
        "restock_picked",
        event,
        f"Restock {request.reference} is on its way",
        event.summary,
        app_path("inventory.my_van"),
    )


def on_the_way(event: ActivityEvent) -> None:
    job = _job(event)
    contact = _contact_of(job.equipment) if job is not None else None
    if contact is None or job.on_the_way_at is None:
        return
    if utcnow() - job.on_the_way_at > ON_THE_WAY_NEWS:
        return  # a tap that reached us hours later (no signal all day): no longer news
    db.session.flush()
    queue_mail(
        key=f"on_the_way:{job.id}:{event.id}",  # the service tells once a day
        topic="on_the_way",
        to=contact.email,
        subject=f"{job.assigned_to.first_name} is on the way",
        template="on_the_way",
        context={"job": job, "contact": contact, "tech": job.assigned_to.first_name},
        reference=job.number,
    )


def visit_logged(event: ActivityEvent) -> None:
    visit = _subject(Visit, event, uuid.UUID)
    if visit is None or not visit.signoff_name:
        return  # nobody signed for it: there is no report to send the customer yet
    contact = _contact_of(visit.equipment)
    if contact is None:
        return
    job = visit.job
    queue_mail(
        key=f"service_report:{visit.id}",
        topic="service_report",
        to=contact.email,
        subject=f"Service report: {visit.equipment.display_name}",
        template="service_report",
        context={
            "visit": visit,
            "job": job,
            "contact": contact,
            "outcome": OUTCOME_LABELS[visit.outcome],
        },
        reference=job.number if job else visit.equipment.serial_number,
        attachment=f"{VISIT_REPORT}:{visit.id}",
    )


def visit_refused(event: ActivityEvent) -> None:
    _office(
        "visit_refused",
        event,
        "A visit from a tech's phone was refused",
        "office_visit_refused",
        dashboard_url=public_link("home.index"),
    )


def negative_stock(event: ActivityEvent) -> None:
    _office(
        "negative_stock",
        event,
        "Stock went below zero",
        "office_negative_stock",
        parts_url=public_link("inventory.parts"),
    )


TOLD: dict[str, Callable[[ActivityEvent], None]] = {
    "request.received": request_received,
    "job.assigned": job_assigned,
    "message.posted": message_posted,
    "restock.picked": restock_picked,
    "job.on_the_way": on_the_way,
    "visit.logged": visit_logged,
    "sync.refused": visit_refused,
    "stock.negative": negative_stock,
}


@event_recorded.connect
def tell(event: ActivityEvent, **_) -> None:
    """Queue the messages this event calls for, in its transaction."""
    handler = TOLD.get(event.verb)
    if handler is not None:
        handler(event)
