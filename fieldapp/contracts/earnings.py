"""What each contract earns over a range of days: its price for the days of its term in the
range, against the parts used and the hours on site (at the hourly cost in Settings) on the
plotters it covers; and what each plotter model costs to keep running.

Four queries whatever the number of contracts: the contracts, their plotters, the visits on
those plotters in the range, and the parts cost per visit. Visits are placed in a contract's
term by their local day, in Python, so the boundaries are the company's days on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.contracts.models import Contract, contract_plotters
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.inventory.models import StockMovement, used_on_visits
from fieldapp.localtime import start_of
from fieldapp.visits.models import Visit

DAYS_A_YEAR = 365
EARNING_STATES = ("active", "expired", "cancelled")


@dataclass
class Costs:
    visits: int = 0
    seconds: float = 0.0
    parts_cents: int = 0

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    def add(self, seconds: float, parts: int) -> None:
        self.visits += 1
        self.seconds += seconds
        self.parts_cents += parts


@dataclass
class Earnings:
    contract: Contract
    days: int  # days of its term within the range
    revenue_cents: int
    costs: Costs
    hourly_cents: int
    plotter_ids: list[int]

    @property
    def labour_cents(self) -> int:
        return round(self.costs.hours * self.hourly_cents)

    @property
    def cost_cents(self) -> int:
        return self.labour_cents + self.costs.parts_cents

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents

    @property
    def margin_percent(self) -> float | None:
        return (
            round(100 * self.margin_cents / self.revenue_cents, 1) if self.revenue_cents else None
        )


@dataclass
class _Visit:
    equipment_id: int
    day: date
    seconds: float
    parts: int


def _overlap(contract: Contract, start: date, end: date) -> tuple[date, date] | None:
    first, last = max(contract.starts_on, start), min(contract.ends_on, end)
    return (first, last) if first <= last else None


def _visits(plotters: sa.Select | None, start: date, end: date, zone: ZoneInfo) -> list[_Visit]:
    """Finished visits started within the days on the plotters the select names (None: on
    every plotter), with their parts cost."""
    window = [
        Visit.status == "finished",
        Visit.started_at >= start_of(start, zone),
        Visit.started_at < _after(end, zone),
    ]
    if plotters is not None:
        window.append(Visit.equipment_id.in_(plotters))
    parts = dict(
        db.session.execute(
            sa.select(
                StockMovement.visit_id,
                sa.func.sum(
                    -sa.cast(StockMovement.quantity, sa.BigInteger) * StockMovement.unit_cost_cents
                ),
            )
            .join(Visit, Visit.id == StockMovement.visit_id)
            .where(used_on_visits(), *window)
            .group_by(StockMovement.visit_id)
        ).all()
    )
    found = []
    for visit_id, equipment_id, started, finished in db.session.execute(
        sa.select(Visit.id, Visit.equipment_id, Visit.started_at, Visit.finished_at).where(*window)
    ):
        seconds = max((finished - started).total_seconds(), 0) if finished else 0
        day = started.astimezone(zone).date()
        found.append(_Visit(equipment_id, day, seconds, int(parts.get(visit_id) or 0)))
    return found


def _after(day: date, zone: ZoneInfo) -> datetime:
    return start_of(date.fromordinal(day.toordinal() + 1), zone)


def contract_earnings(
    start: date, end: date, zone: ZoneInfo, hourly_cents: int, *, contract_id: int | None = None
) -> list[Earnings]:
    """Per contract in force for some of the days (or the one asked for), best margin last."""
    query = (
        sa.select(Contract)
        .where(
            Contract.state.in_(EARNING_STATES),
            Contract.starts_on <= end,
            Contract.ends_on >= start,
        )
        .options(joinedload(Contract.customer))
        .order_by(Contract.id)
    )
    if contract_id is not None:
        query = (
            sa.select(Contract)
            .where(Contract.id == contract_id)
            .options(joinedload(Contract.customer))
        )
    contracts = list(db.session.scalars(query))
    covered: dict[int, list[int]] = defaultdict(list)
    if contracts:
        for contract_id_, equipment_id in db.session.execute(
            sa.select(contract_plotters.c.contract_id, contract_plotters.c.equipment_id).where(
                contract_plotters.c.contract_id.in_(
                    query.with_only_columns(Contract.id).order_by(None)
                )
            )
        ):
            covered[contract_id_].append(equipment_id)
    by_plotter: dict[int, list[_Visit]] = defaultdict(list)
    chosen = sa.select(contract_plotters.c.equipment_id).where(
        contract_plotters.c.contract_id.in_(query.with_only_columns(Contract.id).order_by(None))
    )
    for visit in _visits(chosen if contracts else None, start, end, zone) if contracts else []:
        by_plotter[visit.equipment_id].append(visit)
    found = []
    for contract in contracts:
        span = _overlap(contract, start, end)
        costs = Costs()
        days = 0
        if span is not None and contract.state != "draft":
            days = (span[1] - span[0]).days + 1
            for equipment_id in covered[contract.id]:
                for visit in by_plotter[equipment_id]:
                    if span[0] <= visit.day <= span[1]:
                        costs.add(visit.seconds, visit.parts)
        revenue = round(contract.price_cents_per_year * days / DAYS_A_YEAR)
        found.append(Earnings(contract, days, revenue, costs, hourly_cents, covered[contract.id]))
    return found


@dataclass
class ModelCost:
    make: str
    model: str
    plotters: int
    costs: Costs
    revenue_cents: int
    hourly_cents: int

    @property
    def labour_cents(self) -> int:
        return round(self.costs.hours * self.hourly_cents)

    @property
    def cost_cents(self) -> int:
        return self.labour_cents + self.costs.parts_cents

    @property
    def cost_per_plotter_cents(self) -> int:
        return round(self.cost_cents / self.plotters) if self.plotters else 0


def model_costs(start: date, end: date, zone: ZoneInfo, hourly_cents: int) -> list[ModelCost]:
    """Per plotter model in service: what its visits in the range cost (hours and parts), and
    the contract revenue of its plotters (a contract's price shared evenly by its plotters);
    costliest to keep running per plotter first."""
    models = {
        (make, model): count
        for make, model, count in db.session.execute(
            sa.select(Equipment.make, Equipment.model, sa.func.count())
            .where(Equipment.status == "active")
            .group_by(Equipment.make, Equipment.model)
        )
    }
    model_of = dict(
        (equipment_id, (make, model))
        for equipment_id, make, model in db.session.execute(
            sa.select(Equipment.id, Equipment.make, Equipment.model)
        )
    )
    costs: dict[tuple[str, str], Costs] = defaultdict(Costs)
    for visit in _visits(None, start, end, zone):
        costs[model_of[visit.equipment_id]].add(visit.seconds, visit.parts)
    revenue: dict[tuple[str, str], float] = defaultdict(float)
    earned = contract_earnings(start, end, zone, hourly_cents)
    for one in earned:
        plotters = one.plotter_ids
        for equipment_id in plotters:
            revenue[model_of[equipment_id]] += one.revenue_cents / len(plotters)
    keys = set(models) | set(costs)
    rows = [
        ModelCost(key[0], key[1], models.get(key, 0), costs[key], round(revenue[key]), hourly_cents)
        for key in keys
    ]
    rows.sort(key=lambda row: (-row.cost_per_plotter_cents, -row.cost_cents, row.make, row.model))
    return rows
