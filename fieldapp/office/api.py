"""The live activity feed over the API: the dashboard polls it; nothing new answers 304."""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from marshmallow import Schema, fields

from fieldapp.activity.models import ActivityEvent
from fieldapp.activity.queries import events_after, latest_event_id
from fieldapp.api import EventsAfterSchema, api, documented, unless_seen
from fieldapp.auth.access import OFFICE, allow
from fieldapp.jobs.models import JOB_NUMBER_OFFSET


class FeedEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    verb = fields.String()
    summary = fields.String()
    actor = fields.String(allow_none=True)
    job = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class FeedSchema(Schema):
    latest = fields.Integer(metadata={"description": "the newest event id; send it as ?after="})
    events = fields.List(fields.Nested(FeedEventSchema), metadata={"description": "newest first"})


def feed_event(event: ActivityEvent) -> dict:
    """One feed line as the dashboard's script draws it (the same as the page renders)."""
    job = f"J-{event.job_id + JOB_NUMBER_OFFSET}" if event.job_id else None
    return {
        "id": event.id,
        "at": event.at,
        "verb": event.verb,
        "summary": event.summary,
        "actor": event.actor.name if event.actor else None,
        "job": job,
        "url": url_for("jobs.detail", job_id=event.job_id) if event.job_id else None,
    }


@api.get("/activity")
@allow(OFFICE)
@documented("The live activity feed", query=EventsAfterSchema, response=FeedSchema, tag="office")
def activity():
    """Events newer than ?after=, newest first (at most 50). The ETag names the newest event:
    a poll with If-None-Match answers 304 with no body until something new happens."""
    after = EventsAfterSchema().load(request.args)["after"]
    latest = latest_event_id()

    def answer() -> Response:
        events = events_after(after) if latest > after else []
        return jsonify(
            FeedSchema().dump({"latest": latest, "events": [feed_event(e) for e in events]})
        )

    return unless_seen(f"activity-{latest}", answer)
