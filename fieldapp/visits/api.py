"""Visits and photos over the API: the same services as the pages, idempotent on client ids."""

from __future__ import annotations

import uuid

from flask import jsonify, request, url_for
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import STAFF, TECH, allow
from fieldapp.visits.photos import put_photo
from fieldapp.visits.schemas import PhotoSchema, VisitInputSchema, VisitResultSchema
from fieldapp.visits.services import Recorded, record_visit


def visit_result(recorded: Recorded) -> dict:
    visit = recorded.visit
    return VisitResultSchema().dump(
        {
            "id": visit.id,
            "status": visit.status,
            "outcome": visit.outcome,
            "equipment": visit.equipment.qr_token,
            "job": visit.job.number if visit.job else None,
            "job_status": visit.job.status if visit.job else None,
            "job_note": recorded.job_note,
            "follow_up_jobs": [job.number for job in recorded.follow_up_jobs],
            "duplicate": recorded.duplicate,
        }
    )


@api.post("/visits")
@allow(TECH)
@documented(
    "Record a complete visit",
    body=VisitInputSchema,
    response=VisitResultSchema,
    status=201,
    tag="visits",
)
def create_visit():
    """Record a visit with its steps, parts, photos and sign-off. Sending the same visit id
    again answers 200 with duplicate=true and writes nothing."""
    data = load_json(VisitInputSchema())
    recorded = record_visit(data, tech=current_user, source="api")
    return jsonify(visit_result(recorded)), (200 if recorded.duplicate else 201)


@api.put("/photos/<uuid:photo_id>")
@allow(STAFF)
@documented("Upload a photo under a client-made id", response=PhotoSchema, tag="visits")
def upload_photo(photo_id: uuid.UUID):
    """The body is the image itself (JPEG or PNG); `?kind=signature` for a sign-off. Sending
    the same id again answers 200 and stores nothing new."""
    photo, created = put_photo(
        photo_id,
        request.get_data(cache=False),
        kind=request.args.get("kind", "photo"),
        uploaded_by_id=current_user.id,
    )
    body = PhotoSchema().dump(
        {
            "id": photo.id,
            "kind": photo.kind,
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
            "url": url_for("visits.photo", photo_id=photo.id),
            "thumbnail_url": url_for("visits.photo", photo_id=photo.id, size="thumb"),
        }
    )
    return jsonify(body), (201 if created else 200)
