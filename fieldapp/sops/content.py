"""What an SOP says, as plain values: the editor's document, a draft, a published version's
text. The schemas load it from JSON, the services store it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fieldapp.sops.models import SopStep, SopVersion

MAX_SOP_STEPS = 200
MAX_DETAIL = 5000
MAX_SUMMARY = 2000
MAX_APPLIES_TO = 20
MAX_IMAGES_PER_STEP = 6
RANGE_LIMIT = 10**12
NO_CHANGES = "Nothing has changed since the last version: there is nothing to publish."


@dataclass(frozen=True)
class StepText:
    title: str
    detail: str
    kind: str
    required: bool = True
    unit: str = ""
    meter: bool = False  # its value is the plotter's meter reading
    min_value: float | None = None
    max_value: float | None = None
    images: tuple[uuid.UUID, ...] = ()
    key: str | None = None  # the same step in the version before; None for a new step

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "detail": self.detail,
            "kind": self.kind,
            "required": self.required,
            "unit": self.unit,
            "min": self.min_value,
            "max": self.max_value,
            "meter": self.meter,
            "images": [str(image) for image in self.images],
        }

    @classmethod
    def of(cls, step: SopStep) -> StepText:
        return cls(
            title=step.title,
            detail=step.detail,
            kind=step.kind,
            required=step.required,
            unit=step.unit,
            meter=step.meter,
            min_value=step.min_value,
            max_value=step.max_value,
            images=tuple(image.photo_id for image in step.images),
            key=step.key,
        )

    @classmethod
    def from_json(cls, data: dict) -> StepText:
        return cls(
            title=data["title"],
            detail=data["detail"],
            kind=data["kind"],
            required=data["required"],
            unit=data["unit"],
            meter=data["meter"],
            min_value=data["min"],
            max_value=data["max"],
            images=tuple(uuid.UUID(image) for image in data["images"]),
            key=data["key"],
        )


@dataclass(frozen=True)
class SopContent:
    """What an SOP says: the editor's document, a draft, or a published version."""

    title: str
    category: str
    summary: str = ""
    applies_to: tuple[str, ...] = ()
    steps: tuple[StepText, ...] = field(default_factory=tuple)

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "category": self.category,
            "summary": self.summary,
            "applies_to": list(self.applies_to),
            "steps": [step.as_json() for step in self.steps],
        }

    @classmethod
    def from_json(cls, data: dict) -> SopContent:
        return cls(
            title=data["title"],
            category=data["category"],
            summary=data["summary"],
            applies_to=tuple(data["applies_to"]),
            steps=tuple(StepText.from_json(step) for step in data["steps"]),
        )

    @classmethod
    def of(cls, version: SopVersion) -> SopContent:
        """The content of a published version (the SOP's title and summary as they are now)."""
        sop = version.sop
        return cls(
            title=sop.title,
            category=sop.category,
            summary=sop.summary,
            applies_to=tuple(sop.applies_to or ()),
            steps=tuple(StepText.of(step) for step in version.steps),
        )
