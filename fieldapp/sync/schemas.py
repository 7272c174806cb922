"""The sync envelope and the payload of each op type (the wire format of DESIGN.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldapp.equipment.models import Equipment
from fieldapp.equipment.tokens import CODE_LENGTH
from fieldapp.jobs.models import JOB_NUMBER_LENGTH, JOB_STATUSES
from fieldapp.messages.schemas import MessageInputSchema, ReadMarkSchema
from fieldapp.sops.models import Sop
from fieldapp.wire import Id, Instant, Text, Whole, length_of

MAX_OPS = 1000


class OpSchema(Schema):
    id = fields.UUID(required=True)
    type = Text(32, min_length=1, required=True)
    payload = fields.Dict(required=True)


class SyncRequestSchema(Schema):
    ops = fields.List(fields.Nested(OpSchema), required=True, validate=validate.Length(max=MAX_OPS))


class OpResultSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": ["applied", "duplicate", "rejected"]})
    reason = fields.String()
    fields_ = fields.Dict(data_key="fields")
    data = fields.Dict(metadata={"description": "what an applied op led to (a visit's job)"})


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema))


class VisitStartSchema(Schema):
    id = fields.UUID(required=True)
    equipment = Text(CODE_LENGTH, min_length=1, required=True)
    job = Text(JOB_NUMBER_LENGTH, load_default=None, allow_none=True)
    sop = Text(
        length_of(Sop.slug),
        load_default=None,
        allow_none=True,
        metadata={"description": "SOP slug"},
    )
    version = Whole(
        1,
        load_default=None,
        allow_none=True,
        metadata={"description": "the SOP version the phone shows (absent: the current one)"},
    )
    started_at = Instant(required=True)


class JobStatusSchema(Schema):
    job = Text(JOB_NUMBER_LENGTH, min_length=1, required=True)
    status = fields.String(required=True, validate=validate.OneOf(JOB_STATUSES))
    at = Instant(load_default=None, allow_none=True)
    reason = Text(300, load_default="")


class OnTheWaySchema(Schema):
    job = Text(JOB_NUMBER_LENGTH, min_length=1, required=True)
    at = Instant(load_default=None, allow_none=True)


class MessagePostSchema(MessageInputSchema):
    job = Text(JOB_NUMBER_LENGTH, min_length=1, required=True)


class ThreadReadSchema(ReadMarkSchema):
    job = Text(JOB_NUMBER_LENGTH, min_length=1, required=True)


class NewEquipmentSchema(Schema):
    customer_id = Id(required=True)
    make = Text(length_of(Equipment.make), required=True)
    model = Text(length_of(Equipment.model), required=True)
    serial_number = Text(length_of(Equipment.serial_number), required=True)
    location_note = Text(length_of(Equipment.location_note), load_default="")


class LabelClaimSchema(Schema):
    token = Text(CODE_LENGTH, min_length=1, required=True)
    equipment_id = Id(load_default=None, allow_none=True)
    new_equipment = fields.Nested(NewEquipmentSchema, load_default=None, allow_none=True)


class PhotoDiscardSchema(Schema):
    """Photos the phone uploaded and no longer needs (taken off a visit, or its visit
    discarded); those already part of something are kept."""

    photos = fields.List(fields.UUID(), required=True, validate=validate.Length(max=100))


class VisitRefSchema(Schema):
    id = fields.UUID(required=True)


class SopSignoffSchema(Schema):
    """The tech read and understood a version of an SOP (on the phone, perhaps offline)."""

    sop = Text(
        length_of(Sop.slug), min_length=1, required=True, metadata={"description": "SOP slug"}
    )
    version = Whole(1, required=True, metadata={"description": "version number"})
    at = Instant(load_default=None, allow_none=True, metadata={"description": "when signed"})


class PackQuerySchema(Schema):
    """The pack's query: the cursor of the pack the phone holds (documentation only: the
    view reads it itself, a malformed one being a 400)."""

    since = fields.String(
        metadata={
            "description": "the cursor of the last pack received: answers only what changed "
            'since ("delta": true), or a full pack when it is too old ("delta": false)'
        }
    )
