"""The sync envelope and the payload of each op type (the wire format of DESIGN.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldapp.jobs.models import JOB_STATUSES

MAX_OPS = 1000


class OpSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    payload = fields.Dict(required=True)


class SyncRequestSchema(Schema):
    ops = fields.List(fields.Nested(OpSchema), required=True, validate=validate.Length(max=MAX_OPS))


class OpResultSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": ["applied", "duplicate", "rejected"]})
    reason = fields.String()
    fields_ = fields.Dict(data_key="fields")


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema))


class VisitStartSchema(Schema):
    id = fields.UUID(required=True)
    equipment = fields.String(required=True, validate=validate.Length(min=1, max=40))
    job = fields.String(load_default=None, allow_none=True)
    sop = fields.String(load_default=None, allow_none=True, metadata={"description": "SOP slug"})
    started_at = fields.AwareDateTime(required=True)


class JobStatusSchema(Schema):
    job = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(JOB_STATUSES))
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class MessagePostSchema(Schema):
    id = fields.UUID(required=True)
    job = fields.String(required=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    photos = fields.List(fields.UUID(), load_default=list)


class NewEquipmentSchema(Schema):
    customer_id = fields.Integer(required=True)
    make = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(required=True)
    location_note = fields.String(load_default="")


class LabelClaimSchema(Schema):
    token = fields.String(required=True)
    equipment_id = fields.Integer(load_default=None, allow_none=True)
    new_equipment = fields.Nested(NewEquipmentSchema, load_default=None, allow_none=True)
