"""The office's reports: each one a fixed number of queries over a date range, a chart, a table.

Weeks start on Monday and months on the 1st, in the company's time zone. Buckets are computed
in Python and handed to SQL as a CASE over UTC boundaries, so grouping by week or month needs
no dialect-specific date functions and runs the same on SQLite and PostgreSQL. The first and
last bucket are clipped to the range, so the numbers cover exactly the chosen days.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.contracts.earnings import contract_earnings, model_costs
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.inventory.models import StockMovement, used_on_visits
from fieldapp.jobs.models import Job
from fieldapp.localtime import parse_day, start_of
from fieldapp.messages.models import Message
from fieldapp.office.charts import Series, bar_chart, hbar_chart
from fieldapp.public.models import ServiceRequest
from fieldapp.settings.services import hourly_cost_cents
from fieldapp.visits.models import Visit

MAX_DAYS = 3 * 366
DEFAULT_WEEKS = 12
# A breakdown within this long of the last one on the same plotter is a repeat failure.
REPEAT_WINDOW = timedelta(days=30)
# Visits of the same job are one breakdown; look this far back to recognise them.
REPEAT_LOOKBACK = timedelta(days=60)
FAILURE_OUTCOMES = ("fixed", "needs_parts", "needs_followup", "no_fault_found")
OWNER_ROLE = "admin"
TOP_CUSTOMERS_CHARTED = 5
TOP_CUSTOMERS_LISTED = 25


# -- date ranges and buckets --------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    label: str
    first_day: date
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return start_of(self.start, zone), start_of(self.end + timedelta(days=1), zone)

    def weeks(self, zone: ZoneInfo) -> list[Bucket]:
        firsts = [self.start]
        monday = self.start - timedelta(days=self.start.weekday()) + timedelta(days=7)
        while monday <= self.end:
            firsts.append(monday)
            monday += timedelta(days=7)
        # With the year: a week's name in a CSV must say which year it is.
        return self._buckets(firsts, zone, "%b %d, %Y")

    def months(self, zone: ZoneInfo) -> list[Bucket]:
        firsts = [self.start]
        first = (self.start.replace(day=1) + timedelta(days=32)).replace(day=1)
        while first <= self.end:
            firsts.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return self._buckets(firsts, zone, "%b %Y")

    def _buckets(self, firsts: list[date], zone: ZoneInfo, fmt: str) -> list[Bucket]:
        ends = [*firsts[1:], self.end + timedelta(days=1)]
        return [
            Bucket(
                first.strftime(fmt).replace(" 0", " "),
                first,
                start_of(first, zone),
                start_of(end, zone),
            )
            for first, end in zip(firsts, ends, strict=True)
        ]


def default_range(today: date) -> DateRange:
    """The last twelve weeks: from the Monday eleven weeks before this week's, to today."""
    monday = today - timedelta(days=today.weekday())
    return DateRange(monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """The range from ?from=YYYY-MM-DD&to=YYYY-MM-DD; missing ends default to the last 12 weeks."""
    default = default_range(today)
    errors: dict[str, list[str]] = {}
    dates = {}
    for name, value, fallback in (("from", start, default.start), ("to", end, default.end)):
        try:
            dates[name] = parse_day(value, name) or fallback
        except Invalid as exc:
            errors.update(exc.fields)
            dates[name] = fallback
    if errors:
        raise Invalid("Check the dates.", errors)
    if dates["from"] > dates["to"]:
        raise Invalid.field("from", "The start date is after the end date.")
    if (dates["to"] - dates["from"]).days + 1 > MAX_DAYS:
        raise Invalid.field("from", "Choose a range of at most three years.")
    return DateRange(dates["from"], dates["to"])


def bucket_case(column, buckets: list[Bucket]) -> sa.Case:
    """The bucket index of a timestamp column (rows outside the buckets are filtered out)."""
    return sa.case(*[(column < bucket.end, index) for index, bucket in enumerate(buckets)])


def in_buckets(column, buckets: list[Bucket]) -> sa.ColumnElement[bool]:
    return sa.and_(column >= buckets[0].start, column < buckets[-1].end)


# -- what a report is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "int"  # text, int, percent, hours, money (cents)


@dataclass
class Report:
    slug: str
    title: str
    range: DateRange
    columns: list[Column]
    rows: list[list]
    chart: Markup
    legend: list[tuple[str, int | None]] = field(default_factory=list)  # (name, fixed tone)
    headline: list[tuple[str, str]] = field(default_factory=list)
    total: list | None = None
    listed: int | None = None  # rows shown on the page (the CSV has them all)


@dataclass(frozen=True)
class ReportKind:
    slug: str
    title: str
    question: str
    definition: str
    build: Callable[[DateRange, ZoneInfo], Report]


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _grouped(query: sa.Select, *keys: str) -> list:
    """Group a select whose columns include `bucket` by the named columns (a subquery keeps
    PostgreSQL from comparing the CASE's parameters between SELECT and GROUP BY)."""
    inner = query.subquery()
    columns = [inner.c[key] for key in keys]
    return db.session.execute(
        sa.select(*columns, sa.func.count(), sa.func.sum(inner.c.get("amount", sa.literal(0))))
        .group_by(*columns)
        .order_by(*columns)
    ).all()


# -- 1. first-time-fix rate ---------------------------------------------------------------


def first_time_fix(span: DateRange, zone: ZoneInfo) -> Report:
    """Jobs done in the range (not preventive maintenance) and how many took a single visit."""
    weeks = span.weeks(zone)
    per_job = (
        sa.select(
            bucket_case(Job.closed_at, weeks).label("bucket"),
            sa.case((sa.func.count(Visit.id) == 1, 1), else_=0).label("amount"),
        )
        .join(Visit, Visit.job_id == Job.id)
        .where(
            Job.status == "done",
            Job.kind != "preventive",
            in_buckets(Job.closed_at, weeks),
            Visit.status == "finished",
        )
        .group_by(Job.id, Job.closed_at)
    )
    found = {bucket: (done, int(first or 0)) for bucket, done, first in _grouped(per_job, "bucket")}
    rows = []
    for index, week in enumerate(weeks):
        done, first = found.get(index, (0, 0))
        rows.append([week.label, done, first, _pct(first, done)])
    done_total = sum(row[1] for row in rows)
    first_total = sum(row[2] for row in rows)
    rate = _pct(first_total, done_total)
    chart = bar_chart(
        [week.label for week in weeks],
        [Series("First-time-fix rate", [row[3] for row in rows])],
        title="First-time-fix rate by week",
        description="Share of jobs done each week that needed only one visit.",
        fmt=lambda v: f"{v:.0f}%",
        ceiling=100,
    )
    return Report(
        slug="first-time-fix",
        title="First-time-fix rate",
        range=span,
        columns=[
            Column("Week of", "text"),
            Column("Jobs done"),
            Column("Fixed on the first visit"),
            Column("First-time-fix rate", "percent"),
        ],
        rows=rows,
        total=["All weeks", done_total, first_total, rate],
        chart=chart,
        headline=[
            ("First-time-fix rate", f"{rate:.1f}%" if rate is not None else "—"),
            ("Jobs done", f"{done_total:,}"),
        ],
    )


# -- 2. mean time to resolve --------------------------------------------------------------


def time_to_resolve(span: DateRange, zone: ZoneInfo) -> Report:
    """Hours from a job being opened to it being done, for jobs done in the range."""
    weeks = span.weeks(zone)
    # Seconds since the epoch (SQLite's strftime('%s'), PostgreSQL's EXTRACT; SQLAlchemy
    # writes either) subtract the same way on both databases.
    seconds = (sa.extract("epoch", Job.closed_at) - sa.extract("epoch", Job.created_at)).label(
        "seconds"
    )
    per_job = sa.select(bucket_case(Job.closed_at, weeks).label("bucket"), seconds).where(
        Job.status == "done", Job.kind != "preventive", in_buckets(Job.closed_at, weeks)
    )
    inner = per_job.subquery()
    found = {
        bucket: (count, float(total), float(longest))
        for bucket, count, total, longest in db.session.execute(
            sa.select(
                inner.c.bucket,
                sa.func.count(),
                sa.func.sum(inner.c.seconds),
                sa.func.max(inner.c.seconds),
            ).group_by(inner.c.bucket)
        )
    }
    rows = []
    for index, week in enumerate(weeks):
        count, total, longest = found.get(index, (0, 0.0, 0.0))
        rows.append(
            [
                week.label,
                count,
                round(total / count / 3600, 1) if count else None,
                round(longest / 3600, 1) if count else None,
            ]
        )
    done = sum(count for count, _, _ in found.values())
    mean = round(sum(t for _, t, _ in found.values()) / done / 3600, 1) if done else None
    longest = round(max(m for _, _, m in found.values()) / 3600, 1) if done else None
    chart = bar_chart(
        [week.label for week in weeks],
        [Series("Mean hours to resolve", [row[2] for row in rows])],
        title="Mean time to resolve by week",
        description="Mean hours from a job being opened to it being done, by the week it was done.",
        fmt=lambda v: f"{v:,.0f} h" if v >= 10 or v == 0 else f"{v:.1f} h",
    )
    return Report(
        slug="time-to-resolve",
        title="Mean time to resolve",
        range=span,
        columns=[
            Column("Week of", "text"),
            Column("Jobs done"),
            Column("Mean time to resolve", "hours"),
            Column("Longest", "hours"),
        ],
        rows=rows,
        total=["All weeks", done, mean, longest],
        chart=chart,
        headline=[
            ("Mean time to resolve", f"{mean:,.1f} h" if mean is not None else "—"),
            ("Jobs done", f"{done:,}"),
        ],
    )


# -- 3. jobs per tech per week ------------------------------------------------------------


def jobs_per_tech(span: DateRange, zone: ZoneInfo) -> Report:
    """Jobs done in each week, by the tech they were assigned to."""
    weeks = span.weeks(zone)
    per_job = (
        sa.select(
            bucket_case(Job.closed_at, weeks).label("bucket"),
            sa.func.coalesce(User.name, "Unassigned").label("tech"),
        )
        .outerjoin(User, User.id == Job.assigned_to_id)
        .where(Job.status == "done", in_buckets(Job.closed_at, weeks))
    )
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for bucket, tech, count, _ in _grouped(per_job, "bucket", "tech"):
        counts[tech][bucket] = count
    techs = sorted(counts, key=lambda name: (name == "Unassigned", name))
    rows = [
        [tech, *[counts[tech].get(i, 0) for i in range(len(weeks))], sum(counts[tech].values())]
        for tech in techs
    ]
    per_week = [sum(counts[tech].get(i, 0) for tech in techs) for i in range(len(weeks))]
    chart = bar_chart(
        [week.label for week in weeks],
        [Series(tech, [counts[tech].get(i) for i in range(len(weeks))]) for tech in techs],
        title="Jobs done per tech per week",
        description="Jobs done each week, stacked by the tech who did them.",
        integer=True,
    )
    return Report(
        slug="jobs-per-tech",
        title="Jobs per tech per week",
        range=span,
        columns=[
            Column("Tech", "text"),
            *[Column(week.label) for week in weeks],
            Column("Total"),
        ],
        rows=rows,
        total=["All techs", *per_week, sum(per_week)],
        chart=chart,
        legend=[(tech, None) for tech in techs],
        headline=[
            ("Jobs done", f"{sum(per_week):,}"),
            ("Per tech per week", _per_tech_per_week(sum(per_week), len(techs), len(weeks))),
        ],
    )


def _per_tech_per_week(total: int, techs: int, weeks: int) -> str:
    return f"{total / (techs * weeks):.1f}" if techs and weeks else "—"


# -- 4. parts cost per customer per month -------------------------------------------------


def parts_cost(span: DateRange, zone: ZoneInfo) -> Report:
    """What the parts used on visits cost (at the cost when used), per customer and month."""
    months = span.months(zone)
    per_line = (
        sa.select(
            bucket_case(StockMovement.at, months).label("bucket"),
            Customer.id.label("customer_id"),
            Customer.name.label("customer"),
            (-sa.cast(StockMovement.quantity, sa.BigInteger) * StockMovement.unit_cost_cents).label(
                "amount"
            ),
        )
        .join(Visit, Visit.id == StockMovement.visit_id)
        .join(Equipment, Equipment.id == Visit.equipment_id)
        .join(Customer, Customer.id == Equipment.customer_id)
        .where(used_on_visits(), in_buckets(StockMovement.at, months))
    )
    cost: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for bucket, customer_id, name, _, amount in _grouped(
        per_line, "bucket", "customer_id", "customer"
    ):
        cost[(customer_id, name)][bucket] = int(amount or 0)
    ranked = sorted(cost, key=lambda key: (-sum(cost[key].values()), key[1]))
    rows = [
        [key[1], *[cost[key].get(i, 0) for i in range(len(months))], sum(cost[key].values())]
        for key in ranked
    ]
    per_month = [sum(cost[key].get(i, 0) for key in ranked) for i in range(len(months))]
    charted = ranked[:TOP_CUSTOMERS_CHARTED]
    series = [Series(key[1], [cost[key].get(i) for i in range(len(months))]) for key in charted]
    others = ranked[TOP_CUSTOMERS_CHARTED:]
    if others:
        series.append(
            Series(
                f"{len(others)} other customers",
                [sum(cost[key].get(i, 0) for key in others) or None for i in range(len(months))],
                tone=7,
            )
        )
    chart = bar_chart(
        [month.label for month in months],
        series,
        title="Parts cost per customer per month",
        description="Cost of parts used on visits each month, stacked by customer.",
        fmt=_dollars,
    )
    return Report(
        slug="parts-cost",
        title="Parts cost per customer per month",
        range=span,
        columns=[
            Column("Customer", "text"),
            *[Column(month.label, "money") for month in months],
            Column("Total", "money"),
        ],
        rows=rows,
        total=["All customers", *per_month, sum(per_month)],
        listed=TOP_CUSTOMERS_LISTED,
        chart=chart,
        legend=[(one.name, one.tone) for one in series],
        headline=[
            ("Parts cost", _dollars(sum(per_month))),
            ("Customers", f"{len(ranked):,}"),
        ],
    )


def _dollars(cents: float) -> str:
    return f"${cents / 100:,.0f}"


# -- 5. repeat failures by plotter model --------------------------------------------------


def repeat_failures(span: DateRange, zone: ZoneInfo) -> Report:
    """Breakdowns per plotter model, and how many came back within 30 days of the last one."""
    start, end = span.bounds(zone)
    plotters: dict[int, tuple[str, bool]] = {
        plotter_id: (f"{make} {model}", status == "active")
        for plotter_id, make, model, status in db.session.execute(
            sa.select(Equipment.id, Equipment.make, Equipment.model, Equipment.status)
        )
    }
    in_service: dict[str, int] = defaultdict(int)
    for name, active in plotters.values():
        in_service[name] += active
    visits = db.session.execute(
        sa.select(Visit.equipment_id, Visit.job_id, sa.extract("epoch", Visit.started_at))
        .where(
            Visit.status == "finished",
            Visit.outcome.in_(FAILURE_OUTCOMES),
            Visit.started_at >= start - REPEAT_LOOKBACK,
            Visit.started_at < end,
        )
        .order_by(Visit.equipment_id, Visit.started_at)
    )
    first, window = start.timestamp(), REPEAT_WINDOW.total_seconds()
    failures: dict[str, int] = defaultdict(int)
    repeats: dict[str, int] = defaultdict(int)
    current, last_breakdown, jobs_seen = None, None, set()
    for equipment_id, job_id, started in visits:
        started = float(started)
        if equipment_id != current:
            current, last_breakdown, jobs_seen = equipment_id, None, set()
        if job_id is not None and job_id in jobs_seen:
            continue  # another visit on the same job: the same breakdown
        if job_id is not None:
            jobs_seen.add(job_id)
        if started >= first:
            name = plotters[equipment_id][0]
            failures[name] += 1
            if last_breakdown is not None and started - last_breakdown <= window:
                repeats[name] += 1
        last_breakdown = started
    models = sorted(failures, key=lambda name: (-repeats[name], -failures[name], name))
    rows = [
        [
            name,
            in_service[name],
            failures[name],
            repeats[name],
            _pct(repeats[name], failures[name]),
        ]
        for name in models
    ]
    total_failures, total_repeats = sum(failures.values()), sum(repeats.values())
    chart = hbar_chart(
        models,
        [repeats[name] for name in models],
        title="Repeat failures by plotter model",
        description="Breakdowns within 30 days of the previous one on the same plotter.",
    )
    return Report(
        slug="repeat-failures",
        title="Repeat failures by plotter model",
        range=span,
        columns=[
            Column("Model", "text"),
            Column("Plotters in service"),
            Column("Breakdowns"),
            Column("Repeats within 30 days"),
            Column("Repeat rate", "percent"),
        ],
        rows=rows,
        total=[
            "All models",
            sum(in_service[name] for name in models),
            total_failures,
            total_repeats,
            _pct(total_repeats, total_failures),
        ],
        chart=chart,
        headline=[
            ("Repeat failures", f"{total_repeats:,}"),
            ("Of breakdowns", _percent_text(_pct(total_repeats, total_failures))),
        ],
    )


def _percent_text(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else "—"


# -- 6. owner load ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerTrend:
    """The dashboard's owner-load tile: the share now, then, and week by week between."""

    recent: float | None  # the last 4 weeks
    earlier: float | None  # 4 weeks half a year before
    weeks: list[tuple[str, float | None]]

    @property
    def falling(self) -> bool:
        return self.recent is not None and self.earlier is not None and self.recent < self.earlier


def owner_trend(today: date, zone: ZoneInfo, weeks: int = 26) -> OwnerTrend:
    """The owner's share of dispatches, thread answers and approvals over the last half year
    (the owner-load report's figures, read the same way)."""
    report = owner_load(DateRange(today - timedelta(weeks=weeks) + timedelta(days=1), today), zone)

    def share(rows: list[list]) -> float | None:
        owner = sum(sum(row[1:7:2]) for row in rows)
        others = sum(sum(row[2:7:2]) for row in rows)
        return _pct(owner, owner + others)

    return OwnerTrend(
        recent=share(report.rows[-4:]),
        earlier=share(report.rows[:4]),
        weeks=[(row[0], row[-1]) for row in report.rows],
    )


# The tile's weekly shares over half a year move slowly, and working them out reads every
# dispatch, answer and approval of that half year (hundreds of milliseconds for a company of
# 500 jobs a day): the dashboard works them out at most this often per app process.
OWNER_TREND_FOR = 15 * 60  # seconds


def recent_owner_trend(today: date, zone: ZoneInfo) -> OwnerTrend:
    """owner_trend, kept for OWNER_TREND_FOR seconds (per app process, per day and zone)."""
    kept = current_app.extensions.setdefault("fieldapp.owner_trend", {})
    key, now = (today, zone.key), time.monotonic()
    found = kept.get(key)
    if found is not None and now - found[0] < OWNER_TREND_FOR:
        return found[1]
    trend = owner_trend(today, zone)
    kept.clear()
    kept[key] = (now, trend)
    return trend


def owner_load(span: DateRange, zone: ZoneInfo) -> Report:
    """Who does the dispatching, answering and approving: the owner or everyone else, weekly."""
    weeks = span.weeks(zone)
    is_owner = sa.case((User.role == OWNER_ROLE, 1), else_=0).label("owner")
    dispatches = (
        sa.select(bucket_case(ActivityEvent.at, weeks).label("bucket"), is_owner)
        .join(User, User.id == ActivityEvent.actor_id)
        .where(
            ActivityEvent.verb.in_(("job.created", "job.assigned")),
            in_buckets(ActivityEvent.at, weeks),
        )
    )
    answers = (
        sa.select(bucket_case(Message.created_at, weeks).label("bucket"), is_owner)
        .join(User, User.id == Message.author_id)
        .where(User.role.in_(("office", "admin")), in_buckets(Message.created_at, weeks))
    )
    approvals = (
        sa.select(bucket_case(ServiceRequest.handled_at, weeks).label("bucket"), is_owner)
        .join(User, User.id == ServiceRequest.handled_by_id)
        .where(
            ServiceRequest.status.in_(("converted", "dismissed")),
            in_buckets(ServiceRequest.handled_at, weeks),
        )
    )
    counts: dict[tuple[str, int, int], int] = {}
    for name, query in (("dispatch", dispatches), ("answer", answers), ("approval", approvals)):
        for bucket, owner, count, _ in _grouped(query, "bucket", "owner"):
            counts[(name, bucket, int(owner))] = count
    rows = []
    for index, week in enumerate(weeks):
        row = [week.label]
        for name in ("dispatch", "answer", "approval"):
            row += [counts.get((name, index, 1), 0), counts.get((name, index, 0), 0)]
        owner, others = sum(row[1::2]), sum(row[2::2])
        rows.append([*row, _pct(owner, owner + others)])
    sums = [sum(row[i] for row in rows) for i in range(1, 7)]
    owner_total, others_total = sum(sums[0::2]), sum(sums[1::2])
    share = _pct(owner_total, owner_total + others_total)
    chart = bar_chart(
        [week.label for week in weeks],
        [
            Series("The owner", [sum(row[1:7:2]) or None for row in rows]),
            Series("Everyone else", [sum(row[2:7:2]) or None for row in rows]),
        ],
        title="Owner load by week",
        description="Dispatches, job-thread answers and request approvals each week, "
        "by the owner and by everyone else.",
        integer=True,
    )
    shares = [row[-1] for row in rows if row[-1] is not None]
    trend = f"{shares[0]:.0f}% → {shares[-1]:.0f}%" if len(shares) > 1 else "—"
    return Report(
        slug="owner-load",
        title="Owner load",
        range=span,
        columns=[
            Column("Week of", "text"),
            Column("Dispatches: owner"),
            Column("Dispatches: others"),
            Column("Thread answers: owner"),
            Column("Thread answers: others"),
            Column("Approvals: owner"),
            Column("Approvals: others"),
            Column("Owner share", "percent"),
        ],
        rows=rows,
        total=["All weeks", *sums, share],
        chart=chart,
        legend=[("The owner", None), ("Everyone else", None)],
        headline=[("Owner share", _percent_text(share)), ("First week → last week", trend)],
    )


# -- 7. what each contract earns, 8. what each plotter model costs -------------------------

CHARTED_ROWS = 12


def contract_earnings_report(span: DateRange, zone: ZoneInfo) -> Report:
    """Per contract: its price for its days in the range against the hours on site and the
    parts used on its plotters; the margin. Least profitable first."""
    hourly = hourly_cost_cents()
    found = contract_earnings(span.start, span.end, zone, hourly)
    found = [one for one in found if one.days]
    found.sort(key=lambda one: (one.margin_cents, one.contract.number))
    rows = [
        [
            one.contract.number,
            one.contract.customer.name,
            one.contract.state_label,
            len(one.plotter_ids),
            one.costs.visits,
            round(one.costs.hours, 1),
            one.revenue_cents,
            one.costs.parts_cents,
            one.labour_cents,
            one.margin_cents,
            one.margin_percent,
        ]
        for one in found
    ]
    revenue = sum(one.revenue_cents for one in found)
    margin = sum(one.margin_cents for one in found)
    costliest = sorted(found, key=lambda one: -one.cost_cents)[:CHARTED_ROWS]
    chart = hbar_chart(
        [f"{one.contract.number} {one.contract.customer.name}"[:34] for one in costliest],
        [one.cost_cents for one in costliest],
        title="What the costliest contracts cost",
        description="Parts and hours on site in the range, per contract, costliest first.",
        fmt=_dollars,
    )
    return Report(
        slug="contract-earnings",
        title="What each contract earns",
        range=span,
        columns=[
            Column("Contract", "text"),
            Column("Customer", "text"),
            Column("State", "text"),
            Column("Plotters"),
            Column("Visits"),
            Column("Hours on site", "hours"),
            Column("Revenue", "money"),
            Column("Parts", "money"),
            Column("Labour", "money"),
            Column("Margin", "money"),
            Column("Margin rate", "percent"),
        ],
        rows=rows,
        total=[
            "All contracts",
            "",
            "",
            sum(len(one.plotter_ids) for one in found),
            sum(one.costs.visits for one in found),
            round(sum(one.costs.hours for one in found), 1),
            revenue,
            sum(one.costs.parts_cents for one in found),
            sum(one.labour_cents for one in found),
            margin,
            _pct(margin, revenue) if revenue else None,
        ],
        chart=chart,
        headline=[
            ("Revenue", _dollars(revenue)),
            ("Margin", _dollars(margin)),
            ("Losing money", f"{sum(1 for one in found if one.margin_cents < 0):,} contracts"),
            ("Hourly cost", f"${hourly / 100:,.2f}"),
        ],
    )


def model_costs_report(span: DateRange, zone: ZoneInfo) -> Report:
    """Per plotter model: the hours and parts its visits took in the range, per plotter."""
    hourly = hourly_cost_cents()
    found = [row for row in model_costs(span.start, span.end, zone, hourly) if row.plotters]
    rows = [
        [
            f"{row.make} {row.model}",
            row.plotters,
            row.costs.visits,
            round(row.costs.hours, 1),
            row.costs.parts_cents,
            row.labour_cents,
            row.cost_cents,
            row.cost_per_plotter_cents,
            row.revenue_cents,
        ]
        for row in found
    ]
    charted = found[:CHARTED_ROWS]
    chart = hbar_chart(
        [f"{row.make} {row.model}" for row in charted],
        [row.cost_per_plotter_cents for row in charted],
        title="Cost to keep running, per plotter",
        description="Parts and hours on site in the range divided by the plotters in service.",
        fmt=_dollars,
    )
    plotters = sum(row.plotters for row in found)
    cost = sum(row.cost_cents for row in found)
    return Report(
        slug="model-costs",
        title="What each plotter model costs to keep running",
        range=span,
        columns=[
            Column("Model", "text"),
            Column("Plotters in service"),
            Column("Visits"),
            Column("Hours on site", "hours"),
            Column("Parts", "money"),
            Column("Labour", "money"),
            Column("Cost", "money"),
            Column("Cost per plotter", "money"),
            Column("Contract revenue", "money"),
        ],
        rows=rows,
        total=[
            "All models",
            plotters,
            sum(row.costs.visits for row in found),
            round(sum(row.costs.hours for row in found), 1),
            sum(row.costs.parts_cents for row in found),
            sum(row.labour_cents for row in found),
            cost,
            round(cost / plotters) if plotters else 0,
            sum(row.revenue_cents for row in found),
        ],
        chart=chart,
        headline=[
            ("Cost of keeping plotters running", _dollars(cost)),
            ("Costliest per plotter", f"{found[0].make} {found[0].model}" if found else "—"),
        ],
    )


def sort_rows(report: Report, column: int | None, descending: bool) -> Report:
    """The table sorted by one column (empty cells last), as the page's headers ask."""
    if column is None or not 0 <= column < len(report.columns):
        return report
    kind = report.columns[column].kind

    def key(row):
        value = row[column]
        if value is None:
            return (1, 0)
        return (0, str(value).casefold() if kind == "text" else value)

    present = [row for row in report.rows if row[column] is not None]
    missing = [row for row in report.rows if row[column] is None]
    report.rows = sorted(present, key=key, reverse=descending) + missing
    return report


REPORTS: dict[str, ReportKind] = {
    kind.slug: kind
    for kind in (
        ReportKind(
            "first-time-fix",
            "First-time-fix rate",
            "How often is a job fixed on the first visit?",
            "Jobs done in the range, by the week they were done, that needed exactly one visit, "
            "out of all jobs done with at least one visit. Preventive maintenance is left out: "
            "it always takes one visit.",
            first_time_fix,
        ),
        ReportKind(
            "time-to-resolve",
            "Mean time to resolve",
            "How long does a customer wait from the call to a working plotter?",
            "Hours from a job being opened to being done, for jobs done in the range, by the "
            "week they were done. Preventive maintenance is left out: it is planned, not waited "
            "for.",
            time_to_resolve,
        ),
        ReportKind(
            "jobs-per-tech",
            "Jobs per tech per week",
            "How is the work spread across the team?",
            "Jobs done each week, by the tech they were assigned to (every kind of job).",
            jobs_per_tech,
        ),
        ReportKind(
            "parts-cost",
            "Parts cost per customer per month",
            "Which customers use the most parts, and when?",
            "Parts used on visits at their cost when they were used, by the customer who owns "
            "the plotter and the month they were used.",
            parts_cost,
        ),
        ReportKind(
            "repeat-failures",
            "Repeat failures by plotter model",
            "Which models keep coming back?",
            "A breakdown is a visit that was not preventive maintenance; more visits on the same "
            "job are the same breakdown. It is a repeat when the same plotter broke down within "
            "30 days before. Counted by the day of the visit.",
            repeat_failures,
        ),
        ReportKind(
            "owner-load",
            "Owner load",
            "Is the owner still the bottleneck?",
            "Dispatches (jobs opened or assigned), answers on job threads by office staff, and "
            "approvals of service requests (converted or dismissed), done by the owner (the "
            "admin) versus everyone else, week by week.",
            owner_load,
        ),
        ReportKind(
            "contract-earnings",
            "What each contract earns",
            "Which contracts pay, and which cost more than they bring in?",
            "For each contract in force on some day of the range: its price a year for those "
            "days (price × days ÷ 365), against the parts used on its plotters' visits (at their "
            "cost when used) and the hours on site (each visit from start to finish) at the "
            "hourly cost in Settings. Visits count on the days of the contract's term.",
            contract_earnings_report,
        ),
        ReportKind(
            "model-costs",
            "Cost per plotter model",
            "Which plotter models cost the most to keep running?",
            "Every finished visit in the range, by the model of its plotter: hours on site at "
            "the hourly cost in Settings plus the parts used, per plotter in service; beside "
            "it, the contract revenue of those plotters (a contract's share per plotter).",
            model_costs_report,
        ),
    )
}


def build_report(slug: str, span: DateRange, zone: ZoneInfo) -> Report:
    return REPORTS[slug].build(span, zone)


# -- formatting for pages and CSV ---------------------------------------------------------


def cell_text(value, kind: str) -> str:
    """How a cell reads on the page."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "money":
        return f"${value / 100:,.2f}"
    if kind == "int":
        return f"{value:,}"
    return str(value)


def cell_csv(value, kind: str) -> str:
    """How a cell is written to CSV: plain numbers a spreadsheet reads (money in dollars)."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value / 100:.2f}"
    if kind in ("percent", "hours"):
        return f"{value:.1f}"
    return str(value)


def csv_header(column: Column) -> str:
    unit = {"percent": " (%)", "hours": " (hours)", "money": " (USD)"}.get(column.kind, "")
    return column.title + unit
