"""JSON shapes of visits and photos at the API edge (the wire format of DESIGN.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, post_load, validate

from fieldapp.visits.models import OUTCOMES, STEP_STATUSES
from fieldapp.visits.services import PartInput, StepInput, VisitInput


class StepInputSchema(Schema):
    step = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STEP_STATUSES))
    value = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    photo = fields.UUID(load_default=None, allow_none=True)
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    follow_up = fields.Boolean(load_default=False)

    @post_load
    def make(self, data, **_):
        return StepInput(
            step_id=data["step"],
            status=data["status"],
            value=data["value"],
            note=data["note"],
            photo_id=data["photo"],
            at=data["at"],
            follow_up=data["follow_up"],
        )


class PartInputSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=99))
    source = fields.String(
        data_key="from", load_default="van", validate=validate.OneOf(["van", "warehouse"])
    )

    @post_load
    def make(self, data, **_):
        return PartInput(sku=data["sku"], quantity=data["quantity"], source=data["source"])


class SignoffSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=120))
    signature = fields.UUID(load_default=None, allow_none=True)


class VisitInputSchema(Schema):
    """A complete visit. The tech is the signed-in user: a tech field is refused."""

    id = fields.UUID(required=True)
    equipment = fields.String(required=True, validate=validate.Length(min=1, max=40))
    job = fields.String(load_default=None, allow_none=True)
    started_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    error_codes = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    meter_reading = fields.Integer(load_default=None, allow_none=True)
    meter_note = fields.String(load_default="", validate=validate.Length(max=300))
    steps = fields.List(fields.Nested(StepInputSchema), load_default=list)
    parts = fields.List(fields.Nested(PartInputSchema), load_default=list)
    photos = fields.List(fields.UUID(), load_default=list)
    signoff = fields.Nested(SignoffSchema, load_default=None, allow_none=True)

    @post_load
    def make(self, data, **_):
        signoff = data["signoff"] or {"name": "", "signature": None}
        return VisitInput(
            id=data["id"],
            equipment=data["equipment"],
            job=data["job"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            outcome=data["outcome"],
            summary=data["summary"],
            error_codes=data["error_codes"],
            meter_reading=data["meter_reading"],
            meter_note=data["meter_note"],
            steps=data["steps"],
            parts=data["parts"],
            photos=data["photos"],
            signoff_name=signoff["name"],
            signature=signoff["signature"],
        )


class VisitResultSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    outcome = fields.String()
    equipment = fields.String(metadata={"description": "QR token of the plotter"})
    job = fields.String(allow_none=True)
    job_status = fields.String(allow_none=True)
    job_note = fields.String()
    follow_up_jobs = fields.List(fields.String())
    duplicate = fields.Boolean()


class PhotoSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    url = fields.String()
    thumbnail_url = fields.String()
