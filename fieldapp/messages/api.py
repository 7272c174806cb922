"""Job threads over the API: read a thread, post to it (idempotent on the client's id)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, url_for
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import STAFF, allow
from fieldapp.errors import Forbidden
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import find_job
from fieldapp.messages.models import Message
from fieldapp.messages.queries import job_thread
from fieldapp.messages.schemas import (
    MessageInputSchema,
    MessageResultSchema,
    ThreadSchema,
)
from fieldapp.messages.services import can_post, post_message
from fieldapp.visits.models import Photo


def _job_for_me(number: str) -> Job:
    job = find_job(number)
    if job is None:
        abort(404, description=f"There is no job {number}.")
    if not can_post(current_user, job):
        raise Forbidden(f"{job.number} is not assigned to you.")
    return job


def _as_dict(message: Message, job: Job, photos) -> dict:
    return {
        "id": message.id,
        "job": job.number,
        "author": message.author,
        "body": message.body,
        "created_at": message.created_at,
        "photos": [
            {
                "id": photo.id,
                "url": url_for("visits.photo", photo_id=photo.id),
                "thumbnail_url": url_for("visits.photo", photo_id=photo.id, size="thumb"),
            }
            for photo in photos
        ],
    }


@api.get("/jobs/<number>/messages")
@allow(STAFF)
@documented("A job's thread", response=ThreadSchema, tag="messages")
def job_messages(number: str):
    """The messages on a job, oldest first, with their photos. Office staff read every thread;
    a tech the threads of jobs assigned to them."""
    job = _job_for_me(number)
    thread = job_thread(job)
    messages = [
        _as_dict(entry.message, job, entry.photos)
        for entry in thread.entries
        if entry.kind == "message"
    ]
    return jsonify(ThreadSchema().dump({"job": job.number, "messages": messages}))


@api.post("/jobs/<number>/messages")
@allow(STAFF)
@documented(
    "Post a message to a job's thread",
    body=MessageInputSchema,
    response=MessageResultSchema,
    status=201,
    tag="messages",
)
def post_job_message(number: str):
    """Post with an id made by the client: sending the same id again answers 200 with
    duplicate=true and posts nothing. Photos are uploaded first with PUT /api/v1/photos/<id>."""
    data = load_json(MessageInputSchema())
    job = _job_for_me(number)
    message, created = post_message(
        job,
        current_user,
        data["body"],
        message_id=data["id"],
        photo_ids=data["photos"],
    )
    photos = db.session.scalars(sa.select(Photo).where(Photo.message_id == message.id)).all()
    body = MessageResultSchema().dump({**_as_dict(message, job, photos), "duplicate": not created})
    return jsonify(body), (201 if created else 200)
