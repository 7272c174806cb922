"""A tech's own jobs over the API: what moved on them, for Today's live parts (ETag/304)."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields

from fieldapp.activity.queries import events_after
from fieldapp.api import api, documented
from fieldapp.auth.access import TECH, allow
from fieldapp.jobs.models import JOB_NUMBER_OFFSET
from fieldapp.jobs.queries import today_version
from fieldapp.wire import Whole


class MyActivityQuerySchema(Schema):
    after = Whole(
        0, strict=False, load_default=0, metadata={"description": "the newest event id seen"}
    )


class MyEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    verb = fields.String()
    summary = fields.String()
    job = fields.String()


class MyActivitySchema(Schema):
    latest = fields.Integer(
        metadata={"description": "the newest event on the tech's open jobs; send it as ?after="}
    )
    jobs = fields.List(fields.String(), metadata={"description": "the tech's open jobs"})
    events = fields.List(fields.Nested(MyEventSchema), metadata={"description": "newest first"})


@api.get("/me/activity")
@allow(TECH)
@documented(
    "What moved on my open jobs",
    query=MyActivityQuerySchema,
    response=MyActivitySchema,
    tag="jobs",
)
def my_activity():
    """Events newer than ?after= on the signed-in tech's open jobs only (at most 50), newest
    first. The ETag names those jobs and their newest event: a poll with If-None-Match answers
    304 with no body until a job is assigned to or taken from the tech, or one of theirs moves."""
    after = MyActivityQuerySchema().load(request.args)["after"]
    version = today_version(current_user.id)
    etag = version.etag
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        events = (
            events_after(after, job_ids=version.job_ids)
            if version.latest > after and version.job_ids
            else []
        )
        body = {
            "latest": version.latest,
            "jobs": [f"J-{job_id + JOB_NUMBER_OFFSET}" for job_id in version.job_ids],
            "events": [
                {
                    "id": event.id,
                    "at": event.at,
                    "verb": event.verb,
                    "summary": event.summary,
                    "job": f"J-{event.job_id + JOB_NUMBER_OFFSET}",
                }
                for event in events
            ],
        }
        response = jsonify(MyActivitySchema().dump(body))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
