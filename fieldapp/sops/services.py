"""Writing SOPs (a draft saved as you go, published as immutable versions, retired) and
reading their versions. Who has signed off which version is fieldapp/training's."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from fieldapp.activity.services import record_event
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.sops.content import NO_CHANGES, SopContent, StepText
from fieldapp.sops.models import (
    Sop,
    SopDraft,
    SopStep,
    SopStepImage,
    SopVersion,
)
from fieldapp.sops.schemas import SopContentSchema
from fieldapp.wire import flat_messages

# --- writing -------------------------------------------------------------------------------


# Addresses under /sops/ that are pages, not SOPs (/sops/new is the editor for a new one).
RESERVED_SLUGS = frozenset({"new"})


def slug_for(title: str) -> str:
    """A URL name made from the title, unique among SOPs ("belt-replacement-2" if taken)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:70] or "sop"
    if base in RESERVED_SLUGS:
        base = f"{base}-sop"
    taken = set(db.session.scalars(sa.select(Sop.slug).where(Sop.slug.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_sop(content: SopContent, *, author_id: int | None, slug: str | None = None) -> Sop:
    """A new SOP with its first draft (nothing is published until the author says so)."""
    _check_images(content)
    sop = Sop(
        slug=slug or slug_for(content.title),
        title=content.title,
        category=content.category,
        summary=content.summary,
        applies_to=list(content.applies_to),
    )
    db.session.add(sop)
    db.session.flush()
    sop.draft = SopDraft(content=_keyed(content).as_json(), updated_by_id=author_id)
    record_event("sop.created", "sop", sop.id, f"New SOP {sop.title}", actor_id=author_id)
    db.session.flush()
    return sop


def save_draft(sop: Sop, content: SopContent, *, author_id: int | None) -> SopDraft:
    """Replace the SOP's draft with what the editor holds now (published versions stay)."""
    _check_images(content)
    content = _keyed(content)
    draft = sop.draft
    if draft is None:
        draft = sop.draft = SopDraft(content=content.as_json())
    else:
        draft.content = content.as_json()
    draft.updated_at = utcnow()
    draft.updated_by_id = author_id
    db.session.flush()
    return draft


def draft_content(sop: Sop) -> SopContent | None:
    """What the editor opens: the draft, else the current version's text, else nothing."""
    if sop.draft is not None:
        return SopContent.from_json(sop.draft.content)
    latest = sop.versions[-1] if sop.versions else None
    return SopContent.of(latest) if latest is not None else None


def discard_draft(sop: Sop) -> None:
    """Throw the draft away; the SOP reads as its current version again."""
    if sop.draft is not None and sop.versions:
        db.session.delete(sop.draft)
        db.session.flush()


def publish_draft(sop: Sop, *, change_note: str, author_id: int | None) -> SopVersion:
    """Publish the draft as the next version, immutable from now on; the draft is used up.

    A draft that says exactly what the current version says is refused: a version is a change.
    """
    content = draft_content(sop) if sop.draft is not None else None
    latest = sop.versions[-1] if sop.versions else None
    if content is None or (latest is not None and content == SopContent.of(latest)):
        raise Invalid.field("draft", NO_CHANGES)
    _check_images(content)
    number = (latest.number if latest else 0) + 1
    sop.title, sop.category, sop.summary = content.title, content.category, content.summary
    sop.applies_to = list(content.applies_to)
    version = SopVersion(
        sop_id=sop.id, number=number, change_note=change_note.strip(), author_id=author_id
    )
    db.session.add(version)
    db.session.flush()
    for position, text in enumerate(content.steps, start=1):
        step = SopStep(
            version_id=version.id,
            key=text.key or str(uuid.uuid4()),
            position=position,
            title=text.title,
            detail=text.detail,
            kind=text.kind,
            required=text.required,
            unit=text.unit if text.kind == "measure" else "",
            meter=text.meter,
            min_value=text.min_value,
            max_value=text.max_value,
        )
        db.session.add(step)
        db.session.flush()
        db.session.add_all(
            SopStepImage(step_id=step.id, photo_id=photo_id, position=n)
            for n, photo_id in enumerate(text.images, start=1)
        )
    db.session.delete(sop.draft)
    record_event(
        "sop.published",
        "sop",
        sop.id,
        f"Published {sop.title} v{number}",
        actor_id=author_id,
    )
    db.session.flush()
    db.session.expire(sop, ["versions", "draft"])
    return version


def publish_sop_version(
    slug: str,
    *,
    title: str,
    category: str,
    summary: str,
    steps: Iterable[StepText],
    change_note: str,
    author_id: int | None,
    applies_to: Iterable[str] = (),
) -> SopVersion:
    """Write and publish the next version of an SOP in one go (the demo data and scripts),
    creating the SOP on its first version: the same draft and publish the editor uses."""
    from_schema = _validated(
        {
            "title": title,
            "category": category,
            "summary": summary,
            "applies_to": list(applies_to),
            "steps": [step.as_json() for step in steps],
        }
    )
    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == slug))
    if sop is None:
        sop = create_sop(from_schema, author_id=author_id, slug=slug)
    else:
        save_draft(sop, _carried_over(sop, from_schema), author_id=author_id)
    return publish_draft(sop, change_note=change_note, author_id=author_id)


def retire_sop(sop: Sop, *, actor_id: int | None) -> None:
    """No longer offered for new visits; its versions, visits and sign-offs stay."""
    if not sop.active:
        return
    sop.active = False
    sop.retired_at = utcnow()
    record_event("sop.retired", "sop", sop.id, f"Retired {sop.title}", actor_id=actor_id)
    db.session.flush()


def delete_unpublished_sop(sop: Sop, *, actor_id: int | None) -> None:
    """Throw away an SOP that was never published (its draft is all there is); a published
    one keeps its history and can only be retired."""
    if sop.versions:
        raise Conflict(
            f"{sop.title} has published versions: retire it instead, so its history stays."
        )
    if sop.draft is not None:
        db.session.delete(sop.draft)
    db.session.delete(sop)
    record_event(
        "sop.deleted", "sop", sop.id, f"Deleted unpublished SOP {sop.title}", actor_id=actor_id
    )
    db.session.flush()


def restore_sop(sop: Sop, *, actor_id: int | None) -> None:
    if sop.active:
        return
    if not sop.versions:
        raise Invalid.field("sop", "Publish a first version before using this SOP.")
    sop.active = True
    sop.retired_at = None
    record_event("sop.restored", "sop", sop.id, f"Back in use: {sop.title}", actor_id=actor_id)
    db.session.flush()


def _keyed(content: SopContent) -> SopContent:
    """Every step with a key, so the draft's steps keep their identity as they are edited."""
    return replace(
        content,
        steps=tuple(
            step if step.key else replace(step, key=str(uuid.uuid4())) for step in content.steps
        ),
    )


def _carried_over(sop: Sop, content: SopContent) -> SopContent:
    """Steps given without keys take the key of the current version's step of the same
    title, so a text written from scratch still diffs as an edit, not a rewrite."""
    latest = sop.versions[-1] if sop.versions else None
    keys = (
        {" ".join(step.title.casefold().split()): step.key for step in latest.steps}
        if (latest)
        else {}
    )
    return replace(
        content,
        steps=tuple(
            step
            if step.key
            else replace(step, key=keys.get(" ".join(step.title.casefold().split())))
            for step in content.steps
        ),
    )


def _check_images(content: SopContent) -> None:
    """Reference images must be stored photos (uploaded by the editor before the draft)."""
    wanted = {image for step in content.steps for image in step.images}
    if not wanted:
        return
    found = set(db.session.scalars(sa.select(Photo.id).where(Photo.id.in_(wanted))))
    errors = {
        f"steps.{index}.images": ["That image was not uploaded; add it again."]
        for index, step in enumerate(content.steps)
        if set(step.images) - found
    }
    if errors:
        raise Invalid("An image of the SOP is missing.", errors)


def _validated(data: dict) -> SopContent:
    """The editor's document checked by its schema (the one statement of what an SOP holds)."""
    try:
        return SopContentSchema().load(data)
    except ValidationError as exc:
        raise Invalid("The SOP is not complete.", flat_messages(exc.messages)) from exc


# --- reading -------------------------------------------------------------------------------


def current_versions() -> list[SopVersion]:
    """The latest published version of every active SOP, with steps, ordered by category."""
    return list(
        db.session.scalars(
            current_versions_query().options(
                selectinload(SopVersion.steps).selectinload(SopStep.images),
                selectinload(SopVersion.sop),
            )
        )
    )


def current_versions_query() -> sa.Select:
    """The latest published version of every active SOP (joined to its SOP), ordered by
    category and title; callers add what they load with it, or filter it further."""
    latest = (
        sa.select(SopVersion.sop_id, sa.func.max(SopVersion.number).label("number"))
        .group_by(SopVersion.sop_id)
        .subquery()
    )
    return (
        sa.select(SopVersion)
        .join(
            latest,
            sa.and_(SopVersion.sop_id == latest.c.sop_id, SopVersion.number == latest.c.number),
        )
        .join(Sop, Sop.id == SopVersion.sop_id)
        .where(Sop.active)
        .order_by(Sop.category, Sop.title)
    )


def version_by_id(version_id: int) -> SopVersion | None:
    return db.session.get(SopVersion, version_id)


def sop_by_slug(slug: str) -> Sop | None:
    return db.session.scalar(
        sa.select(Sop)
        .where(Sop.slug == slug)
        .options(selectinload(Sop.versions), selectinload(Sop.draft))
    )


def version_of(slug: str, number: int | None = None) -> SopVersion | None:
    """A given version of an SOP, or its current one."""
    query = (
        sa.select(SopVersion)
        .join(Sop)
        .where(Sop.slug == slug)
        .options(
            selectinload(SopVersion.steps).selectinload(SopStep.images),
            selectinload(SopVersion.sop),
            selectinload(SopVersion.author),
        )
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


def suggested_version(
    job_kind: str | None, versions: list[SopVersion], *, make: str = "", model: str = ""
) -> SopVersion | None:
    """The current SOP a visit for this kind of job should follow (repair when unknown): one
    written for this plotter's make or model first, else one for every plotter."""
    category = CATEGORY_FOR_JOB_KIND.get(job_kind or "repair", "repair")
    fitting = [
        version
        for version in versions
        if version.sop.category == category
        and (not make or version.sop.applies_to_plotter(make, model))
    ]
    fitting.sort(key=lambda version: not version.sop.applies_to)  # specific ones first
    return fitting[0] if fitting else None


# --- what changed --------------------------------------------------------------------------


@dataclass(frozen=True)
class StepChange:
    """One step's difference between two versions: added, removed, moved, reworded or
    changed (its kind, requirement, unit, range, meter flag or images), or unchanged."""

    kind: str
    before: SopStep | None
    after: SopStep | None
    details: tuple[str, ...] = ()


def version_changes(old: SopVersion, new: SopVersion) -> list[StepChange]:
    """Step by step, what changed from one version to another, in the newer one's order with
    removed steps where they stood."""
    before = {step.key: step for step in old.steps}
    after = {step.key: step for step in new.steps}
    kept = [step.key for step in old.steps if step.key in after]
    kept_new = [step.key for step in new.steps if step.key in before]
    in_order = set(_longest_common_run(kept, kept_new))
    changes: list[StepChange] = []
    removed = [step for step in old.steps if step.key not in after]
    for step in new.steps:
        while removed and removed[0].position <= step.position and removed[0].key not in after:
            changes.append(StepChange("removed", removed.pop(0), None))
        was = before.get(step.key)
        if was is None:
            changes.append(StepChange("added", None, step))
            continue
        details = _differences(was, step)
        moved = step.key not in in_order
        if moved:
            changes.append(StepChange("moved", was, step, details))
        elif any(d in ("title", "detail") for d in details):
            changes.append(StepChange("reworded", was, step, details))
        elif details:
            changes.append(StepChange("changed", was, step, details))
        else:
            changes.append(StepChange("unchanged", was, step))
    changes.extend(StepChange("removed", step, None) for step in removed)
    return changes


def _differences(old: SopStep, new: SopStep) -> tuple[str, ...]:
    names = ("title", "detail", "kind", "required", "unit", "min_value", "max_value", "meter")
    found = [name for name in names if getattr(old, name) != getattr(new, name)]
    if [i.photo_id for i in old.images] != [i.photo_id for i in new.images]:
        found.append("images")
    return tuple(found)


def _longest_common_run(a: list[str], b: list[str]) -> list[str]:
    """The longest common subsequence of two key lists: the steps that kept their order."""
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    run, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            run.append(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return run


def require_sop(slug: str) -> Sop:
    sop = sop_by_slug(slug)
    if sop is None:
        raise NotFound(f"There is no SOP “{slug}”.")
    return sop
