"""Who has signed off which procedure: the training matrix (active techs x SOPs in use at
their current version), a tech's own sign-offs, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.sops.models import Sop, SopTraining, SopVersion
from fieldapp.sops.services import current_versions_query

STATES = ("current", "outdated", "never")
STATE_LABELS = {"current": "Current", "outdated": "Outdated", "never": "Never signed"}


@dataclass(frozen=True)
class Column:
    """An SOP in use at its current (latest published) version."""

    sop_id: int
    slug: str
    title: str
    version_id: int
    number: int
    published_at: datetime


@dataclass(frozen=True)
class Cell:
    """One tech and one SOP: the newest version they signed, and whether a trainer saw them
    follow the current one."""

    tech_id: int
    tech_name: str
    column: Column
    signed_number: int | None
    signed_at: datetime | None
    observed_at: datetime | None
    observed_by: str | None

    @property
    def state(self) -> str:
        if self.signed_number is None:
            return "never"
        return "current" if self.signed_number >= self.column.number else "outdated"


@dataclass(frozen=True)
class Row:
    tech: User
    cells: list[Cell]

    def cell(self, sop_id: int) -> Cell | None:
        """This tech's cell for that SOP (none when a state filter left it out)."""
        return next((cell for cell in self.cells if cell.column.sop_id == sop_id), None)


@dataclass(frozen=True)
class Matrix:
    techs: list[User]  # every active tech (the filter offers them all)
    sops: list[Column]  # every SOP in use
    columns: list[Column]  # the SOPs shown (one when filtered)
    rows: list[Row]
    counts: dict[str, int]  # cells shown per state

    @property
    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row.cells]


def active_techs() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == "tech", User.active).order_by(User.name, User.id)
        )
    )


def current_columns() -> list[Column]:
    """Each active SOP with its latest published version, by title (one query, no steps)."""
    latest = (
        sa.select(SopVersion.sop_id, sa.func.max(SopVersion.number).label("number"))
        .group_by(SopVersion.sop_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Sop.id, Sop.slug, Sop.title, SopVersion.id, SopVersion.number, SopVersion.published_at
        )
        .join(latest, latest.c.sop_id == Sop.id)
        .join(
            SopVersion,
            sa.and_(SopVersion.sop_id == Sop.id, SopVersion.number == latest.c.number),
        )
        .where(Sop.active)
        .order_by(Sop.title, Sop.id)
    )
    return [Column(*row) for row in rows]


def training_matrix(
    *, tech_id: int | None = None, slug: str | None = None, state: str | None = None
) -> Matrix:
    """The matrix, narrowed to one tech, one SOP and/or one state; rows with no cell left
    after the state filter are dropped. Three queries whatever the numbers."""
    techs = active_techs()
    sops = current_columns()
    shown_techs = [tech for tech in techs if tech_id is None or tech.id == tech_id]
    columns = [column for column in sops if slug is None or column.slug == slug]
    records = _records([tech.id for tech in shown_techs], [column.sop_id for column in columns])
    rows, counts = [], dict.fromkeys(STATES, 0)
    for tech in shown_techs:
        cells = []
        for column in columns:
            cell = _cell(tech, column, records.get((tech.id, column.sop_id), []))
            if state is None or cell.state == state:
                cells.append(cell)
                counts[cell.state] += 1
        if cells or state is None:
            rows.append(Row(tech, cells))
    if state is not None:
        # Only the SOPs that have a cell in that state, so the filtered table stays narrow.
        kept = {cell.column.sop_id for row in rows for cell in row.cells}
        columns = [column for column in columns if column.sop_id in kept]
    return Matrix(techs=techs, sops=sops, columns=columns, rows=rows, counts=counts)


@dataclass(frozen=True)
class _Record:
    number: int
    signed_at: datetime | None
    observed_at: datetime | None
    observed_by: str | None


