"""Job threads over the API: read a thread, post to it (idempotent on the client's id), and
mark it read."""

from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import STAFF, allow
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import check_may_act_on, find_job
from fieldapp.messages.models import Message
from fieldapp.messages.queries import job_thread, message_photos
from fieldapp.messages.schemas import (
    MessageInputSchema,
    MessageResultSchema,
    ReadMarkSchema,
    ThreadSchema,
)
from fieldapp.messages.services import mark_thread_read, post_message
from fieldapp.photos.api import photo_links
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work


def _job_for_me(number: str) -> Job:
    job = find_job(number)
    if job is None:
        abort(404, description=f"There is no job {number}.")
    check_may_act_on(current_user, job)
    return job


def _as_dict(message: Message, job: Job, photos, seen_by=()) -> dict:
    return {
        "id": message.id,
        "job": job.number,
        "author": message.author,
        "body": message.body,
        "created_at": message.created_at,
        "photos": [photo_links(photo) for photo in photos],
        "seen_by": [reader.user for reader in seen_by],
    }


@api.get("/jobs/<number>/messages")
@allow(STAFF)
@documented("A job's thread", response=ThreadSchema, tag="messages")
def job_messages(number: str):
    """The messages on a job, oldest first, with their photos and who has read them. Office
    staff read every thread; a tech the threads of their jobs. Reading never marks anything
    read."""
    job = _job_for_me(number)
    thread = job_thread(job)
    messages = [
        _as_dict(entry.message, job, entry.photos, entry.seen_by)
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
    message, created = in_unit_of_work(
        lambda: post_message(
            job, current_user, data["body"], message_id=data["id"], photo_ids=data["photos"]
        )
    )
    body = MessageResultSchema().dump(
        {**_as_dict(message, job, message_photos(message.id)), "duplicate": not created}
    )
    return jsonify(body), (201 if created else 200)


@api.post("/jobs/<number>/read")
@allow(STAFF)
@documented("Mark a job's thread read", body=ReadMarkSchema, status=204, tag="messages")
def read_job_thread(number: str):
    """The person has read the thread up to `at` (the newest message the page showed them; now
    when absent). The page sends this when someone opens the thread, never a cache."""
    data = load_json(ReadMarkSchema())
    job = _job_for_me(number)
    with unit_of_work():
        mark_thread_read(job, current_user, data["at"])
    return "", 204
