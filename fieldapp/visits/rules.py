"""The rules a visit must satisfy, written once: the server checks them here, and the same
rules, as data (visit_rules()), travel to the phone in the offline pack and on the visit page,
where static/js/visit-rules.js applies them before the phone says "saved".

Both sides give the same message for the same fault, in the same field (the wire format's
field names: "outcome", "steps.2.value", "parts.0.quantity" ...). What only the server can
know (the plotter was retired, a part deleted, a photo never uploaded) is checked by the
visit service after these rules; that is the only kind of visit that can still be refused.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from fieldapp.equipment.models import MeterReading
from fieldapp.inventory.models import PartReturn
from fieldapp.inventory.services import NO_VAN
from fieldapp.sops.models import SopStep
from fieldapp.visits.models import OUTCOME_LABELS, Visit, VisitErrorCode
from fieldapp.wire import NUL_MESSAGE, TOO_LONG, WHOLE_RANGE, length_of

_NOT_BLANK = re.compile(r"[^ \t\n\r]")

# Bump when a rule or message changes shape: the phone then knows its copy is another version.
RULES_VERSION = 3  # 2: a measure outside its expected range fails its step; 3: part serials

STATUSES_BY_KIND = {
    "check": ("done", "n/a", "skipped"),
    "pass_fail": ("pass", "fail", "n/a", "skipped"),
    "measure": ("done", "fail", "n/a", "skipped"),
    "photo": ("done", "n/a", "skipped"),
}
MAX_SUMMARY = 5000
MAX_NOTE = 2000
MAX_PARTS_PER_LINE = 99
MAX_METER = 10**12 - 1  # a print counter or square feet: never near this
MEASURE_LIMIT = 10**12
MAX_STEPS = 200
MAX_PART_LINES = 50
MAX_PHOTOS = 40
MAX_ERROR_CODES = 20
CLOCK_SKEW = timedelta(minutes=10)

LIMITS = {
    "summary": MAX_SUMMARY,
    "note": MAX_NOTE,
    "meter_note": length_of(MeterReading.note),
    "signoff_name": length_of(Visit.signoff_name),
    "error_code": length_of(VisitErrorCode.code),
    "error_codes": MAX_ERROR_CODES,
    "quantity": [1, MAX_PARTS_PER_LINE],
    "part_serial": length_of(PartReturn.serial),
    "meter": [0, MAX_METER],
    "measure": [-MEASURE_LIMIT, MEASURE_LIMIT],
    "steps": MAX_STEPS,
    "parts": MAX_PART_LINES,
    "photos": MAX_PHOTOS,
    "clock_skew_minutes": int(CLOCK_SKEW.total_seconds() // 60),
}

# {name} is filled in; {name:,} with thousands separators (both sides format it the same way).
MESSAGES = {
    "outcome": "Choose the outcome: " + ", ".join(OUTCOME_LABELS.values()) + ".",
    "finish_before_start": "The visit cannot finish before it started.",
    "finish_in_future": "The finish time is in the future; check the phone's clock.",
    "too_long": TOO_LONG,
    "nul": NUL_MESSAGE,
    "whole_range": WHOLE_RANGE,
    "number_range": "Enter a number from {min:,} to {max:,}.",
    "status_choice": "“{title}” takes one of: {choices}.",
    "required_skipped": "“{title}” is required; it cannot be skipped.",
    "measure_value": "Enter the measured value for “{title}”.",
    "meter_whole": "Enter the meter reading as a whole number.",
    "meter_twice": "The meter step says {step:,} but the meter reading says {reading:,}.",
    "photo_needed": "Take the photo for “{title}”.",
    # Said at once on the phone, beside a measure typed outside its expected range.
    "out_of_range": "{value} is outside the expected {expected}: this step failed.",
    "follow_up_needs_fail": "Only a failed step can raise a follow-up job.",
    "required_missing": "Required steps not done: {steps}",
    "step_twice": "A step appears twice.",
    "procedure_required": (
        "A {kind} job follows the company's procedure: start the visit with its SOP, not as "
        "a quick visit."
    ),
    "meter_lower": (
        "The reading is lower than the last one ({last:,}). Check it, or add a note saying "
        "why (e.g. counter reset after a formatter swap)."
    ),
    "too_many": "Attach at most {max} here.",
    # Checked by the visit service (it knows the van); the phone knows from its pack.
    "no_van": NO_VAN,
    # Read from the form, before the rules (the server's form reader says the same).
    "not_a_number": "“{value}” is not a number.",
    "no_time": "Enter a date and time.",
}


def blank(text: str) -> bool:
    """Nothing but spaces, tabs and line breaks (the phone's test is the same characters)."""
    return not _NOT_BLANK.search(text or "")


def message(key: str, **values) -> str:
    return MESSAGES[key].format(**values)


def measured_label(value: float, unit: str = "") -> str:
    """A measured value as the phone writes it (measuredLabel()): 3.2 N, 1,250 sq ft."""
    number = f"{value:,.10f}".rstrip("0").rstrip(".")
    return f"{number} {unit}" if unit else number


def range_note(value: float, unit: str, expected: str) -> str:
    """What the form says of a measure outside its range (the phone's rangeNote())."""
    return message("out_of_range", value=measured_label(value, unit), expected=expected)


@dataclass(frozen=True)
class StepRule:
    """What the rules need to know of one SOP step."""

    id: int
    position: int
    title: str
    kind: str
    required: bool
    meter: bool = False
    min_value: float | None = None  # a measure's expected range: outside it, the step failed
    max_value: float | None = None

    @classmethod
    def of(cls, step: SopStep) -> StepRule:
        return cls(
            step.id,
            step.position,
            step.title,
            step.kind,
            step.required,
            step.meter,
            step.min_value,
            step.max_value,
        )

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "position": self.position,
            "title": self.title,
            "kind": self.kind,
            "required": self.required,
            "meter": self.meter,
            "min": self.min_value,
            "max": self.max_value,
        }

    def out_of_range(self, value: float | None) -> bool:
        """A measured value outside the expected range (the phone's outOfRange() agrees)."""
        if value is None or self.kind != "measure":
            return False
        return (self.min_value is not None and value < self.min_value) or (
            self.max_value is not None and value > self.max_value
        )


