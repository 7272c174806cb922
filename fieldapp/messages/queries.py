"""Reading job threads: the thread with what happened on the job inline, who has seen each
message, and unread counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.messages.models import Message, ThreadRead
from fieldapp.photos.models import Photo
from fieldapp.public.models import ServiceRequest

# Older messages never count as unread: a new colleague does not start with a wall of badges.
UNREAD_WINDOW = timedelta(days=30)
# What the activity log says about a job that belongs in its thread (messages are shown as such).
INLINE_VERBS = (
    "job.created",
    "job.assigned",
    "job.unassigned",
    "job.status",
    "visit.started",
    "visit.logged",
    "step.failed",
    "part.used",
    "stock.negative",
    "request.converted",
)


def _unread(user: User, columns: list, now: datetime | None) -> sa.Select:
    """Messages by others after the user's read marker. Office and admin follow every
    thread; a tech the threads of jobs assigned to them."""
    since = (now or utcnow()) - UNREAD_WINDOW
    query = (
        sa.select(*columns)
        .select_from(Message)
        .outerjoin(
            ThreadRead,
            sa.and_(ThreadRead.job_id == Message.job_id, ThreadRead.user_id == user.id),
        )
        .where(
            Message.author_id != user.id,
            Message.created_at >= since,
            sa.or_(ThreadRead.read_at.is_(None), Message.created_at > ThreadRead.read_at),
        )
    )
    if not user.is_office:
        query = query.join(Job, Job.id == Message.job_id).where(Job.assigned_to_id == user.id)
    return query


def unread_by_job(
    user: User, job_ids: list[int] | None = None, now: datetime | None = None
) -> dict[int, int]:
    """Unread messages per job (of these jobs, when given), in one query."""
    query = _unread(user, [Message.job_id, sa.func.count()], now).group_by(Message.job_id)
    if job_ids is not None:
        if not job_ids:
            return {}
        query = query.where(Message.job_id.in_(job_ids))
    return dict(db.session.execute(query).all())


def unread_total(user: User, now: datetime | None = None) -> int:
    """All the user's unread messages (the navigation's badge), in one query."""
    return db.session.scalar(_unread(user, [sa.func.count()], now)) or 0


@dataclass(frozen=True)
class Reader:
    """Someone who has read a job's thread, and up to which moment (their read marker)."""

    user: User
    read_at: datetime


@dataclass
class ThreadEntry:
    """One line of a thread: a message (with its photos and who besides its author has seen
    it) or something that happened."""

    at: datetime
    kind: str  # "message" or "event"
    message: Message | None = None
    event: ActivityEvent | None = None
    photos: list[Photo] = field(default_factory=list)
    seen_by: list[Reader] = field(default_factory=list)


@dataclass
class Thread:
    job: Job
    entries: list[ThreadEntry]
    requests: list[ServiceRequest]
    request_photos: dict[int, list[Photo]]
    message_count: int

    @property
    def newest_message_at(self) -> datetime | None:
        """When the newest message shown was posted: how far opening the page reads."""
        return max((entry.at for entry in self.entries if entry.kind == "message"), default=None)


def thread_readers(job_id: int) -> list[Reader]:
    """Everyone's read marker on a job's thread, earliest first, in one query."""
    rows = db.session.execute(
        sa.select(User, ThreadRead.read_at)
        .join(ThreadRead, ThreadRead.user_id == User.id)
        .where(ThreadRead.job_id == job_id)
        .order_by(ThreadRead.read_at, User.name, User.id)
    ).all()
    return [Reader(user, read_at) for user, read_at in rows]


def seen_by(message: Message, readers: list[Reader]) -> list[Reader]:
    """Who besides its author has read this message: their marker is at or past it."""
    return [
        reader
        for reader in readers
        if reader.user.id != message.author_id and reader.read_at >= message.created_at
    ]


def job_thread(job: Job) -> Thread:
    """Messages (with who has seen each), photos and the job's events in time order, plus the
    request it came from."""
    messages = list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.job_id == job.id)
            .options(joinedload(Message.author))
            .order_by(Message.created_at, Message.id)
        )
    )
    events = list(
        db.session.scalars(
            sa.select(ActivityEvent)
            .where(ActivityEvent.job_id == job.id, ActivityEvent.verb.in_(INLINE_VERBS))
            .options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.at, ActivityEvent.id)
        )
    )
    requests = list(
        db.session.scalars(
            sa.select(ServiceRequest)
            .where(ServiceRequest.job_id == job.id)
            .order_by(ServiceRequest.created_at)
        )
    )
    photos: dict[object, list[Photo]] = {}
    message_ids = [message.id for message in messages]
    request_ids = [request.id for request in requests]
    if message_ids or request_ids:
        for photo in db.session.scalars(
            sa.select(Photo)
            .where(
                sa.or_(
                    Photo.message_id.in_(message_ids),
                    Photo.service_request_id.in_(request_ids),
                )
            )
            .order_by(Photo.created_at, Photo.id)
        ):
            key = photo.message_id or ("request", photo.service_request_id)
            photos.setdefault(key, []).append(photo)
    readers = thread_readers(job.id) if messages else []
    entries = [
        ThreadEntry(
            m.created_at,
            "message",
            message=m,
            photos=photos.get(m.id, []),
            seen_by=seen_by(m, readers),
        )
        for m in messages
    ] + [ThreadEntry(e.at, "event", event=e) for e in events]
    entries.sort(key=lambda entry: entry.at)
    return Thread(
        job=job,
        entries=entries,
        requests=requests,
        request_photos={r.id: photos.get(("request", r.id), []) for r in requests},
        message_count=len(messages),
    )


def message_photos(message_id) -> list[Photo]:
    return list(
        db.session.scalars(
            sa.select(Photo).where(Photo.message_id == message_id).order_by(Photo.created_at)
        )
    )
