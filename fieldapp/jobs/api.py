"""A tech's own jobs over the API: what moved on them, for Today's live parts (ETag/304)."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields

from fieldapp.activity.queries import events_after
from fieldapp.api import EventsAfterSchema, api, documented, unless_seen
from fieldapp.auth.access import TECH, allow
from fieldapp.jobs.models import JOB_NUMBER_OFFSET
from fieldapp.jobs.queries import today_version


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
    query=EventsAfterSchema,
    response=MyActivitySchema,
    tag="jobs",
)
def my_activity():
    """Events newer than ?after= on the signed-in tech's open jobs only (at most 50), newest
    first. The ETag names those jobs and their newest event: a poll with If-None-Match answers
    304 with no body until a job is assigned to or taken from the tech, or one of theirs moves."""
    after = EventsAfterSchema().load(request.args)["after"]
    version = today_version(current_user.id)

    def answer() -> Response:
        events = (
            events_after(after, job_ids=version.job_ids)
            if version.latest > after and version.job_ids
            else []
        )
        return jsonify(
            MyActivitySchema().dump(
                {
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
            )
        )

    return unless_seen(version.etag, answer)
