"""Visits over the API: the same service as the pages, idempotent on the client's visit id."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import TECH, allow
from fieldapp.unit_of_work import in_unit_of_work
from fieldapp.visits.schemas import VisitInputSchema, VisitResultSchema
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
    errors=(403, 409),
    tag="visits",
)
def create_visit():
    """Record a visit with its steps, parts, photos and sign-off. Sending the same visit id
    again answers 200 with duplicate=true and writes nothing."""
    data = load_json(VisitInputSchema())
    recorded = in_unit_of_work(lambda: record_visit(data, tech=current_user, source="api"))
    return jsonify(visit_result(recorded)), (200 if recorded.duplicate else 201)