def recorded_status(step: StepRule | None, status: str, value: float | None) -> str:
    """The status a step result is kept with: a measure done with a value outside its range
    failed, whatever the phone sent (one that predates the range cannot lose the visit)."""
    if step is not None and status == "done" and step.out_of_range(value):
        return "fail"
    return status


@dataclass(frozen=True)
class Context:
    """What a visit is checked against: its procedure's steps, the job's kind, the plotter's
    last meter reading, and the time now."""

    steps: tuple[StepRule, ...] = ()  # every step of the SOP version the visit follows
    job_kind: str | None = None
    procedure_kinds: tuple[str, ...] = ()
    last_meter: int | None = None
    now: datetime | None = None


@dataclass
class Given:
    """The parts of a visit the rules read (a VisitInput, or the phone's payload)."""

    outcome: str
    started_at: datetime
    finished_at: datetime
    summary: str = ""
    meter_reading: int | None = None
    meter_note: str = ""
    signoff_name: str = ""
    error_codes: list[str] = field(default_factory=list)
    steps: list = field(default_factory=list)  # StepInput-like: step_id, status, value ...
    parts: list = field(default_factory=list)  # PartInput-like: quantity, serial
    photos: list[uuid.UUID] = field(default_factory=list)

    @classmethod
    def of(cls, visit) -> Given:
        """The fields the rules read, taken from anything that has them (a VisitInput)."""
        return cls(**{name.name: getattr(visit, name.name) for name in fields(cls)})


def visit_rules(procedure_kinds: tuple[str, ...]) -> dict:
    """The rules as data, for the phone (the pack) and the visit page."""
    return {
        "version": RULES_VERSION,
        "limits": LIMITS,
        "messages": MESSAGES,
        "outcomes": list(OUTCOME_LABELS),
        "statuses": {kind: list(choices) for kind, choices in STATUSES_BY_KIND.items()},
        "procedure_kinds": list(procedure_kinds),
    }


def meter_from_steps(given: Given, steps: tuple[StepRule, ...]) -> int | None:
    """The meter reading the procedure's meter step gives (None when it gives none)."""
    meter_ids = {step.id for step in steps if step.meter}
    for result in given.steps:
        if result.step_id in meter_ids and result.status == "done" and result.value is not None:
            value = result.value
            return int(value) if float(value).is_integer() else None
    return None


