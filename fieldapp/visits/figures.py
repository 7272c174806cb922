"""How an SOP does in the field: over the last days, how many finished visits followed it (any
version) and which of its steps fail or are marked n/a most often, counted by step key across
versions, with links to the latest of those visits. A fixed number of queries (four at most),
whatever the number of visits, steps, versions, techs or SOPs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.sops.models import Sop, SopStep, SopVersion
from fieldapp.visits.models import StepResult, Visit

WINDOW_DAYS = 90
LINKS_PER_STEP = 5
# The statuses that say a step did not go as written: it failed, or did not apply.
TROUBLE = ("fail", "n/a")


@dataclass(frozen=True)
class VisitLink:
    """One visit where the step failed or was marked n/a."""

    id: uuid.UUID
    started_at: datetime
    status: str  # "fail" or "n/a"
    value: float | None
    unit: str
    version: int
    plotter: str
    customer: str
    tech: str


@dataclass(frozen=True)
class StepFigure:
    """One step (the same key in every version that has it) and how often it went wrong."""

    key: str
    title: str  # as the newest version that has the step words it
    kind: str
    positions: dict[int, int]  # version number -> the step's position in it
    failed: int
    not_applicable: int
    followed: int  # visits in the window with a result for this step
    visits: tuple[VisitLink, ...]  # the latest of those visits, newest first

    @property
    def troubled(self) -> int:
        return self.failed + self.not_applicable

    @property
    def share(self) -> int:
        """The percentage of visits with this step where it failed or was n/a."""
        return round(100 * self.troubled / self.followed) if self.followed else 0


@dataclass(frozen=True)
class SopFigures:
    days: int
    since: datetime
    visits: int  # finished visits that followed any version of the SOP
    by_version: tuple[tuple[int, int], ...]  # (version number, visits), oldest version first
    steps: tuple[StepFigure, ...]  # steps that failed or were n/a, most often first


def step_figures(sop: Sop, days: int = WINDOW_DAYS) -> SopFigures:
    """The SOP's last `days` in the field: visits per version, and its steps that fail or are
    marked n/a most often, each with links to up to five of those visits, newest first."""
    since = utcnow() - timedelta(days=days)
    by_version = tuple(
        (number, count)
        for number, count in db.session.execute(
            sa.select(SopVersion.number, sa.func.count(Visit.id))
            .join(Visit, Visit.sop_version_id == SopVersion.id)
            .where(_in_window(sop, since))
            .group_by(SopVersion.number)
            .order_by(SopVersion.number)
        )
    )
    visits = sum(count for _, count in by_version)
    if not visits:
        return SopFigures(days, since, 0, by_version, ())

    tallies: dict[str, dict[str, int]] = {}
    for key, status, count in db.session.execute(
        _results(sop, since, SopStep.key, StepResult.status, sa.func.count()).group_by(
            SopStep.key, StepResult.status
        )
    ):
        tallies.setdefault(key, {})[status] = count
    troubled = [key for key, counts in tallies.items() if any(counts.get(s) for s in TROUBLE)]
    if not troubled:
        return SopFigures(days, since, visits, by_version, ())

    wordings: dict[str, SopStep] = {}
    positions: dict[str, dict[int, int]] = {}
    for step, number in db.session.execute(
        sa.select(SopStep, SopVersion.number)
        .join(SopVersion, SopVersion.id == SopStep.version_id)
        .where(SopVersion.sop_id == sop.id, SopStep.key.in_(troubled))
        .order_by(SopVersion.number)
    ):
        wordings[step.key] = step  # the newest version's wording wins
        positions.setdefault(step.key, {})[number] = step.position

    links = _latest_visits(sop, since, troubled)
    figures = [
        StepFigure(
            key=key,
            title=wordings[key].title,
            kind=wordings[key].kind,
            positions=positions[key],
            failed=tallies[key].get("fail", 0),
            not_applicable=tallies[key].get("n/a", 0),
            followed=sum(tallies[key].values()),
            visits=tuple(links.get(key, ())),
        )
        for key in troubled
    ]
    latest = by_version[-1][0]
    figures.sort(key=lambda f: (-f.troubled, -f.failed, f.positions.get(latest, 10**6), f.title))
    return SopFigures(days, since, visits, by_version, tuple(figures))


def _in_window(sop: Sop, since: datetime):
    return sa.and_(
        SopVersion.sop_id == sop.id, Visit.status == "finished", Visit.started_at >= since
    )


def _results(sop: Sop, since: datetime, *columns) -> sa.Select:
    """The step results of the SOP's finished visits in the window, as these columns."""
    return (
        sa.select(*columns)
        .select_from(StepResult)
        .join(SopStep, SopStep.id == StepResult.step_id)
        .join(SopVersion, SopVersion.id == SopStep.version_id)
        .join(Visit, Visit.id == StepResult.visit_id)
        .where(_in_window(sop, since))
    )


def _latest_visits(sop: Sop, since: datetime, keys: list[str]) -> dict[str, list[VisitLink]]:
    """Up to LINKS_PER_STEP visits per step key where it failed or was n/a, newest first, in
    one query (a window function numbers each key's visits, newest first)."""
    newest_first = sa.func.row_number().over(
        partition_by=SopStep.key, order_by=(Visit.started_at.desc(), Visit.id.desc())
    )
    ranked = (
        _results(
            sop,
            since,
            SopStep.key.label("key"),
            StepResult.status.label("status"),
            StepResult.value.label("value"),
            SopStep.unit.label("unit"),
            SopVersion.number.label("version"),
            Visit.id.label("visit_id"),
            Visit.started_at.label("started_at"),
            Visit.equipment_id.label("equipment_id"),
            Visit.tech_id.label("tech_id"),
            newest_first.label("place"),
        )
        .where(StepResult.status.in_(TROUBLE), SopStep.key.in_(keys))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            ranked,
            Equipment.make.label("make"),
            Equipment.model.label("model"),
            Customer.name.label("customer"),
            User.name.label("tech"),
        )
        .join(Equipment, Equipment.id == ranked.c.equipment_id)
        .join(Customer, Customer.id == Equipment.customer_id)
        .join(User, User.id == ranked.c.tech_id)
        .where(ranked.c.place <= LINKS_PER_STEP)
        .order_by(ranked.c.key, ranked.c.place)
    )
    links: dict[str, list[VisitLink]] = {}
    for row in rows:
        links.setdefault(row.key, []).append(
            VisitLink(
                id=row.visit_id,
                started_at=row.started_at,
                status=row.status,
                value=row.value,
                unit=row.unit,
                version=row.version,
                plotter=f"{row.make} {row.model}",
                customer=row.customer,
                tech=row.tech,
            )
        )
    return links
