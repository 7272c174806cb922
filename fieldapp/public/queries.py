"""The office's inbox of service requests: what came in, with photos and open jobs alongside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.auth.models import User
from fieldapp.customers.models import Site
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import with_plotter
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.services import on_the_way_today
from fieldapp.photos.models import Photo
from fieldapp.public.models import REQUEST_STATUSES, STATUS_TOKEN_LENGTH, ServiceRequest
from fieldapp.textsearch import all_words_in, words_of
from fieldapp.visits.models import Visit

INBOX_PAGE = 50


@dataclass
class Inbox:
    status: str
    requests: list[ServiceRequest]
    counts: dict[str, int]
    photos: dict[int, list[Photo]]
    open_jobs: dict[int, list[Job]]  # open jobs already on each request's plotter
    handlers: dict[int, str]


def inbox(status: str = "new") -> Inbox:
    """Requests with this status (new ones oldest first, handled ones newest first)."""
    status = status if status in REQUEST_STATUSES else "new"
    order = (
        (ServiceRequest.created_at, ServiceRequest.id)
        if status == "new"
        else (ServiceRequest.handled_at.desc(), ServiceRequest.id.desc())
    )
    requests = list(
        db.session.scalars(
            sa.select(ServiceRequest)
            .where(ServiceRequest.status == status)
            .options(
                with_plotter(ServiceRequest.equipment)
                .selectinload(Equipment.site)
                .selectinload(Site.site_contact)
            )
            .order_by(*order)
            .limit(INBOX_PAGE)
        )
    )
    counts = dict.fromkeys(REQUEST_STATUSES, 0)
    counts.update(
        db.session.execute(
            sa.select(ServiceRequest.status, sa.func.count()).group_by(ServiceRequest.status)
        ).all()
    )
    ids = [request.id for request in requests]
    photos: dict[int, list[Photo]] = {}
    open_jobs: dict[int, list[Job]] = {}
    handlers: dict[int, str] = {}
    if ids:
        for photo in db.session.scalars(
            sa.select(Photo).where(Photo.service_request_id.in_(ids)).order_by(Photo.created_at)
        ):
            photos.setdefault(photo.service_request_id, []).append(photo)
        plotters = {request.equipment_id for request in requests}
        for job in db.session.scalars(
            sa.select(Job)
            .where(Job.equipment_id.in_(plotters), Job.status.in_(OPEN_STATUSES))
            .options(joinedload(Job.assigned_to))
            .order_by(Job.id)
        ):
            open_jobs.setdefault(job.equipment_id, []).append(job)
        handler_ids = {r.handled_by_id for r in requests if r.handled_by_id}
        if handler_ids:
            handlers = dict(
                db.session.execute(
                    sa.select(User.id, User.name).where(User.id.in_(handler_ids))
                ).all()
            )
    return Inbox(status, requests, counts, photos, open_jobs, handlers)


def requests_matching(text: str, limit: int) -> list[ServiceRequest]:
    """The search box's service requests: by reference, or every word in who sent it (name,
    phone, email), newest first."""
    if not words_of(text):
        return []
    sent = ServiceRequest
    columns = (sent.reference, sent.name, sent.phone, sent.email)
    return list(
        db.session.scalars(
            sa.select(ServiceRequest)
            .where(all_words_in(text, *columns))
            .options(joinedload(ServiceRequest.equipment))
            .order_by(ServiceRequest.created_at.desc())
            .limit(limit)
        )
    )


# -- a requester's status page ------------------------------------------------------------

STATUS_LINK_DAYS = 90  # the status page answers this long after the request's job closes


@dataclass
class RequestStatus:
    """What the requester may see of their request: where it stands, and nothing else."""

    request: ServiceRequest
    stage: str  # received, scheduled, on_the_way, on_site, waiting_parts, done, closed
    job: Job | None
    tech_first_name: str
    report_visit: Visit | None  # the finished visit whose report they may download


def request_status(token: str, now: datetime) -> RequestStatus | None:
    """The request with this status link and where it stands, or None: no such link, or
    its job (or its dismissal) is more than STATUS_LINK_DAYS old."""
    if len(token) != STATUS_TOKEN_LENGTH:
        return None
    found = db.session.scalar(
        sa.select(ServiceRequest)
        .where(ServiceRequest.status_token == token)
        .options(joinedload(ServiceRequest.job).joinedload(Job.assigned_to))
    )
    if found is None:
        return None
    job = found.job
    ended = job.closed_at if job is not None else found.handled_at
    closed = found.status == "dismissed" or (job is not None and not job.is_open)
    if closed and ended is not None and now - ended > timedelta(days=STATUS_LINK_DAYS):
        return None
    tech = job.assigned_to.name.split()[0] if job is not None and job.assigned_to else ""
    report = None
    if job is not None and job.status == "done":
        report = db.session.scalar(
            sa.select(Visit)
            .where(Visit.job_id == job.id, Visit.status == "finished")
            .order_by(Visit.finished_at.desc())
            .limit(1)
        )
    return RequestStatus(found, _stage(found, job), job, tech, report)


def _stage(found: ServiceRequest, job: Job | None) -> str:
    if job is None:
        return "closed" if found.status == "dismissed" else "received"
    if job.status == "done":
        return "done"
    if job.status == "cancelled":
        return "closed"
    if job.status == "in_progress":
        return "on_site"
    if job.status == "waiting_parts":
        return "waiting_parts"
    if job.scheduled_for is None:
        return "received"
    return "on_the_way" if on_the_way_today(job) else "scheduled"