def check_visit(given: Given, context: Context) -> dict[str, list[str]]:
    """Every fault of the visit by field, each with the message the phone shows too."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, text: str) -> None:
        errors.setdefault(name, []).append(text)

    def no_longer(name: str, value: str, limit: int) -> None:
        text_fits(name, value, limit, fail)

    if given.outcome not in OUTCOME_LABELS:
        fail("outcome", message("outcome"))
    if given.finished_at < given.started_at:
        fail("finished_at", message("finish_before_start"))
    elif context.now is not None and given.finished_at > context.now + CLOCK_SKEW:
        fail("finished_at", message("finish_in_future"))
    no_longer("summary", given.summary, MAX_SUMMARY)
    no_longer("meter_note", given.meter_note, LIMITS["meter_note"])
    no_longer("signoff.name", given.signoff_name, LIMITS["signoff_name"])
    if len(given.error_codes) > MAX_ERROR_CODES:
        fail("error_codes", message("too_many", max=MAX_ERROR_CODES))
    for index, code in enumerate(given.error_codes):
        no_longer(f"error_codes.{index}", code, LIMITS["error_code"])
    if len(given.photos) > MAX_PHOTOS:
        fail("photos", message("too_many", max=MAX_PHOTOS))
    if len(given.parts) > MAX_PART_LINES:
        fail("parts", message("too_many", max=MAX_PART_LINES))
    for index, line in enumerate(given.parts):
        if not 1 <= line.quantity <= MAX_PARTS_PER_LINE:
            fail(f"parts.{index}.quantity", message("whole_range", min=1, max=MAX_PARTS_PER_LINE))
        no_longer(f"parts.{index}.serial", line.serial, LIMITS["part_serial"])
    _check_steps(given, context, fail)
    _check_meter(given, context, fail)
    return errors


def text_fits(name: str, value: str, limit: int, fail) -> None:
    """A typed text: within its length, and without the NUL character no database stores."""
    if len(value) > limit:
        fail(name, message("too_long", max=limit))
    if "\x00" in value:
        fail(name, message("nul"))


def _check_steps(given: Given, context: Context, fail) -> None:
    by_id = {step.id: step for step in context.steps}
    if not context.steps and context.job_kind in context.procedure_kinds:
        fail("steps", message("procedure_required", kind=context.job_kind.replace("_", " ")))
    if len(given.steps) > MAX_STEPS:
        fail("steps", message("too_many", max=MAX_STEPS))
    ids = [result.step_id for result in given.steps]
    if len(set(ids)) != len(ids):
        fail("steps", message("step_twice"))
    for index, result in enumerate(given.steps):
        step = by_id.get(result.step_id)
        where = f"steps.{index}"
        text_fits(f"{where}.note", result.note or "", MAX_NOTE, fail)
        if result.value is not None and not -MEASURE_LIMIT <= result.value <= MEASURE_LIMIT:
            fail(f"{where}.value", message("number_range", min=-MEASURE_LIMIT, max=MEASURE_LIMIT))
        if result.follow_up and recorded_status(step, result.status, result.value) != "fail":
            fail(f"{where}.follow_up", message("follow_up_needs_fail"))
        if step is None:
            continue  # a step of another procedure: the service names it
        choices = STATUSES_BY_KIND[step.kind]
        if result.status not in choices:
            fail(
                f"{where}.status",
                message("status_choice", title=step.title, choices=", ".join(choices)),
            )
        elif result.status == "skipped" and step.required:
            fail(f"{where}.status", message("required_skipped", title=step.title))
        if step.kind == "measure" and result.status in ("done", "fail"):
            if result.value is None:
                fail(f"{where}.value", message("measure_value", title=step.title))
            elif step.meter and not (
                float(result.value).is_integer() and 0 <= result.value <= MAX_METER
            ):
                fail(f"{where}.value", message("meter_whole"))
        if step.kind == "photo" and result.status == "done" and result.photo_id is None:
            fail(f"{where}.photo", message("photo_needed", title=step.title))
    done = {r.step_id for r in given.steps if r.status != "skipped"}
    missing = [
        f"{step.position}. {step.title}"
        for step in context.steps
        if step.required and step.id not in done
    ]
    if missing:
        fail("steps", message("required_missing", steps="; ".join(missing)))


def _check_meter(given: Given, context: Context, fail) -> None:
    reading = given.meter_reading
    from_step = meter_from_steps(given, context.steps)
    if reading is not None and from_step is not None and reading != from_step:
        fail("meter_reading", message("meter_twice", step=from_step, reading=reading))
        return
    reading = reading if reading is not None else from_step
    if reading is None:
        return
    if not 0 <= reading <= MAX_METER:
        fail("meter_reading", message("whole_range", min=0, max=MAX_METER))
    elif (
        context.last_meter is not None and reading < context.last_meter and blank(given.meter_note)
    ):
        fail("meter_note", message("meter_lower", last=context.last_meter))
