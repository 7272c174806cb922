"""The office's inbox of service requests: what came in, with photos and open jobs alongside."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.auth.models import User
from fieldapp.customers.models import Site
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import with_plotter
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.photos.models import Photo
from fieldapp.public.models import REQUEST_STATUSES, ServiceRequest
from fieldapp.textsearch import all_words_in, words_of

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
