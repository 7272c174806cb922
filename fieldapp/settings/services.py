"""Reading and changing the company's settings; every change is in the activity feed."""

from __future__ import annotations

from dataclasses import dataclass

from fieldapp.activity.services import record_event
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import JOB_KINDS
from fieldapp.settings.models import Setting

# Repairs and preventive maintenance follow the company's procedure; an install or an
# inspection may be logged as a quick visit.
DEFAULT_PROCEDURE_KINDS = ("repair", "preventive")
FOLLOW_UP_CHOICES = {
    "same_tech": "The tech who found it (they know the plotter)",
    "office": "The office, to assign",
}
KIND_LABELS = {
    "repair": "Repair",
    "preventive": "Preventive maintenance",
    "install": "Installation",
    "inspection": "Inspection",
}


@dataclass(frozen=True)
class VisitSettings:
    procedure_kinds: tuple[str, ...]  # job kinds whose visits must follow a procedure
    follow_up_to: str  # who a follow-up job goes to: "same_tech" or "office"


def _value(key: str, default):
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def visit_settings() -> VisitSettings:
    kinds = _value("visits.procedure_kinds", list(DEFAULT_PROCEDURE_KINDS))
    return VisitSettings(
        procedure_kinds=tuple(kind for kind in JOB_KINDS if kind in kinds),
        follow_up_to=_value("jobs.follow_up_to", "same_tech"),
    )


def _put(key: str, value, actor_id: int | None) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_by_id=actor_id))
    else:
        row.value, row.updated_by_id = value, actor_id


def change_visit_settings(
    *, procedure_kinds: list[str], follow_up_to: str, actor_id: int
) -> VisitSettings:
    """Save which job kinds need a procedure and where follow-up jobs go (flush only)."""
    unknown = [kind for kind in procedure_kinds if kind not in JOB_KINDS]
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["procedure_kinds"] = [f"Unknown job kind: {', '.join(unknown)}."]
    if follow_up_to not in FOLLOW_UP_CHOICES:
        errors["follow_up_to"] = ["Choose who gets follow-up jobs."]
    if errors:
        raise Invalid("Some settings need attention.", errors)
    before = visit_settings()
    kinds = [kind for kind in JOB_KINDS if kind in procedure_kinds]
    _put("visits.procedure_kinds", kinds, actor_id)
    _put("jobs.follow_up_to", follow_up_to, actor_id)
    after = VisitSettings(tuple(kinds), follow_up_to)
    if after != before:
        needing = ", ".join(KIND_LABELS[kind].lower() for kind in kinds) or "no job kind"
        record_event(
            "settings.changed",
            "settings",
            "visits",
            f"Visit settings: a procedure is required for {needing}; follow-up jobs go to "
            f"{'the same tech' if follow_up_to == 'same_tech' else 'the office'}",
            actor_id=actor_id,
        )
    return after
