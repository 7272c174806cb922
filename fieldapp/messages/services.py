"""Job threads: posting messages (idempotent on the client-made id) and reading markers."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.database import upsert
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Forbidden, Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import check_may_act_on
from fieldapp.messages.models import Message, ThreadRead
from fieldapp.photos.models import Photo
from fieldapp.photos.services import add_photo

MAX_BODY = 4000
MAX_PHOTOS = 6


def check_post(job: Job, author: User, body: str) -> str:
    """The cleaned body, or why this author cannot post it on this job."""
    check_may_act_on(author, job)
    body = body.strip()
    if not body:
        raise Invalid.field("body", "Write a message before sending.")
    if len(body) > MAX_BODY:
        raise Invalid.field("body", f"Keep a message under {MAX_BODY:,} characters.")
    return body


def post_message(
    job: Job,
    author: User,
    body: str,
    *,
    message_id: uuid.UUID | None = None,
    photo_ids: list[uuid.UUID] = (),
) -> tuple[Message, bool]:
    """Add a message to a job's thread; returns (message, created). A resend is a no-op.

    The message is dated when the server receives it: one written offline and synced later
    must still count as unread for whoever read the thread in between.
    """
    message_id = message_id or uuid.uuid4()
    existing = db.session.get(Message, message_id)
    if existing is not None:
        if existing.author_id != author.id:
            raise Forbidden("That message id belongs to someone else's message.")
        return existing, False
    body = check_post(job, author, body)
    photos = list(db.session.scalars(sa.select(Photo).where(Photo.id.in_(list(photo_ids)))))
    if len(photos) != len(set(photo_ids)) or any(
        p.uploaded_by_id != author.id or p.visit_id or p.message_id or p.service_request_id
        for p in photos
    ):
        raise Invalid.field("photos", "A photo is missing or already used elsewhere.")
    message = Message(
        id=message_id, job_id=job.id, author_id=author.id, body=body, created_at=utcnow()
    )
    db.session.add(message)
    db.session.flush()
    for photo in photos:
        photo.message_id = message.id
    mark_read(job.id, author.id, message.created_at)
    record_event(
        "message.posted",
        "message",
        message.id,
        f"{author.name} on {job.number}: {body[:200]}",
        actor_id=author.id,
        job_id=job.id,
        equipment_id=job.equipment_id,
    )
    return message, True


def mark_read(job_id: int, user_id: int, at: datetime | None = None) -> None:
    """Move the user's read marker on a thread forward (never back).

    One INSERT ... ON CONFLICT, so the same thread opened in two tabs at once cannot trip
    over the first marker's creation.
    """
    table = ThreadRead.__table__
    statement = upsert(table).values(user_id=user_id, job_id=job_id, read_at=at or utcnow())
    newer = statement.excluded.read_at
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.job_id],
            set_={"read_at": sa.case((table.c.read_at < newer, newer), else_=table.c.read_at)},
        )
    )


def post_message_with_uploads(
    job: Job,
    author: User,
    body: str,
    *,
    message_id: uuid.UUID | None,
    uploads: list[bytes] = (),
) -> tuple[Message, bool]:
    """The thread form: photos sent with the message are decoded and stored, then posted.

    A resend of the same form (same message id) returns the first message and stores nothing.
    """
    existing = db.session.get(Message, message_id) if message_id else None
    if existing is not None:
        return post_message(job, author, body, message_id=message_id)
    check_post(job, author, body)  # before any file is written
    if len(uploads) > MAX_PHOTOS:
        raise Invalid.field("photos", f"Send at most {MAX_PHOTOS} photos with one message.")
    photos = [add_photo(data, uploaded_by_id=author.id) for data in uploads]
    db.session.flush()
    return post_message(
        job, author, body, message_id=message_id, photo_ids=[photo.id for photo in photos]
    )


def mark_thread_read(job: Job, user: User, at: datetime | None = None) -> None:
    """The person has seen the thread up to `at` (the page asks when someone opens it; a GET
    never marks anything read, so a cache filling itself cannot clear a badge)."""
    check_may_act_on(user, job)
    mark_read(job.id, user.id, min(at, utcnow()) if at else None)
