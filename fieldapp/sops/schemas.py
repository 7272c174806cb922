"""JSON shapes of SOPs: the editor's document (what a draft holds and POST/PUT take), versions
with their steps, and training rows. The content schema is the one statement of what an SOP
may hold; the editor page sends its document here, so the page and the API say the same."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from fieldapp.photos.schemas import PhotoLinksSchema
from fieldapp.sops.content import (
    MAX_APPLIES_TO,
    MAX_DETAIL,
    MAX_IMAGES_PER_STEP,
    MAX_SOP_STEPS,
    MAX_SUMMARY,
    RANGE_LIMIT,
    SopContent,
    StepText,
)
from fieldapp.sops.models import SOP_CATEGORIES, STEP_KINDS, Sop, SopStep, SopVersion
from fieldapp.wire import Text, Whole, length_of

KIND_MESSAGE = "Kind must be one of: " + ", ".join(STEP_KINDS) + "."
CATEGORY_MESSAGE = "Category must be one of: " + ", ".join(SOP_CATEGORIES) + "."
RANGE_MESSAGE = "Enter a number from {min:,} to {max:,}."


def _bound(**kwargs) -> fields.Float:
    return fields.Float(
        allow_none=True,
        allow_nan=False,
        load_default=None,
        validate=validate.Range(
            -RANGE_LIMIT,
            RANGE_LIMIT,
            error=RANGE_MESSAGE.format(min=-RANGE_LIMIT, max=RANGE_LIMIT),
        ),
        **kwargs,
    )


class StepContentSchema(Schema):
    key = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f-]{36}$")
    )
    title = Text(length_of(SopStep.title), min_length=1, required=True)
    detail = Text(MAX_DETAIL, load_default="")
    kind = fields.String(required=True, validate=validate.OneOf(STEP_KINDS, error=KIND_MESSAGE))
    required = fields.Boolean(load_default=True)
    unit = Text(length_of(SopStep.unit), load_default="")
    min = _bound()
    max = _bound()
    meter = fields.Boolean(load_default=False)
    images = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(
            max=MAX_IMAGES_PER_STEP, error=f"Attach at most {MAX_IMAGES_PER_STEP} images."
        ),
    )

    @validates_schema
    def _measure_only(self, data, **_):
        errors = {}
        if "title" in data and not data["title"].strip():
            errors["title"] = ["Each step needs a title."]
        if data.get("kind") != "measure":
            if data.get("meter"):
                errors["meter"] = ["Only a measure step can be the meter reading."]
            for name in ("min", "max"):
                if data.get(name) is not None:
                    errors[name] = ["Only a measure step has an expected range."]
        low, high = data.get("min"), data.get("max")
        if low is not None and high is not None and low > high:
            errors["min"] = ["The lowest expected value must not be above the highest."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **_):
        return StepText(
            title=data["title"].strip(),
            detail=data["detail"].strip(),
            kind=data["kind"],
            required=data["required"],
            unit=data["unit"].strip(),
            meter=data["meter"],
            min_value=data["min"],
            max_value=data["max"],
            images=tuple(data["images"]),
            key=data["key"],
        )


class SopContentSchema(Schema):
    """An SOP as the editor writes it: what a draft holds and what a version is made from."""

    title = Text(length_of(Sop.title), min_length=1, required=True)
    category = fields.String(
        load_default="repair", validate=validate.OneOf(SOP_CATEGORIES, error=CATEGORY_MESSAGE)
    )
    summary = Text(MAX_SUMMARY, load_default="")
    applies_to = fields.List(
        Text(120, min_length=1),
        load_default=list,
        validate=validate.Length(
            max=MAX_APPLIES_TO, error=f"Name at most {MAX_APPLIES_TO} makes or models."
        ),
    )
    steps = fields.List(
        fields.Nested(StepContentSchema),
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_SOP_STEPS,
            error=f"An SOP needs from 1 to {MAX_SOP_STEPS} steps.",
        ),
    )

    @validates_schema
    def _one_meter(self, data, **_):
        steps = data.get("steps") or []
        if sum(step.meter for step in steps) > 1:
            raise ValidationError({"steps": ["Only one step can be the meter reading."]})
        keys = [step.key for step in steps if step.key]
        if len(keys) != len(set(keys)):
            # A key names one step across versions; two steps sharing it would make "What
            # changed" pair the wrong steps.
            raise ValidationError({"steps": ["Two steps carry the same key; each needs its own."]})
        if "title" in data and not data["title"].strip():
            raise ValidationError({"title": ["Give the SOP a title."]})

    @post_load
    def make(self, data, **_):
        applies = []
        for entry in data["applies_to"]:
            entry = " ".join(entry.split())
            if entry and entry.casefold() not in {a.casefold() for a in applies}:
                applies.append(entry)
        return SopContent(
            title=data["title"].strip(),
            category=data["category"],
            summary=data["summary"].strip(),
            applies_to=tuple(applies),
            steps=tuple(data["steps"]),
        )


class PublishSchema(Schema):
    change_note = Text(length_of(SopVersion.change_note), load_default="")


class SopSummarySchema(Schema):
    slug = fields.String()
    title = fields.String()
    category = fields.String()
    current_version = fields.Integer(allow_none=True)
    retired = fields.Boolean()
    has_draft = fields.Boolean()
    url = fields.String()


class SopListSchema(Schema):
    sops = fields.List(fields.Nested(SopSummarySchema))


class StepOutSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    position = fields.Integer()
    title = fields.String()
    detail = fields.String()
    kind = fields.String()
    required = fields.Boolean()
    unit = fields.String()
    min = fields.Float(allow_none=True, attribute="min_value")
    max = fields.Float(allow_none=True, attribute="max_value")
    meter = fields.Boolean()
    expected = fields.String()
    images = fields.List(fields.Nested(PhotoLinksSchema))


class VersionOutSchema(Schema):
    slug = fields.String()
    title = fields.String()
    category = fields.String()
    summary = fields.String()
    applies_to = fields.List(fields.String())
    number = fields.Integer()
    latest_version = fields.Integer()
    change_note = fields.String()
    published_at = fields.AwareDateTime()
    published_by = fields.String(allow_none=True)
    retired = fields.Boolean()
    url = fields.String()
    steps = fields.List(fields.Nested(StepOutSchema))


class CreatedSopSchema(Schema):
    slug = fields.String()
    url = fields.String()


class DraftOutSchema(Schema):
    slug = fields.String()
    saved_at = fields.AwareDateTime(allow_none=True)
    saved_by = fields.String(allow_none=True)
    # The version the draft will follow (null before the first is published).
    latest_version = fields.Integer(allow_none=True)
    content = fields.Nested(SopContentSchema)


class PublishedSchema(Schema):
    slug = fields.String()
    number = fields.Integer()
    url = fields.String()


class SopStateSchema(Schema):
    slug = fields.String()
    retired = fields.Boolean()
    retired_at = fields.AwareDateTime(allow_none=True)


class TrainingSignoffSchema(Schema):
    slug = fields.String()
    number = fields.Integer()
    signed_at = fields.AwareDateTime()
    created = fields.Boolean()


class TechRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TrainingRowSchema(Schema):
    tech = fields.Nested(TechRefSchema)
    sop = fields.String()
    latest_version = fields.Integer()
    signed_version = fields.Integer(allow_none=True)
    signed_at = fields.AwareDateTime(allow_none=True)
    observed_at = fields.AwareDateTime(allow_none=True)
    state = fields.String()


class TrainingSchema(Schema):
    rows = fields.List(fields.Nested(TrainingRowSchema))


class TrainingQuerySchema(Schema):
    tech = Whole(1, strict=False, load_default=None)
    sop = Text(length_of(Sop.slug), load_default=None, metadata={"description": "SOP slug"})
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ("current", "outdated", "never"), error="State must be current, outdated or never."
        ),
    )
