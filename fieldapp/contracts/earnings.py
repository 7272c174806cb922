"""What each contract earns over a range of days: its price for the days of its term in the
range, against the parts used and the hours on site (at the hourly cost in Settings) on the
plotters it covers; and what each plotter model costs to keep running.

Three queries whatever the number of contracts: the contracts, their plotters, and the
visits on those plotters in the range with their parts cost. Visits are placed in a contract's
term by their local day, in Python, so the boundaries are the company's days on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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

    def labour_cents(self, hourly_cents: int) -> int:
        return round(self.hours * hourly_cents)

    def cost_cents(self, hourly_cents: int) -> int:
        """The hours on site at the hourly cost, and the parts."""
        return self.labour_cents(hourly_cents) + self.parts_cents

    def merge(self, other: Costs) -> None:
        self.visits += other.visits
        self.seconds += other.seconds
        self.parts_cents += other.parts_cents


class CostsAtRate:
    """What the visits (costs) cost at the hourly rate: a contract's, a plotter model's."""

    costs: Costs
    hourly_cents: int

    @property
    def labour_cents(self) -> int:
        return self.costs.labour_cents(self.hourly_cents)

    @property
    def cost_cents(self) -> int:
        return self.costs.cost_cents(self.hourly_cents)


@dataclass
class Earnings(CostsAtRate):
    contract: Contract
    days: int  # days of its term within the range
    revenue_cents: int
    costs: Costs
    hourly_cents: int
    plotter_ids: list[int]

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents

    @property
    def margin_percent(self) -> float | None:
        return (
            round(100 * self.margin_cents / self.revenue_cents, 1) if self.revenue_cents else None
        )


def _overlap(contract: Contract, start: date, end: date) -> tuple[date, date] | None:
    """The days of the range the contract covered (to the day before it was cancelled)."""
    last_covered = contract.ends_on
    if contract.cancelled_on is not None:
        last_covered = min(last_covered, contract.cancelled_on - timedelta(days=1))
    first, last = max(contract.starts_on, start), min(last_covered, end)
    return (first, last) if first <= last else None


# Per plotter, per day of the range (its index from the first day): the visits' costs.
DailyCosts = dict[int, dict[int, Costs]]


def _daily_costs(plotters: sa.Select | None, start: date, end: date, zone: ZoneInfo) -> DailyCosts:
    """Finished visits started within the days on the plotters the select names (None: on
    every plotter), summed per plotter and local day. One statement: the database gives
    each visit's start and length in seconds and its parts cost, and the local day is found
    among the range's midnights (exact across daylight saving, on both databases)."""
    window = [
        Visit.status == "finished",
        Visit.started_at >= start_of(start, zone),
        Visit.started_at < _after(end, zone),
    ]
    if plotters is not None:
        window.append(Visit.equipment_id.in_(plotters))
    parts = (
        sa.select(
            StockMovement.visit_id,
            sa.func.sum(
                -sa.cast(StockMovement.quantity, sa.BigInteger) * StockMovement.unit_cost_cents
            ).label("cents"),
        )
        .join(Visit, Visit.id == StockMovement.visit_id)
        .where(used_on_visits(), *window)
        .group_by(StockMovement.visit_id)
        .subquery()
    )
    started = sa.extract("epoch", Visit.started_at)
    rows = db.session.execute(
        sa.select(
            Visit.equipment_id,
            started,
            sa.extract("epoch", Visit.finished_at) - started,
            sa.func.coalesce(parts.c.cents, 0),
        )
        .outerjoin(parts, parts.c.visit_id == Visit.id)
        .where(*window)
    )
    midnights = [
        start_of(date.fromordinal(start.toordinal() + offset), zone).timestamp()
        for offset in range((end - start).days + 2)
    ]
    found: DailyCosts = defaultdict(lambda: defaultdict(Costs))
    for equipment_id, at, seconds, cents in rows:
        day = bisect_right(midnights, float(at)) - 1
        found[equipment_id][day].add(max(float(seconds or 0), 0), int(cents or 0))
    return found


def _after(day: date, zone: ZoneInfo) -> datetime:
    return start_of(date.fromordinal(day.toordinal() + 1), zone)


def contract_earnings(
    start: date,
    end: date,
    zone: ZoneInfo,
    hourly_cents: int,
    *,
    contract_id: int | None = None,
    daily: DailyCosts | None = None,
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
    if daily is None:
        chosen = sa.select(contract_plotters.c.equipment_id).where(
            contract_plotters.c.contract_id.in_(query.with_only_columns(Contract.id).order_by(None))
        )
        daily = _daily_costs(chosen, start, end, zone) if contracts else {}
    found = []
    for contract in contracts:
        span = _overlap(contract, start, end)
        costs = Costs()
        days = 0
        if span is not None and contract.state != "draft":
            days = (span[1] - span[0]).days + 1
            first, last = (span[0] - start).days, (span[1] - start).days
            for equipment_id in covered[contract.id]:
                for day, spent in daily.get(equipment_id, {}).items():
                    if first <= day <= last:
                        costs.merge(spent)
        revenue = round(contract.price_cents_per_year * days / DAYS_A_YEAR)
        found.append(Earnings(contract, days, revenue, costs, hourly_cents, covered[contract.id]))
    return found


@dataclass
class ModelCost(CostsAtRate):
    make: str
    model: str
    plotters: int
    costs: Costs
    revenue_cents: int
    hourly_cents: int

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
    daily = _daily_costs(None, start, end, zone)
    for equipment_id, days in daily.items():
        for spent in days.values():
            costs[model_of[equipment_id]].merge(spent)
    revenue: dict[tuple[str, str], float] = defaultdict(float)
    earned = contract_earnings(start, end, zone, hourly_cents, daily=daily)
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
