"""JSON shapes of visits and photos at the API edge (the wire format of DESIGN.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, post_load, validate

from fieldapp.equipment.models import MeterReading
from fieldapp.equipment.tokens import CODE_LENGTH
from fieldapp.inventory.models import Part, PartReturn
from fieldapp.jobs.models import JOB_NUMBER_LENGTH
from fieldapp.visits.models import OUTCOMES, STEP_STATUSES, Visit, VisitErrorCode
from fieldapp.visits.rules import (
    MAX_ERROR_CODES,
    MAX_METER,
    MAX_NOTE,
    MAX_PART_LINES,
    MAX_PARTS_PER_LINE,
    MAX_PHOTOS,
    MAX_STEPS,
    MAX_SUMMARY,
    MEASURE_LIMIT,
    MESSAGES,
)
from fieldapp.visits.services import PartInput, StepInput, VisitInput
from fieldapp.wire import Id, Instant, Text, Whole, length_of


class StepInputSchema(Schema):
    step = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STEP_STATUSES))
    value = fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(-MEASURE_LIMIT, MEASURE_LIMIT, error=MESSAGES["number_range"]),
    )
    note = Text(MAX_NOTE, load_default="")
    photo = fields.UUID(load_default=None, allow_none=True)
    at = Instant(load_default=None, allow_none=True)
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
    sku = Text(length_of(Part.sku), min_length=1, required=True)
    quantity = Whole(1, MAX_PARTS_PER_LINE, required=True)
    source = fields.String(
        data_key="from", load_default="van", validate=validate.OneOf(["van", "warehouse"])
    )
    defective = fields.Boolean(
        load_default=False,
        metadata={"description": "the part taken out is defective and goes back to the supplier"},
    )
    serial = Text(
        length_of(PartReturn.serial),
        load_default="",
        metadata={"description": "serial number of the defective part taken out"},
    )

    @post_load
    def make(self, data, **_):
        return PartInput(
            sku=data["sku"],
            quantity=data["quantity"],
            source=data["source"],
            defective=data["defective"],
            serial=data["serial"].strip(),
        )


class SignoffSchema(Schema):
    name = Text(length_of(Visit.signoff_name), load_default="")
    signature = fields.UUID(load_default=None, allow_none=True)


class VisitInputSchema(Schema):
    """A complete visit. The tech is the signed-in user: a tech field is refused."""

    id = fields.UUID(required=True)
    equipment = Text(CODE_LENGTH, min_length=1, required=True)
    job = Text(JOB_NUMBER_LENGTH, load_default=None, allow_none=True)
    started_at = Instant(required=True)
    finished_at = Instant(required=True)
    outcome = fields.String(
        required=True, validate=validate.OneOf(OUTCOMES, error=MESSAGES["outcome"])
    )
    summary = Text(MAX_SUMMARY, load_default="")
    error_codes = fields.List(
        Text(length_of(VisitErrorCode.code)),
        load_default=list,
        validate=validate.Length(max=MAX_ERROR_CODES, error=MESSAGES["too_many"]),
    )
    meter_reading = Whole(0, MAX_METER, load_default=None, allow_none=True)
    meter_note = Text(length_of(MeterReading.note), load_default="")
    steps = fields.List(
        fields.Nested(StepInputSchema),
        load_default=list,
        validate=validate.Length(max=MAX_STEPS, error=MESSAGES["too_many"]),
    )
    parts = fields.List(
        fields.Nested(PartInputSchema),
        load_default=list,
        validate=validate.Length(max=MAX_PART_LINES, error=MESSAGES["too_many"]),
    )
    photos = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=MAX_PHOTOS, error=MESSAGES["too_many"]),
    )
    signoff = fields.Nested(SignoffSchema, load_default=None, allow_none=True)
    sop_version = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "the SOP version followed (read from the steps when any)"},
    )

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
            sop_version=data["sop_version"],
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