def _records(tech_ids: list[int], sop_ids: list[int]) -> dict[tuple[int, int], list[_Record]]:
    """Every sign-off and observation of these techs on these SOPs, by (tech, SOP)."""
    if not tech_ids or not sop_ids:
        return {}
    observer = aliased(User)
    rows = db.session.execute(
        sa.select(
            SopTraining.user_id,
            SopVersion.sop_id,
            SopVersion.number,
            SopTraining.signed_at,
            SopTraining.observed_at,
            observer.name,
        )
        .join(SopVersion, SopVersion.id == SopTraining.version_id)
        .outerjoin(observer, observer.id == SopTraining.observed_by_id)
        # The same conditions as the techs and SOPs shown, not a list of ids: the statement
        # stays one size (and under any bound-parameter limit) however many there are.
        .join(User, User.id == SopTraining.user_id)
        .join(Sop, Sop.id == SopVersion.sop_id)
        .where(User.role == "tech", User.active, Sop.active)
        .where(*_only(User.id, tech_ids), *_only(Sop.id, sop_ids))
    )
    found: dict[tuple[int, int], list[_Record]] = {}
    for user_id, sop_id, number, signed_at, observed_at, observed_by in rows:
        found.setdefault((user_id, sop_id), []).append(
            _Record(number, signed_at, observed_at, observed_by)
        )
    return found


def _only(column, ids: list[int]) -> list:
    """A condition for a filter to one id; none when every row of that kind is wanted."""
    return [column == ids[0]] if len(ids) == 1 else []


def _cell(tech: User, column: Column, records: Iterable[_Record]) -> Cell:
    signed = [record for record in records if record.signed_at is not None]
    newest = max(signed, key=lambda record: record.number, default=None)
    current = next((record for record in records if record.number == column.number), None)
    return Cell(
        tech_id=tech.id,
        tech_name=tech.name,
        column=column,
        signed_number=newest.number if newest else None,
        signed_at=newest.signed_at if newest else None,
        observed_at=current.observed_at if current else None,
        observed_by=current.observed_by if current else None,
    )


def signed_versions(user_id: int) -> dict[str, int]:
    """The newest version of each SOP in use this person has signed off, by slug (the
    offline pack tells the phone this)."""
    rows = db.session.execute(
        sa.select(Sop.slug, sa.func.max(SopVersion.number))
        .join(SopVersion, SopVersion.sop_id == Sop.id)
        .join(SopTraining, SopTraining.version_id == SopVersion.id)
        .where(SopTraining.user_id == user_id, SopTraining.signed_at.is_not(None), Sop.active)
        .group_by(Sop.slug)
    )
    return {slug: number for slug, number in rows}


def unsigned_versions(user: User) -> list[SopVersion]:
    """The current (latest published) versions of SOPs in use that the tech has not signed off
    yet, each with its SOP (Today's "New procedure to read"; one query, no steps); nobody
    else signs off."""
    if user.role != "tech":
        return []
    signed = sa.select(SopTraining.version_id).where(
        SopTraining.user_id == user.id, SopTraining.signed_at.is_not(None)
    )
    query = current_versions_query().where(SopVersion.id.not_in(signed))
    return list(db.session.scalars(query.options(contains_eager(SopVersion.sop))))


def signoff_of(user_id: int, version_id: int) -> SopTraining | None:
    """This person's sign-off of this version, if they signed it."""
    return db.session.scalar(
        sa.select(SopTraining).where(
            SopTraining.user_id == user_id,
            SopTraining.version_id == version_id,
            SopTraining.signed_at.is_not(None),
        )
    )


def unsigned_among(user_id: int, version_ids: Iterable[int]) -> set[int]:
    """Which of these versions this person has not signed off (one query)."""
    wanted = set(version_ids)
    if not wanted:
        return set()
    signed = db.session.scalars(
        sa.select(SopTraining.version_id).where(
            SopTraining.user_id == user_id,
            SopTraining.version_id.in_(wanted),
            SopTraining.signed_at.is_not(None),
        )
    )
    return wanted - set(signed)


def signed_count(version_id: int) -> tuple[int, int]:
    """(active techs who signed this version off, active techs), for the SOP page."""
    techs = sa.select(User.id).where(User.role == "tech", User.active)
    signed = db.session.scalar(
        sa.select(sa.func.count(SopTraining.id)).where(
            SopTraining.version_id == version_id,
            SopTraining.signed_at.is_not(None),
            SopTraining.user_id.in_(techs),
        )
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(techs.subquery()))
    return signed or 0, total or 0
