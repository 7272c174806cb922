"""Publishing SOP versions and finding the current one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.activity.services import record_event
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.sops.models import SOP_CATEGORIES, STEP_KINDS, Sop, SopStep, SopVersion


@dataclass(frozen=True)
class StepText:
    title: str
    detail: str
    kind: str
    required: bool = True
    unit: str = ""
    meter: bool = False  # its value is the plotter's meter reading


def publish_sop_version(
    slug: str,
    *,
    title: str,
    category: str,
    summary: str,
    steps: Iterable[StepText],
    change_note: str,
    author_id: int | None,
) -> SopVersion:
    """Publish the next version of an SOP (creating the SOP on its first version).

    Published versions are never edited: visits point at the exact steps they followed.
    """
    steps = list(steps)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Give the SOP a title."]
    if category not in SOP_CATEGORIES:
        errors["category"] = [f"Category must be one of: {', '.join(SOP_CATEGORIES)}."]
    if not steps:
        errors["steps"] = ["An SOP needs at least one step."]
    for index, step in enumerate(steps, start=1):
        if step.kind not in STEP_KINDS:
            errors[f"steps.{index}.kind"] = [f"Kind must be one of: {', '.join(STEP_KINDS)}."]
        if not step.title.strip():
            errors[f"steps.{index}.title"] = ["Each step needs a title."]
        if step.meter and step.kind != "measure":
            errors[f"steps.{index}.meter"] = ["Only a measure step can be the meter reading."]
    if sum(step.meter for step in steps) > 1:
        errors["steps"] = ["Only one step can be the meter reading."]
    if errors:
        raise Invalid("The SOP is not complete.", errors)

    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == slug))
    if sop is None:
        sop = Sop(slug=slug, title=title, category=category, summary=summary)
        db.session.add(sop)
        db.session.flush()
        number = 1
    else:
        sop.title, sop.category, sop.summary = title, category, summary
        number = (
            db.session.scalar(
                sa.select(sa.func.max(SopVersion.number)).where(SopVersion.sop_id == sop.id)
            )
            or 0
        ) + 1
    version = SopVersion(sop_id=sop.id, number=number, change_note=change_note, author_id=author_id)
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        SopStep(
            version_id=version.id,
            position=position,
            title=step.title.strip(),
            detail=step.detail.strip(),
            kind=step.kind,
            required=step.required,
            unit=step.unit,
            meter=step.meter,
        )
        for position, step in enumerate(steps, start=1)
    )
    record_event(
        "sop.published",
        "sop",
        sop.slug,
        f"Published {sop.title} v{number}",
        actor_id=author_id,
    )
    return version


def current_versions() -> list[SopVersion]:
    """The latest published version of every active SOP, with steps, ordered by category."""
    latest = (
        sa.select(SopVersion.sop_id, sa.func.max(SopVersion.number).label("number"))
        .group_by(SopVersion.sop_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            sa.select(SopVersion)
            .join(
                latest,
                sa.and_(SopVersion.sop_id == latest.c.sop_id, SopVersion.number == latest.c.number),
            )
            .join(Sop)
            .where(Sop.active)
            .options(selectinload(SopVersion.steps), selectinload(SopVersion.sop))
            .order_by(Sop.category, Sop.title)
        )
    )


def version_by_id(version_id: int) -> SopVersion | None:
    return db.session.get(SopVersion, version_id)


def version_of(slug: str, number: int | None = None) -> SopVersion | None:
    """A given version of an SOP, or its current one."""
    query = (
        sa.select(SopVersion)
        .join(Sop)
        .where(Sop.slug == slug)
        .options(selectinload(SopVersion.steps), selectinload(SopVersion.sop))
    )
    if number is None:
        query = query.order_by(SopVersion.number.desc()).limit(1)
    else:
        query = query.where(SopVersion.number == number)
    return db.session.scalar(query)


# The SOP a job's kind calls for, by category.
CATEGORY_FOR_JOB_KIND = {
    "repair": "repair",
    "preventive": "preventive",
    "install": "repair",
    "inspection": "preventive",
}


def suggested_version(job_kind: str | None, versions: list[SopVersion]) -> SopVersion | None:
    """The current SOP a visit for this kind of job should follow (repair when unknown)."""
    category = CATEGORY_FOR_JOB_KIND.get(job_kind or "repair", "repair")
    for version in versions:
        if version.sop.category == category:
            return version
    return None
