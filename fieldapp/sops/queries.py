"""Reading SOPs for their pages: the list with drafts and retired ones, a version with its
history, two versions to compare, and the plotter models an SOP can be written for."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.sops.models import Sop, SopDraft, SopStep, SopVersion
from fieldapp.sops.services import version_of


@dataclass(frozen=True)
class SopRow:
    """One SOP in the list: its latest published version (None before the first), how many
    steps that has, and the draft being edited (None when nobody is editing it)."""

    sop: Sop
    latest: SopVersion | None
    steps: int
    draft: SopDraft | None


def sop_rows(*, retired: bool = False) -> list[SopRow]:
    """Every SOP in use (or every retired one), by category and title, in three queries."""
    latest_number = (
        sa.select(SopVersion.sop_id, sa.func.max(SopVersion.number).label("number"))
        .group_by(SopVersion.sop_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Sop, SopVersion)
        .outerjoin(latest_number, latest_number.c.sop_id == Sop.id)
        .outerjoin(
            SopVersion,
            sa.and_(SopVersion.sop_id == Sop.id, SopVersion.number == latest_number.c.number),
        )
        .where(sa.not_(Sop.active) if retired else Sop.active)
        .options(selectinload(Sop.draft).selectinload(SopDraft.updated_by))
        .order_by(Sop.category, Sop.title, Sop.id)
    ).all()
    version_ids = [version.id for _, version in rows if version is not None]
    counts = dict(
        db.session.execute(
            sa.select(SopStep.version_id, sa.func.count())
            .where(SopStep.version_id.in_(version_ids))
            .group_by(SopStep.version_id)
        ).all()
        if version_ids
        else []
    )
    return [
        SopRow(sop, version, counts.get(version.id, 0) if version else 0, sop.draft)
        for sop, version in rows
    ]


@dataclass(frozen=True)
class VersionPage:
    """A version as its page shows it, with the SOP's latest version and every version."""

    version: SopVersion
    latest: SopVersion
    history: list[SopVersion]
    draft: SopDraft | None

    @property
    def is_latest(self) -> bool:
        return self.version.number == self.latest.number


def version_page(slug: str, number: int | None = None) -> VersionPage | None:
    """The version (the current one when no number is given) and the SOP's history."""
    version = version_of(slug, number)
    if version is None:
        return None
    history = list(
        db.session.scalars(
            sa.select(SopVersion)
            .where(SopVersion.sop_id == version.sop_id)
            .options(selectinload(SopVersion.author))
            .order_by(SopVersion.number.desc())
        )
    )
    draft = db.session.scalar(sa.select(SopDraft).where(SopDraft.sop_id == version.sop_id))
    return VersionPage(version, history[0], history, draft)


@dataclass(frozen=True)
class Comparison:
    """Two versions of one SOP to compare, and every version of it (oldest first)."""

    old: SopVersion
    new: SopVersion
    history: list[SopVersion]

    @property
    def numbers(self) -> list[int]:
        return [version.number for version in self.history]

    @property
    def between(self) -> list[SopVersion]:
        """The versions that made the difference: after the older one, up to the newer."""
        low, high = sorted((self.old.number, self.new.number))
        return [version for version in self.history if low < version.number <= high]


def comparison(slug: str, old: int | None, new: int | None) -> Comparison | None:
    """Two versions of an SOP: by default the one before the current and the current one.
    None when the SOP, or either version asked for, does not exist."""
    history = list(
        db.session.scalars(
            sa.select(SopVersion)
            .join(Sop)
            .where(Sop.slug == slug)
            .options(selectinload(SopVersion.author))
            .order_by(SopVersion.number)
        )
    )
    numbers = [version.number for version in history]
    if not numbers:
        return None
    new = numbers[-1] if new is None else new
    old = (numbers[-2] if len(numbers) > 1 else numbers[-1]) if old is None else old
    if old not in numbers or new not in numbers:
        return None
    old_version = version_of(slug, old)
    new_version = version_of(slug, new) if new != old else old_version
    if old_version is None or new_version is None:
        return None
    return Comparison(old_version, new_version, history)


def preventive_sops() -> list[Sop]:
    """The PM procedures in use, for a PM plan to name."""
    return list(
        db.session.scalars(
            sa.select(Sop).where(Sop.active, Sop.category == "preventive").order_by(Sop.title)
        )
    )


def plotter_models() -> list[str]:
    """The makes and the make-and-model names of plotters in service, for "applies to"."""
    rows = db.session.execute(
        sa.select(Equipment.make, Equipment.model)
        .where(Equipment.status == "active")
        .distinct()
        .order_by(Equipment.make, Equipment.model)
    ).all()
    names: list[str] = []
    for make, model in rows:
        if make not in names:
            names.append(make)
        names.append(f"{make} {model}")
    return names


def drafts_last_edited_by(user_id: int) -> list[SopDraft]:
    """The SOP drafts someone saved last (unpublished work of theirs)."""
    return list(
        db.session.scalars(
            sa.select(SopDraft)
            .where(SopDraft.updated_by_id == user_id)
            .options(selectinload(SopDraft.sop))
            .order_by(SopDraft.updated_at.desc())
        )
    )
