"""Generate the demo business: 18 months of service history and today's work, in one unit of
work (the command commits it)."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.planner import PlanRun, meter_readings_of, refresh_due, run_planner
from fieldapp.contracts.projection import Reading, add_months
from fieldapp.contracts.services import describe
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.equipment.models import Equipment, MeterReading, QrLabel
from fieldapp.equipment.tokens import ALPHABET, TOKEN_LENGTH
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    PartReturn,
    StockLevel,
    StockLocation,
    StockMovement,
    Supplier,
)
from fieldapp.jobs.models import Job
from fieldapp.messages.models import Message
from fieldapp.public.models import ServiceRequest
from fieldapp.sops.models import SopStep, SopTraining, SopVersion
from fieldapp.visits.models import OUTCOME_LABELS, StepResult, Visit, VisitErrorCode
from fieldapp.visits.rules import StepRule, recorded_status

from . import data
from .sops import PRINTHEAD_LOG, publish_core_sops, publish_preventive_v2

HISTORY_DAYS = 548  # about 18 months
# The story the owner-load report tells: 18 months ago Frank dispatched, answered and approved
# most things himself; since FieldApp, Maria and the techs do, and his share falls to a sliver.
OWNER_SHARE_THEN, OWNER_SHARE_NOW = 0.82, 0.07
TARGET_VISITS = 400
RECENT_QUIET_DAYS = 30  # no generated visits on plotters with a scripted story this recently
UNCLAIMED_LABELS = 12
_SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PM_V2_DAYS_AGO = 40  # business days since the PM's version 2 was published
# Training that shows every state on the matrix: Luis has not read the parts SOP yet; Sam and
# Luis signed the PM's version 2 (days after it came out), Priya only version 1; Maria saw
# Sam do version 2 on a visit.
NEVER_SIGNED = {(data.LUIS, "parts-use-van-restock")}
SIGNED_PM_V2 = {data.SAM: 1, data.LUIS: 6}
OBSERVED_PM_V2 = data.SAM
SOP_OF = {"repair": "onsite-diagnostic-repair", "preventive": "preventive-maintenance"}
PRINTHEAD_NOTES = (
    "Printhead log: one head at status 2 (replace); quoted a new head.",
    "Printhead log: head at status 4 (reseat); reseated it, reads OK now.",
    "Health score down to 3 on the black head; nozzle check shows gaps.",
)


@dataclass(eq=False)
class Plotter:
    seed: data.PlotterSeed
    customer_seed: data.CustomerSeed
    customer: Customer
    row: Equipment
    model: data.PlotterModel
    installed_on: date
    retired_on: date | None
    rate: float  # square feet a working day
    weight: float  # how often it breaks, relative to the others

    def in_service(self, day: date) -> bool:
        return self.installed_on <= day and (self.retired_on is None or day < self.retired_on)


@dataclass(eq=False)
class Tech:
    user: User
    van: StockLocation
    joined: date
    makes: dict[str, int]  # how likely they are sent to each make


@dataclass(eq=False)
class Term:
    """One contract of the demo: its seed, its row and the plotters it covers."""

    seed: data.ContractSeed
    row: Contract
    plotters: list[Plotter]
    every_months: int | None  # the term's own calendar interval (None: the seed's rules)
    author: User
    renews: Term | None = None


@dataclass(eq=False)
class PlannedVisit:
    id: uuid.UUID
    plotter: Plotter
    tech: Tech
    job: Job
    start: datetime
    end: datetime
    sop: str  # "repair" or "preventive"
    outcome: str
    summary: str
    codes: tuple[str, ...] = ()
    parts: list[tuple[str, int]] = field(default_factory=list)  # (sku, quantity)
    # (step position, status, note) overriding the default result of that step.
    step_overrides: dict[int, tuple[str, str]] = field(default_factory=dict)
    fail_follow_up: Job | None = None
    meter: int | None = None
    has_meter: bool = True
    signoff: str = ""
    unlogged_pickup: bool = False


def seed_demo_data(rng: random.Random, now: datetime, tz: tzinfo = UTC) -> dict[str, int]:
    """Fill an empty database with the demo business relative to `now` (flush only); count it."""
    return _DemoBusiness(rng, now, tz).build()


class _DemoBusiness:
    """The generator's working state; build() runs each stage in order."""

    def __init__(self, rng: random.Random, now: datetime, tz: tzinfo):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.rng = rng
        self.now = now
        self.tz = tz
        self.today = now.astimezone(tz).date()
        self.history_end = _business_day_before(self.today, 1)
        self.history_start = self.today - timedelta(days=HISTORY_DAYS)
        self.history_start_at = self.now - timedelta(days=HISTORY_DAYS)
        self.tokens: set[str] = set()
        self.users: dict[str, User] = {}
        self.techs: list[Tech] = []
        self.plotters: list[Plotter] = []
        self.parts: dict[str, Part] = {}
        # The level below which each part is reordered (the warehouse's minimum derives from it).
        self.reorder_points: dict[str, int] = {}
        self.part_by_role: dict[tuple[str, str], str] = {}  # (model, category) -> sku
        self.warehouse: StockLocation | None = None
        self.jobs: list[Job] = []
        self.visits: list[PlannedVisit] = []
        self.follow_ups: list[tuple[Job, Job]] = []  # (follow-up job, the job it follows)
        self.waiting: list[tuple[Job, PlannedVisit]] = []
        self.busy: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
        self.reserved: set[Plotter] = set()  # plotters with a scripted recent story
        self.tagged_jobs: dict[str, Job] = {}
        self.events: list[dict] = []
        self.steps: dict[int, list[SopStep]] = {}  # by version id, in order
        self.versions: dict[str, list[SopVersion]] = defaultdict(list)  # by slug, oldest first
        self.today_jobs: list[Job] = []
        self.terms: list[Term] = []
        self.plans: list[PmPlan] = []
        self.planner: PlanRun | None = None

    # -- stages ---------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self.add_users()
        self.add_sops()
        self.add_customers_and_plotters()
        self.add_contracts()
        self.add_parts_and_locations()
        self.plan_recent_visits()
        self.plan_preventive_visits()
        self.plan_repairs()
        self.add_today_jobs()
        self.link_jobs_to_contracts()
        self.write_jobs()
        self.assign_meter_readings()
        self.write_visits()
        self.add_pm_plans()
        self.plan_pm_jobs()
        movements = self.write_stock_ledger()
        self.write_requests_and_threads()
        self.write_dispatch_history()
        self.write_events()
        summary = {
            "users": len(self.users),
            "customers": len(data.CUSTOMERS),
            "plotters": len(self.plotters),
            "retired plotters": sum(1 for p in self.plotters if p.retired_on),
            "parts": len(self.parts),
            "jobs": len(self.jobs),
            "open jobs": sum(1 for job in self.jobs if job.is_open),
            "visits": len(self.visits),
            "contracts": len(self.terms),
            "PM plans": len(self.plans),
            "PM jobs planned": len(self.planner.made) if self.planner else 0,
            "stock movements": movements,
            "activity events": len(self.events),
        }
        db.session.flush()
        return summary

    def add_users(self) -> None:
        for seed in data.DEMO_USERS:
            joined = _months_before(self.today, data.JOINED_MONTHS_AGO[seed["email"]])
            user = User(**seed, created_at=self.local(joined, "08:00"))
            user.set_password(data.DEMO_PASSWORD)
            self.users[seed["email"]] = user
        db.session.add_all(self.users.values())
        db.session.flush()

    def add_sops(self) -> None:
        """The four core SOPs through the same draft and publish as the editor, version 1
        before the history starts and the PM's version 2 a few weeks ago; the team's
        sign-offs, some of them not of the latest version yet."""
        owner = self.users[data.FRANK]
        published = self.local(self.history_start - timedelta(days=60), "17:00")
        second = self.local(_business_day_before(self.today, PM_V2_DAYS_AGO), "17:30")
        versions = publish_core_sops(owner.id)
        newer = publish_preventive_v2(owner.id)
        db.session.flush()
        # publish_sop_version stamps "now"; the demo's SOPs predate the history they guide.
        db.session.execute(
            sa.update(ActivityEvent)
            .where(ActivityEvent.verb.in_(("sop.created", "sop.published")))
            .values(at=published)
        )
        db.session.execute(
            sa.update(ActivityEvent)
            .where(
                ActivityEvent.verb == "sop.published",
                ActivityEvent.summary == f"Published {newer.sop.title} v{newer.number}",
            )
            .values(at=second)
        )
        for version in versions.values():
            version.published_at = published
            version.sop.created_at = published
        newer.published_at = second
        for slug, version in [*versions.items(), (newer.sop.slug, newer)]:
            self.versions[slug].append(version)
            self.steps[version.id] = list(
                db.session.scalars(
                    sa.select(SopStep)
                    .where(SopStep.version_id == version.id)
                    .order_by(SopStep.position)
                )
            )
        trainings = []
        for user in self.users.values():
            for slug, version in versions.items():
                if user.role == "tech" or slug in ("service-call-intake", "parts-use-van-restock"):
                    signed = max(published, user.created_at)
                    signed += timedelta(days=self.rng.randint(1, 20))
                    if (user.email, slug) not in NEVER_SIGNED:
                        trainings.append(
                            SopTraining(user_id=user.id, version_id=version.id, signed_at=signed)
                        )
        # Version 2 of the PM: signed by some techs (one also seen doing it by the office),
        # not yet by the others, whose sign-off is of version 1 (outdated).
        for email, days_after in SIGNED_PM_V2.items():
            record = SopTraining(
                user_id=self.users[email].id,
                version_id=newer.id,
                signed_at=second + timedelta(days=days_after, hours=2),
            )
            if email == OBSERVED_PM_V2:
                record.observed_at = second + timedelta(days=days_after + 7, hours=5)
                record.observed_by_id = self.users[data.MARIA].id
            trainings.append(record)
        db.session.add_all(trainings)

    def version_followed(self, slug: str, at: datetime) -> SopVersion:
        """The latest version of the SOP published by then (a visit follows what was current)."""
        return [v for v in self.versions[slug] if v.published_at <= at][-1]

    def add_sites(self, customer: Customer, cseed: data.CustomerSeed) -> dict[str, Site]:
        """The customer's sites, each with its site contact."""
        sites = {}
        for seed in cseed.sites:
            site = Site(
                customer=customer,
                name=seed.name,
                address=seed.address,
                access_notes=seed.access_notes,
                opening_hours=seed.opening_hours,
            )
            name, role, phone = seed.contact
            db.session.add(site)
            db.session.add(
                Contact(
                    customer=customer,
                    site=site,
                    name=name,
                    role=role,
                    phone=phone,
                    is_site_contact=True,
                )
            )
            sites[seed.name] = site
        return sites

    def add_customers_and_plotters(self) -> None:
        labels_start = self.history_start - timedelta(days=45)
        claimers = [self.users[data.SAM], self.users[data.PRIYA]]
        serials: set[tuple[str, str]] = set()
        for cseed in data.CUSTOMERS:
            installs = []
            for pseed in cseed.plotters:
                model = data.MODELS[pseed.model]
                earliest = max(date(model.released, 3, 1), date(2017, 1, 1))
                latest = self.today - timedelta(days=200)
                installs.append(_random_date(self.rng, earliest, latest))
            since = min(installs) - timedelta(days=self.rng.randint(10, 400))
            customer = Customer(
                name=cseed.name,
                contact_name=cseed.contact,
                phone=cseed.phone,
                email=cseed.email,
                address=cseed.address,
                notes=cseed.notes,
                created_at=self.local(since, "10:00"),
            )
            db.session.add(customer)
            sites = self.add_sites(customer, cseed)
            for pseed, installed_on in zip(cseed.plotters, installs, strict=True):
                model = data.MODELS[pseed.model]
                serial = self.serial(model.make, serials)
                retired_on = None
                notes = pseed.notes
                if pseed.retired:
                    retired_on = self.today - timedelta(days=self.rng.randint(150, 270))
                    notes = f"{notes} Retired {retired_on:%B %Y}.".strip()
                low, high = model.usage
                middle = (low + high) / 2
                rate = (
                    self.rng.uniform(middle, high)
                    if pseed.heavy
                    else (self.rng.uniform(low, middle))
                )
                token = self.token()
                row = Equipment(
                    customer=customer,
                    site=sites.get(pseed.site),
                    make=model.make,
                    model=model.model,
                    serial_number=serial,
                    location_note=pseed.location,
                    installed_on=installed_on,
                    status="retired" if retired_on else "active",
                    qr_token=token,
                    notes=notes,
                    meter_unit=model.meter_unit,
                    created_at=self.local(installed_on, "09:00"),
                )
                printed = max(labels_start, installed_on)
                claimed_at = self.local(printed, "11:00") + timedelta(days=self.rng.randint(0, 20))
                db.session.add(
                    QrLabel(
                        token=token,
                        status="active",
                        equipment=row,
                        printed_at=self.local(printed, "08:00"),
                        claimed_at=claimed_at,
                        claimed_by_id=self.rng.choice(claimers).id,
                    )
                )
                self.plotters.append(
                    Plotter(
                        pseed,
                        cseed,
                        customer,
                        row,
                        model,
                        installed_on,
                        retired_on,
                        rate,
                        weight=(3.0 if pseed.heavy else 1.0),
                    )
                )
        # A sheet of labels printed ahead, waiting to be claimed on site.
        printed = self.now - timedelta(days=14)
        db.session.add_all(
            QrLabel(token=self.token(), status="unclaimed", printed_at=printed)
            for _ in range(UNCLAIMED_LABELS)
        )
        db.session.flush()

    def add_parts_and_locations(self) -> None:
        suppliers = {
            name: Supplier(name=name, contact=contact, email=email, lead_time_days=days)
            for name, contact, email, days in data.SUPPLIERS
        }
        for pseed in data.PARTS:
            supplier = suppliers[data.SUPPLIER_OF.get(pseed.manufacturer, data.SUPPLIERS[-1][0])]
            part = Part(
                sku=pseed.sku,
                name=pseed.name,
                manufacturer=pseed.manufacturer,
                manufacturer_part_number=pseed.mpn,
                category=pseed.category,
                consumable=pseed.category == "consumable",
                unit_cost_cents=pseed.cost_cents,
                supplier=supplier,
                supplier_part_number=f"{supplier.name[:3].upper()}-{pseed.mpn or pseed.sku}"[:40],
                compatible=[
                    PartCompatibility(model=data.MODELS[key].model) for key in pseed.models
                ],
            )
            self.parts[pseed.sku] = part
            self.reorder_points[pseed.sku] = pseed.reorder_point
            for key in pseed.models:
                self.part_by_role.setdefault((key, pseed.category), pseed.sku)
        db.session.add_all(self.parts.values())
        self.warehouse = StockLocation(name="Warehouse", kind="warehouse")
        db.session.add(self.warehouse)
        for email, makes in data.TECH_MAKES.items():
            user = self.users[email]
            van = StockLocation(name=f"{user.first_name}'s van", kind="van", tech_id=user.id)
            db.session.add(van)
            joined = _months_before(self.today, data.JOINED_MONTHS_AGO[email])
            self.techs.append(Tech(user, van, max(joined, self.history_start), makes))
        db.session.flush()

    # -- contracts and PM plans -----------------------------------------------------------

    def add_contracts(self) -> None:
        """Most customers' contracts of a year, built as the contract pages would leave them:
        one renewed from the term before it, two with their renewal drafted, one lapsed; each
        with the events of its drafting, activation and expiry. Covers the plotters in
        service; the plans come once the visits (and their meter readings) are written."""
        for seed in data.CONTRACTS:
            plotters = [
                plotter
                for plotter in self.plotters
                if plotter.customer_seed.name == seed.customer and plotter.retired_on is None
            ]
            ends = self.today + timedelta(days=seed.ends_in_days)
            starts = _year_before(ends)
            before = None
            if seed.renewed:
                # The previous term: the customer's old PM interval, expired and renewed.
                previous_ends = starts - timedelta(days=1)
                before = self.term(
                    seed,
                    plotters,
                    _year_before(previous_ends),
                    previous_ends,
                    "expired",
                    plotters[0].customer_seed.pm_months or 6,
                )
            term = self.term(seed, plotters, starts, ends, seed.state, seed.every_months, before)
            if seed.renewal_drafted:
                after = ends + timedelta(days=1)
                self.term(
                    seed, plotters, after, after + (ends - starts), "draft", seed.every_months, term
                )
        self.number_contracts()
        db.session.add_all(term.row for term in self.terms)
        db.session.flush()
        for term in self.terms:
            self.contract_events(term)

    def term(
        self,
        seed: data.ContractSeed,
        plotters: list[Plotter],
        starts: date,
        ends: date,
        state: str,
        every_months: int | None,
        renews: Term | None = None,
    ) -> Term:
        # A renewal is drafted a few weeks before the term it follows ends (or, when that is
        # still ahead, in the last few days); a first contract a fortnight before it starts.
        if renews is not None:
            drafted_on = min(renews.row.ends_on - timedelta(days=30), self.today)
            drafted_on = min(drafted_on, _business_day_before(self.today, 4))
        else:
            drafted_on = starts - timedelta(days=14)
        drafted = self.local(drafted_on, "10:00")
        author = self.office_person_on(drafted)
        row = Contract(
            customer=plotters[0].customer,
            starts_on=starts,
            ends_on=ends,
            price_cents_per_year=_contract_price_cents(seed, plotters),
            covers_labour=True,
            covers_parts=seed.parts,
            covers_consumables=seed.consumables,
            response_hours=seed.response_hours,
            notes=seed.notes if state != "expired" or not seed.renewed else "",
            state=state,
            renewal_of=renews.row if renews else None,
            created_by_id=author.id,
            created_at=drafted,
            updated_at=drafted,
            plotters=[plotter.row for plotter in plotters],
        )
        term = Term(seed, row, plotters, every_months, author, renews)
        self.terms.append(term)
        return term

    def number_contracts(self) -> None:
        """SC-<year the term starts>-NNN, in the order the terms start."""
        serials: dict[int, int] = defaultdict(int)
        for term in sorted(self.terms, key=lambda one: (one.row.starts_on, one.seed.customer)):
            year = term.row.starts_on.year
            serials[year] += 1
            term.row.number = f"SC-{year}-{serials[year]:03d}"

    def contract_events(self, term: Term) -> None:
        """What the contract services would have recorded, at the time they did."""
        row = term.row
        name = row.customer.name
        actor = term.author
        if term.renews is not None:
            summary = f"Contract {term.renews.row.number} renewed as {row.number} (draft)"
        else:
            summary = f"Contract {row.number} drafted for {name}"
        self.event(row.created_at, actor, "contract.saved", "contract", row.id, summary)
        if row.state == "draft":
            return
        activated = self.local(min(row.starts_on, self.today), "08:00")
        activated = max(activated, row.created_at + timedelta(hours=1))
        self.event(
            activated,
            actor,
            "contract.saved",
            "contract",
            row.id,
            f"Contract {row.number} is active",
        )
        row.updated_at = activated
        if row.state == "expired":
            # The planner's nightly run the day after the term ended.
            expired = self.local(row.ends_on + timedelta(days=1), "02:00")
            summary = f"Contract {row.number} expired on {row.ends_on}"
            self.event(expired, None, "contract.saved", "contract", row.id, summary)
            row.updated_at = expired

    def office_person_on(self, at: datetime) -> User:
        """Who wrote a contract then: the owner while he still did most things himself (no
        random draw, so the rest of the demo stays as it was)."""
        return self.users[data.FRANK if self.owner_share(at) > 0.5 else data.MARIA]

    def link_jobs_to_contracts(self) -> None:
        """A job on a plotter under contract names it, and a repair gets the response time
        it promised, met (or not) by its first visit, as the contracts' listener does."""
        covering: dict[int, list[Contract]] = defaultdict(list)
        for term in self.terms:
            if term.row.state != "draft":
                for plotter in term.plotters:
                    covering[id(plotter.row)].append(term.row)
        first_visit: dict[int, datetime] = {}
        for visit in self.visits:
            key = id(visit.job)
            first_visit[key] = min(first_visit.get(key, visit.start), visit.start)
        for job in self.jobs:
            day = job.created_at.astimezone(self.tz).date()
            found = [
                contract
                for contract in covering.get(id(job.equipment), [])
                if contract.starts_on <= day <= contract.ends_on
            ]
            if not found:
                continue
            contract = max(found, key=lambda one: one.starts_on)
            job.contract_id = contract.id
            if job.kind != "preventive" and contract.response_hours:
                job.respond_by = job.created_at + timedelta(hours=contract.response_hours)
                job.responded_at = first_visit.get(id(job))

    def add_pm_plans(self) -> None:
        """A PM plan per covered plotter, following the PM SOP, counting from the plotter's
        last PM in the history (its day and meter reading), or from the term's start when it
        has had none; due dates worked out from the readings as the planner does."""
        sop_id = self.versions[SOP_OF["preventive"]][0].sop_id
        pms: dict[Plotter, list[PlannedVisit]] = defaultdict(list)
        for visit in sorted(self.visits, key=lambda one: one.start):
            if visit.outcome == "pm_done":
                pms[visit.plotter].append(visit)
        readings = meter_readings_of([plotter.row.id for plotter in self.plotters])
        events = []
        for term in self.terms:
            if term.seed.no_plans:
                continue
            made = []
            for plotter in term.plotters:
                every_meter, every_months = self.intervals(term, plotter)
                series = readings.get(plotter.row.id, [])
                done = [
                    visit
                    for visit in pms[plotter]
                    if visit.start.astimezone(self.tz).date() <= min(term.row.ends_on, self.today)
                ]
                last = done[-1] if done else None
                plan = PmPlan(
                    equipment=plotter.row,
                    contract=term.row,
                    every_months=every_months,
                    every_meter=every_meter,
                    sop_id=sop_id,
                    lead_days=data.LEAD_DAYS,
                    assign_usual_tech=True,
                    active=True,
                    starts_on=term.row.starts_on,
                    created_by_id=term.author.id,
                    created_at=term.row.created_at + timedelta(minutes=20),
                )
                if last is not None:
                    plan.last_done_on = last.start.astimezone(self.tz).date()
                    plan.last_done_visit_id = last.id
                    plan.base_meter = _reading_on(last, plan.last_done_on, series)
                elif every_meter is not None:
                    plan.base_meter = _reading_on(None, term.row.starts_on, series)
                refresh_due(plan, series)
                made.append(plan)
            self.plans.extend(made)
            if made:
                events.append((term, made))
        db.session.add_all(self.plans)
        db.session.flush()
        for term, made in events:
            count = len(made)
            where = f"contract {term.row.number}"
            self.event(
                term.row.created_at + timedelta(minutes=20),
                term.author,
                "pm.planned",
                "contract",
                term.row.id,
                f"PM plan {describe(made[0])} for {count} plotter{'s' if count != 1 else ''} "
                f"({where})",
            )

    def intervals(self, term: Term, plotter: Plotter) -> tuple[int | None, int | None]:
        """(every_meter, every_months) of the plotter's plan on the term: by the meter only
        on the production plotters that count square feet; by the calendar otherwise."""
        seed = term.seed
        meter = (
            seed.every_meter
            if seed.every_meter
            and term.every_months == seed.every_months
            and plotter.seed.heavy
            and plotter.model.meter_unit == "sq_ft"
            else None
        )
        months = term.every_months
        if months is None and meter is None:
            months = plotter.customer_seed.pm_months or 6
        return meter, months

    def plan_pm_jobs(self) -> None:
        """The planner's run for today, as the worker makes it every morning: the PM jobs of
        the plans due within their lead time."""
        db.session.flush()
        self.planner = run_planner(self.today)

    # -- planning -------------------------------------------------------------------------

    def plan_recent_visits(self) -> None:
        """The scripted last few weeks: a recurrence, parts on order, a van gone negative."""
        for recent in data.RECENT_VISITS:
            plotter = self.find_plotter(recent.plotter)
            tech = self.tech(recent.tech)
            day = _business_day_before(self.today, recent.days_ago)
            start = self.local(day, recent.time)
            self.reserved.add(plotter)
            if recent.fault is None:
                visit = self.plan_preventive(plotter, tech, start, outcome=recent.outcome)
            else:
                fault = data.FAULTS_BY_KEY[recent.fault]
                job = self.new_job(plotter, "repair", fault.problem, fault.code, start)
                visit = self.repair_visit(
                    plotter, tech, job, start, fault, recent.outcome, with_part=True
                )
                visit.unlogged_pickup = recent.unlogged_pickup
            minutes = int((visit.end - visit.start).total_seconds() // 60)
            hour, minute = (int(part) for part in recent.time.split(":"))
            begin = hour * 60 + minute
            self.busy[(tech.user.id, day)].append((begin, begin + minutes))
            if recent.tag:
                self.tagged_jobs[recent.tag] = visit.job
        for ref in [job.plotter for job in data.TODAY_JOBS] + [
            request.plotter for request in data.SERVICE_REQUESTS
        ]:
            self.reserved.add(self.find_plotter(ref))

    def plan_preventive_visits(self) -> None:
        """Contract plotters get a PM every few months."""
        for plotter in self.plotters:
            months = plotter.customer_seed.pm_months
            if not months:
                continue
            interval = months * 30.4
            day = self.history_start + timedelta(days=self.rng.uniform(0, interval))
            while day <= self.history_end:
                if plotter.in_service(day) and self.free_for_generated(plotter, day):
                    tech = self.pick_tech(plotter, day)
                    slot = self.book(tech, day, self.rng.choice((60, 75, 90, 105, 120)))
                    if slot and slot[0].astimezone(self.tz).date() <= self.history_end:
                        self.plan_preventive(plotter, tech, slot[0], duration=slot[1])
                day += timedelta(days=interval + self.rng.uniform(-12, 12))

    def plan_repairs(self) -> None:
        """Breakdowns, weighted to the hard-worked plotters, until the history is full."""
        days = _business_days(self.history_start, self.history_end)
        faults_by_make = {
            make: [f for f in data.FAULTS if make in f.makes and f.weight]
            for make in ("HP", "Canon", "Epson")
        }
        pending: list[tuple[date, Plotter, data.Fault, date | None]] = []
        attempts = 0
        while len(self.visits) < TARGET_VISITS and attempts < 5000:
            attempts += 1
            if pending:
                day, plotter, fault, repeat_of = pending.pop()
            else:
                day = self.rng.choice(days)
                candidates = [p for p in self.plotters if p.in_service(day)]
                plotter = self.rng.choices(candidates, [p.weight for p in candidates])[0]
                choices = [
                    f
                    for f in faults_by_make[plotter.model.make]
                    if f.part is None or self.part_for(plotter, f.part)
                ]
                fault = self.rng.choices(choices, [f.weight for f in choices])[0]
                repeat_of = None
            if not (plotter.in_service(day) and self.free_for_generated(plotter, day)):
                continue
            if not repeat_of and self.seen_recently(plotter, fault.code, day):
                continue  # recurrences are made on purpose below, not by chance
            outcome = self.first_outcome(fault) if not repeat_of else "fixed"
            planned = self.plan_incident(plotter, day, fault, outcome, repeat_of)
            if planned is None:
                continue
            # Some faults come back within weeks: the recurrence hints need something to show.
            next_day = day + timedelta(days=self.rng.randint(18, 75))
            if repeat_of or next_day > self.history_end:
                continue
            if fault.repeat_as and self.rng.random() < 0.15:
                pending.append((next_day, plotter, data.FAULTS_BY_KEY[fault.repeat_as], day))
            elif outcome == "no_fault_found" and fault.code and self.rng.random() < 0.5:
                pending.append((next_day, plotter, fault, day))

    def first_outcome(self, fault: data.Fault) -> str:
        """Most calls are fixed first time; cutters and maintenance boxes are always on a van."""
        if fault.part not in (None, "cutter", "maintenance") and self.rng.random() < 0.15:
            return "needs_parts"
        roll = self.rng.random()
        if roll < 0.05:
            return "needs_followup"
        if roll < 0.13 and fault.part != "maintenance":
            return "no_fault_found"
        return "fixed"

    def plan_incident(
        self,
        plotter: Plotter,
        day: date,
        fault: data.Fault,
        outcome: str,
        repeat_of: date | None,
    ) -> Job | None:
        """One call-out: a job and its one or two visits. None when nobody was free."""
        tech = self.pick_tech(plotter, day)
        slot = self.book(tech, day, self.rng.choice((45, 60, 75, 90, 120, 150)))
        if slot is None or slot[0].astimezone(self.tz).date() > self.history_end:
            return None
        start = slot[0]
        second_day = _business_day_after(start.astimezone(self.tz).date(), self.rng.randint(2, 6))
        if outcome in ("needs_parts", "needs_followup") and second_day > self.history_end:
            outcome = "fixed"
        job = self.new_job(plotter, "repair", fault.problem, fault.code, start)
        first = self.repair_visit(
            plotter,
            tech,
            job,
            start,
            fault,
            outcome,
            with_part=(outcome != "needs_parts"),
            duration=slot[1],
        )
        if repeat_of and fault.code:
            first.summary = (
                f"Repeat {fault.code}, last seen {repeat_of:%b} {repeat_of.day}. {first.summary}"
            )
        if outcome == "needs_parts":
            self.waiting.append((job, first))
            second = self.plan_second_visit(plotter, tech, job, second_day)
            if second:
                second.codes = (fault.code,) if fault.code else ()
                part = self.parts[self.part_for(plotter, fault.part)]
                second.summary = (
                    f"Fitted the {part.name} ({part.sku}) ordered on the last visit and ran the "
                    f"service calibrations. {fault.after}."
                )
                second.parts.append((part.sku, 1))
        elif outcome == "needs_followup":
            follow = self.new_job(
                plotter,
                "repair",
                f"Follow-up: prove the fix under load ({fault.code or 'intermittent fault'}).",
                fault.code,
                first.end,
                source="follow_up",
            )
            self.follow_ups.append((follow, job))
            first.fail_follow_up = follow
            second = self.plan_second_visit(plotter, tech, follow, second_day)
            if second:
                second.summary = (
                    f"Follow-up: ran the customer's longest jobs and 10 full-width test plots. "
                    f"{fault.after}."
                )
        return job

    def plan_second_visit(
        self, plotter: Plotter, tech: Tech, job: Job, day: date
    ) -> PlannedVisit | None:
        """The return visit that closes a job: parts fitted, or a fix proven under load."""
        slot = self.book(tech, day, self.rng.choice((45, 60, 90)))
        if slot is None:
            # Nobody could go back: the customer had the plotter replaced instead.
            job.status = "cancelled"
            job.closed_at = job.updated_at = job.created_at + timedelta(days=5)
            return None
        visit = self.add_visit(plotter, tech, job, slot[0], slot[1], "repair", "fixed", "")
        job.scheduled_for = visit.start
        job.closed_at = visit.end
        job.updated_at = visit.end
        return visit

    def repair_visit(
        self,
        plotter: Plotter,
        tech: Tech,
        job: Job,
        start: datetime,
        fault: data.Fault,
        outcome: str,
        *,
        with_part: bool,
        duration: int | None = None,
    ) -> PlannedVisit:
        duration = duration or self.rng.choice((60, 75, 90))
        part_sku = self.part_for(plotter, fault.part) if fault.part else None
        part = self.parts[part_sku] if part_sku else None
        if outcome == "needs_parts" and part is not None:
            down = fault.part in ("board", "power", "belt", "cable", "service_station")
            summary = f"{fault.found}. {part.name} ({part.sku}) is not on the van: ordered. " + (
                "Plotter out of service until it is fitted."
                if down
                else "Plotter usable meanwhile; fit it when it arrives."
            )
            overrides = {
                7: ("skipped", f"Waiting for {part.name} ({part.sku})."),
                8: ("n/a", ""),
                9: ("skipped", "No repair yet."),
                10: ("fail", f"{fault.code or 'Fault'} still present; waiting for the part."),
            }
        elif outcome == "needs_followup":
            summary = (
                f"{fault.found}. {fault.fix}. Fault is intermittent, so the fix could not be "
                "proven today; follow-up booked for a long print test."
            )
            overrides = {10: ("fail", "Cleared for now; needs a long run to prove it.")}
        elif outcome == "no_fault_found":
            what = f"the {fault.code}" if fault.code else "the fault"
            summary = (
                f"Could not reproduce {what}. Ran the service tests and three of the customer's "
                "jobs without a problem; event log checked. Asked them to photograph the panel "
                "if it happens again."
            )
            overrides = {
                5: ("done", "Could not reproduce after two attempts."),
                7: ("n/a", ""),
                8: ("n/a", ""),
            }
        else:
            summary = f"{fault.found}. {fault.fix}. {fault.after}."
            overrides = {}
        visit = self.add_visit(plotter, tech, job, start, duration, "repair", outcome, summary)
        visit.codes = (fault.code,) if fault.code else ()
        visit.step_overrides = overrides
        # A dead plotter prints no usage report.
        visit.has_meter = not (outcome == "needs_parts" and fault.part in ("board", "power"))
        if with_part and part is not None and outcome in ("fixed", "needs_followup"):
            visit.parts.append((part.sku, 1))
        if outcome != "no_fault_found":
            visit.parts.extend(
                (sku, 1)
                for sku in fault.consumables
                if self.compatible(plotter, sku) and self.rng.random() < 0.8
            )
        if outcome == "needs_parts":
            job.status = "waiting_parts"
            job.closed_at = None
        return visit

    def plan_preventive(
        self,
        plotter: Plotter,
        tech: Tech,
        start: datetime,
        *,
        outcome: str | None = None,
        duration: int | None = None,
    ) -> PlannedVisit:
        months = plotter.customer_seed.pm_months or 6
        job = self.new_job(
            plotter,
            "preventive",
            f"Scheduled preventive maintenance (PM contract, every {months} months).",
            "",
            start - timedelta(days=self.rng.randint(10, 25)),
            source="preventive",
        )
        make = plotter.model.make
        visit = self.add_visit(
            plotter,
            tech,
            job,
            start,
            duration or 90,
            "preventive",
            "pm_done",
            data.PM_SUMMARIES[make],
        )
        visit.parts.extend(
            (sku, 1) for sku in data.PM_CONSUMABLES[make] if self.rng.random() < 0.85
        )
        roll = self.rng.random() if outcome is None else 1.0
        cutter_note = "cutter OK"
        if make != "HP" and self.rng.random() < 0.35:
            box = self.part_for(plotter, "maintenance")
            if box:
                visit.parts.append((box, 1))
                visit.summary += " Replaced the maintenance cartridge (nearly full)."
        if roll < 0.06 and self.part_for(plotter, "belt"):
            belt = self.parts[self.part_for(plotter, "belt")]
            note = "Bare fibres and black dust along the rail: belt near the end of its life."
            visit.outcome = "needs_parts"
            visit.summary += f" Carriage belt worn (bare fibres, black dust): ordered {belt.sku}."
            visit.step_overrides[6] = ("fail", note)
            day = _business_day_after(start.astimezone(self.tz).date(), self.rng.randint(3, 8))
            if day <= self.history_end:
                follow = self.new_job(
                    plotter,
                    "repair",
                    f"Replace worn carriage belt found at PM ({belt.sku}).",
                    "",
                    visit.end,
                    source="follow_up",
                    priority="normal",
                )
                self.follow_ups.append((follow, job))
                visit.fail_follow_up = follow
                second = self.plan_second_visit(plotter, tech, follow, day)
                if second:
                    second.summary = (
                        f"Fitted the {belt.name} ordered at the PM; ran the scan-axis "
                        "calibration. Test plot clean."
                    )
                    second.parts.append((belt.sku, 1))
        elif roll < 0.10 and self.part_for(plotter, "cutter"):
            cutter = self.part_for(plotter, "cutter")
            visit.parts.append((cutter, 1))
            cutter_note = "replaced the cutter from the van (it was tearing the edge)"
            visit.step_overrides[8] = ("fail", "Ragged edge on bond; replaced cutter assembly.")
        visit.summary = visit.summary.format(
            cutter=cutter_note, Cutter=cutter_note[0].upper() + cutter_note[1:]
        )
        if outcome is not None:
            visit.outcome = outcome
        return visit

    def add_visit(
        self,
        plotter: Plotter,
        tech: Tech,
        job: Job,
        start: datetime,
        minutes: int,
        sop: str,
        outcome: str,
        summary: str,
    ) -> PlannedVisit:
        visit = PlannedVisit(
            id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            plotter=plotter,
            tech=tech,
            job=job,
            start=start,
            end=start + timedelta(minutes=minutes),
            sop=sop,
            outcome=outcome,
            summary=summary,
            signoff=self.rng.choice(self.site_people(plotter)),
        )
        job.assigned_to = tech.user
        job.scheduled_for = job.scheduled_for or start
        job.status = "done"
        job.closed_at = job.updated_at = visit.end
        self.visits.append(visit)
        return visit

    def new_job(
        self,
        plotter: Plotter,
        kind: str,
        problem: str,
        code: str,
        visit_start: datetime,
        *,
        source: str | None = None,
        priority: str | None = None,
    ) -> Job:
        if source is None:
            source = self.rng.choices(("phone", "email", "qr_request", "walk_in"), (10, 5, 2, 1))[0]
        if priority is None:
            priority = (
                self.rng.choice(("low", "normal"))
                if kind == "preventive"
                else self.rng.choices(("low", "normal", "high", "urgent"), (1, 5, 3, 1))[0]
            )
        if kind == "preventive" or source == "follow_up":
            created = visit_start
        else:
            created = visit_start - timedelta(minutes=self.rng.randint(60, 60 * 48))
        creator = self.office_person(created)
        job = Job(
            customer=plotter.customer,
            equipment=plotter.row,
            kind=kind,
            problem=problem,
            error_code=code,
            priority=priority,
            status="new",
            source=source,
            caller_name="" if kind == "preventive" else self.rng.choice(self.site_people(plotter)),
            caller_phone="" if kind == "preventive" else plotter.customer.phone,
            created_by=creator,
            created_at=created,
            updated_at=created,
        )
        self.jobs.append(job)
        return job

    def add_today_jobs(self) -> None:
        maria = self.users[data.MARIA]
        for spec in data.TODAY_JOBS:
            plotter = self.find_plotter(spec.plotter)
            created = self.now - timedelta(hours=spec.created_hours_ago)
            tech = self.tech(spec.tech) if spec.tech else None
            job = Job(
                customer=plotter.customer,
                equipment=plotter.row,
                kind=spec.kind,
                problem=spec.problem,
                error_code=spec.code,
                priority=spec.priority,
                status="scheduled" if tech else "new",
                source=spec.source,
                caller_name=spec.caller,
                caller_phone=plotter.customer.phone if spec.caller else "",
                assigned_to=tech.user if tech else None,
                scheduled_for=self.local(self.today, spec.time) if spec.time else None,
                created_by=maria,
                created_at=created,
                updated_at=created + timedelta(minutes=10) if tech else created,
            )
            self.jobs.append(job)
            self.today_jobs.append(job)
            if spec.tag:
                self.tagged_jobs[spec.tag] = job

    # -- writing --------------------------------------------------------------------------

    def write_jobs(self) -> None:
        self.jobs.sort(key=lambda job: job.created_at)  # job numbers follow the calendar
        db.session.add_all(self.jobs)
        db.session.flush()
        if not self.follow_ups:
            return
        # Follow-ups point at jobs that only have ids now; naming updated_at in the update keeps
        # its onupdate from stamping today on 18-month-old jobs.
        table = Job.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("job_id"))
            .values(follow_up_of_id=sa.bindparam("original"), updated_at=sa.bindparam("updated")),
            [
                {"job_id": job.id, "original": original.id, "updated": job.updated_at}
                for job, original in self.follow_ups
            ],
        )

    def assign_meter_readings(self) -> None:
        """Each plotter's counter only goes up: usage since install, then usage between visits."""
        by_plotter: dict[Plotter, list[PlannedVisit]] = defaultdict(list)
        for visit in self.visits:
            by_plotter[visit.plotter].append(visit)
        for visits in by_plotter.values():
            visits.sort(key=lambda v: v.start)
            plotter = visits[0].plotter
            last_day = plotter.installed_on
            value = 0
            for visit in visits:
                day = visit.start.astimezone(self.tz).date()
                worked = len(_business_days(last_day, day))
                value += int(plotter.rate * worked * self.rng.uniform(0.6, 1.4)) + 1
                last_day = day
                if visit.has_meter:
                    visit.meter = value

    def write_visits(self) -> None:
        visits, readings, codes, results = [], [], [], []
        for visit in self.visits:
            version = self.version_followed(SOP_OF[visit.sop], visit.start)
            visits.append(
                {
                    "id": visit.id,
                    "equipment_id": visit.plotter.row.id,
                    "job_id": visit.job.id,
                    "tech_id": visit.tech.user.id,
                    "sop_version_id": version.id,
                    "status": "finished",
                    "started_at": visit.start,
                    "finished_at": visit.end,
                    "outcome": visit.outcome,
                    "summary": visit.summary,
                    "signoff_name": visit.signoff,
                    "source": "import",
                    "created_at": visit.end,
                }
            )
            if visit.meter is not None:
                readings.append(
                    {
                        "equipment_id": visit.plotter.row.id,
                        "value": visit.meter,
                        "taken_at": visit.start + timedelta(minutes=15),
                        "visit_id": visit.id,
                        "recorded_by_id": visit.tech.user.id,
                        "note": "Usage report",
                    }
                )
            codes.extend({"visit_id": visit.id, "code": code} for code in visit.codes)
            results.extend(self.step_results(visit, version))
            self.event(
                visit.end,
                visit.tech.user,
                "visit.logged",
                "visit",
                visit.id,
                f"{visit.tech.user.first_name} logged {OUTCOME_LABELS[visit.outcome].lower()} on "
                f"the {visit.plotter.row.display_name} at {visit.plotter.customer.name} "
                f"({visit.job.number}): {visit.summary}",
                job=visit.job,
                plotter=visit.plotter,
            )
        for job, visit in self.waiting:
            self.event(
                visit.end + timedelta(minutes=5),
                visit.tech.user,
                "job.status",
                "job",
                job.id,
                f"{job.number} is waiting for parts ({visit.plotter.row.display_name}, "
                f"{visit.plotter.customer.name}).",
                job=job,
                plotter=visit.plotter,
            )
        db.session.execute(sa.insert(Visit), visits)
        db.session.execute(sa.insert(MeterReading), readings)
        if codes:
            db.session.execute(sa.insert(VisitErrorCode), codes)
        db.session.execute(sa.insert(StepResult), results)

    def step_results(self, visit: PlannedVisit, version: SopVersion) -> list[dict]:
        steps = self.steps[version.id]
        # The planned overrides name version 1's positions; a later version follows by key.
        first = self.steps[self.versions[SOP_OF[visit.sop]][0].id]
        overrides = {
            step.key: visit.step_overrides[step.position]
            for step in first
            if step.position in visit.step_overrides
        }
        # Steps newer than version 1 draw from their own stream: the rest of the demo stays
        # as it was.
        later = random.Random(visit.id.int)
        rows = []
        span = (visit.end - visit.start) / (len(steps) + 1)
        for step in steps:
            status, note, value = _default_status(step.kind), "", None
            if step.kind == "measure":
                if step.unit == data.METER_UNIT:
                    value = visit.meter
                    if value is None:
                        status, note = "skipped", "Plotter would not boot; no usage report."
                elif self.rng.random() < 0.8:
                    value = float(self.rng.randint(24, 58))
                    if step.min_value is not None and later.random() < 0.12:
                        value = float(later.randint(12, 18))
                        note = "Dry print room, heating on; told the site contact about curl."
                else:
                    status = "n/a"
            elif not step.required and step.kind == "check" and self.rng.random() < 0.5:
                status = "n/a"
            elif step.title == PRINTHEAD_LOG.title and later.random() < 0.1:
                status, note = "fail", later.choice(PRINTHEAD_NOTES)
            if step.key in overrides:
                status, note = overrides[step.key]
            # What the visit service keeps: a measure done outside its range failed.
            status = recorded_status(StepRule.of(step), status, value)
            at = visit.start + span * step.position
            planned = step.key in overrides and status == "fail"
            follow_up = visit.fail_follow_up if planned else None
            rows.append(
                {
                    "visit_id": visit.id,
                    "step_id": step.id,
                    "status": status,
                    "value": float(value) if value is not None else None,
                    "note": note,
                    "by_id": visit.tech.user.id,
                    "at": at,
                    "follow_up_job_id": follow_up.id if follow_up else None,
                }
            )
            if status == "fail":
                self.event(
                    at,
                    visit.tech.user,
                    "step.failed",
                    "visit",
                    visit.id,
                    f"{visit.tech.user.first_name}: '{step.title}' failed on the "
                    f"{visit.plotter.row.display_name} at {visit.plotter.customer.name}. {note}",
                    job=visit.job,
                    plotter=visit.plotter,
                )
        return rows

    def stock_limits(self) -> dict[tuple[int, int], tuple[int, int]]:
        """What each location keeps: the warehouse from the part's reorder point, a van up
        to its par with the reorder point (at most the par) as its minimum."""
        limits = {}
        for sku, part in self.parts.items():
            minimum = _warehouse_minimum(self.reorder_points[sku])
            limits[(part.id, self.warehouse.id)] = (minimum, 2 * minimum)
            for tech in self.techs:
                par = data.VAN_PAR[tech.user.email].get(sku, 0)
                if par:
                    limits[(part.id, tech.van.id)] = (min(self.reorder_points[sku], par), par)
        return limits

    def write_stock_ledger(self) -> int:
        """Replay 18 months of stock: opening stock, weekly van top-ups, pick-ups, field use."""
        ledger = _Ledger(self.warehouse.id)
        opening = self.local(self.history_start - timedelta(days=14), "09:00")
        for sku, part in self.parts.items():
            on_vans = sum(data.VAN_PAR[t.user.email].get(sku, 0) for t in self.techs)
            point = self.reorder_points[sku]
            quantity = on_vans + _warehouse_minimum(point) + (1 if point else 0)
            ledger.add(
                part,
                self.warehouse.id,
                max(quantity, 1),
                "receive",
                opening,
                "Opening stock count",
                self.users[data.FRANK],
            )

        events: list[tuple[datetime, int, object]] = []
        for tech in self.techs:
            load_day = max(tech.joined, self.history_start - timedelta(days=13))
            events.append((self.local(load_day, "07:30"), 0, ("load", tech)))
        monday = self.history_start + timedelta(days=(7 - self.history_start.weekday()) % 7)
        # The last fortnight's restock requests are still pending, so vans show what they used.
        while monday < self.today - timedelta(days=13):
            events.append((self.local(monday, "07:15"), 1, ("restock", monday)))
            monday += timedelta(days=7)
        for visit in self.visits:
            if visit.parts:
                events.append((visit.end, 2, ("use", visit)))
        # Two end-of-day van counts that did not match, corrected by the office.
        for tech, days_ago, quantity, reason in (
            (self.techs[0], 200, -1, "Van count: one pack of cloths short (used, not logged)"),
            (self.techs[1], 90, 1, "Van count: found a pack of cloths in the wrong bin"),
        ):
            at = self.local(_business_day_before(self.today, days_ago), "17:30")
            events.append((at, 3, ("adjust", (tech, quantity, reason))))
        events.sort(key=lambda item: (item[0], item[1]))

        maria = self.users[data.MARIA]
        for at, _order, (kind, subject) in events:
            if kind == "load":
                ledger.top_up(self, subject, at, maria, "Initial van load")
            elif kind == "restock":
                for tech in self.techs:
                    if tech.joined <= subject:
                        ledger.top_up(self, tech, at, maria, "Weekly van top-up")
                ledger.replenish_warehouse(self, at + timedelta(days=1, hours=3), maria)
            elif kind == "adjust":
                tech, quantity, reason = subject
                cloth = self.parts["CON-LINT-CLOTH"]
                if ledger.level(cloth, tech.van.id) + quantity >= 0:
                    ledger.add(cloth, tech.van.id, quantity, "adjust", at, reason, maria)
            else:
                self.use_parts(ledger, subject)

        db.session.execute(sa.insert(StockMovement), ledger.rows)
        db.session.add_all(self.defective_returns())
        # A van keeps no row for a part it does not carry and has none of (one picked up for a
        # job and used the same day); the level is 0 either way.
        carried = {
            (self.parts[sku].id, tech.van.id)
            for tech in self.techs
            for sku in data.VAN_PAR[tech.user.email]
        }
        limits = self.stock_limits()
        db.session.add_all(
            StockLevel(
                part_id=part_id,
                location_id=location_id,
                quantity=quantity,
                minimum=limits.get((part_id, location_id), (0, 0))[0],
                maximum=limits.get((part_id, location_id), (0, 0))[1],
            )
            for (part_id, location_id), quantity in sorted(ledger.levels.items())
            if quantity or location_id == self.warehouse.id or (part_id, location_id) in carried
        )
        return len(ledger.rows)

    def defective_returns(self) -> list[PartReturn]:
        """The printheads replaced in the last five months went back to their supplier: the
        latest still waiting to ship, the two before it shipped, one refused, the rest
        credited."""
        replaced = sorted(
            (
                (visit, self.parts[sku], quantity)
                for visit in self.visits
                for sku, quantity in visit.parts
                if self.parts[sku].category == "printhead" and (self.now - visit.end).days <= 150
            ),
            key=lambda item: item[0].end,
            reverse=True,
        )
        returns = []
        for index, (visit, part, quantity) in enumerate(replaced):
            state = (
                ("waiting", "shipped", "shipped", "rejected")[index] if index < 4 else "credited"
            )
            value = part.unit_cost_cents * quantity
            returns.append(
                PartReturn(
                    part_id=part.id,
                    quantity=quantity,
                    serial=f"{part.sku[:4]}{visit.id.hex[:6].upper()}",
                    visit_id=visit.id,
                    equipment_id=visit.plotter.row.id,
                    supplier_id=part.supplier_id,
                    state=state,
                    value_cents=value,
                    rma_number="" if state == "waiting" else f"{visit.end:%y%m%d}{index:02d}",
                    credit_cents={"credited": value, "rejected": 0}.get(state),
                    note="Impact damage on the nozzle plate: not covered" * (state == "rejected"),
                    created_at=visit.end,
                    created_by_id=visit.tech.user.id,
                    shipped_at=None
                    if state == "waiting"
                    else min(visit.end + timedelta(days=3), self.now),
                    closed_at=min(visit.end + timedelta(days=24), self.now) if index >= 3 else None,
                )
            )
        return returns

    def use_parts(self, ledger: _Ledger, visit: PlannedVisit) -> None:
        van = visit.tech.van.id
        job = visit.job
        for sku, quantity in visit.parts:
            part = self.parts[sku]
            short = quantity - ledger.level(part, van)
            if short > 0 and not visit.unlogged_pickup:
                pickup = visit.start - timedelta(minutes=45)
                wanting = short - ledger.level(part, ledger.warehouse)
                if wanting > 0:
                    ledger.add(
                        part,
                        ledger.warehouse,
                        wanting,
                        "receive",
                        pickup - timedelta(days=1),
                        f"Expedited order for {job.number}",
                        self.users[data.MARIA],
                    )
                ledger.transfer(
                    part, van, short, pickup, f"Picked up for {job.number}", visit.tech.user
                )
            ledger.add(
                part,
                van,
                -quantity,
                "use",
                visit.end,
                f"Used on {job.number}",
                visit.tech.user,
                visit_id=visit.id,
            )
            if part.category != "consumable":
                self.event(
                    visit.end,
                    visit.tech.user,
                    "part.used",
                    "part",
                    part.id,
                    f"{visit.tech.user.first_name} used {quantity} x {part.name} ({part.sku}) on "
                    f"{job.number}.",
                    job=job,
                    plotter=visit.plotter,
                )

    def write_requests_and_threads(self) -> None:
        maria = self.users[data.MARIA]
        requests = []
        # Jobs that came in from a label scan were converted from a service request.
        for job in self.jobs:
            if job.source == "qr_request" and job not in self.today_jobs:
                requests.append(
                    self.service_request(
                        job.equipment,
                        job.caller_name,
                        job.caller_phone,
                        "",
                        job.problem,
                        job.created_at - timedelta(minutes=self.rng.randint(5, 90)),
                        job,
                        self.office_person(job.created_at),
                    )
                )
        for spec in data.SERVICE_REQUESTS:
            job = self.tagged_jobs.get(spec.converted_to)
            requests.append(
                self.service_request(
                    self.find_plotter(spec.plotter).row,
                    spec.name,
                    spec.phone,
                    spec.email,
                    spec.problem,
                    self.now - timedelta(minutes=spec.minutes_ago),
                    job,
                    maria,
                )
            )
        db.session.add_all(requests)
        db.session.flush()
        for request in requests:
            if request.created_at < self.now - timedelta(days=30):
                continue
            self.event(
                request.created_at,
                None,
                "request.received",
                "service_request",
                request.id,
                f"Service request {request.reference} from {request.name} for the "
                f"{request.equipment.display_name} at {request.equipment.customer.name}: "
                f"{request.problem}",
                equipment_id=request.equipment_id,
            )

        messages = []
        for tag, thread in data.THREADS.items():
            job = self.tagged_jobs[tag]
            for author_email, minutes_ago, body in thread:
                author = self.users[author_email]
                at = self.now - timedelta(minutes=minutes_ago)
                message_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
                messages.append(
                    {
                        "id": message_id,
                        "job_id": job.id,
                        "author_id": author.id,
                        "body": body,
                        "created_at": at,
                    }
                )
                self.event(
                    at,
                    author,
                    "message.posted",
                    "message",
                    message_id,
                    f"{author.first_name} on {job.number}: {body}",
                    job=job,
                )
        db.session.execute(sa.insert(Message), messages)

        for job in self.today_jobs:
            self.event(
                job.created_at,
                job.created_by,
                "job.created",
                "job",
                job.id,
                f"{job.created_by.first_name} opened {job.number} for the "
                f"{job.equipment.display_name} at {job.customer.name}: {job.problem}",
                job=job,
                equipment_id=job.equipment_id,
            )
            if job.assigned_to:
                self.event(
                    job.updated_at,
                    job.created_by,
                    "job.assigned",
                    "job",
                    job.id,
                    f"{job.number} assigned to {job.assigned_to.first_name} for "
                    f"{job.scheduled_for.astimezone(self.tz):%H:%M} today.",
                    job=job,
                    equipment_id=job.equipment_id,
                )

    def service_request(
        self,
        plotter: Equipment,
        name: str,
        phone: str,
        email: str,
        problem: str,
        created: datetime,
        job: Job | None,
        handler: User,
    ) -> ServiceRequest:
        return ServiceRequest(
            reference=self.reference(),
            equipment_id=plotter.id,
            name=name,
            phone=phone,
            email=email,
            problem=problem,
            status="converted" if job else "new",
            address=f"203.0.113.{self.rng.randint(10, 250)}",
            job_id=job.id if job else None,
            handled_by_id=handler.id if job else None,
            handled_at=job.created_at if job else None,
            created_at=created,
        )

    def write_events(self) -> None:
        self.events.sort(key=lambda event: event["at"])
        db.session.execute(sa.insert(ActivityEvent), self.events)

    # -- helpers --------------------------------------------------------------------------

    def event(
        self,
        at: datetime,
        actor: User | None,
        verb: str,
        subject_type: str,
        subject_id: object,
        summary: str,
        *,
        job: Job | None = None,
        plotter: Plotter | None = None,
        equipment_id: int | None = None,
    ) -> None:
        self.events.append(
            {
                "at": at,
                "actor_id": actor.id if actor else None,
                "verb": verb,
                "subject_type": subject_type,
                "subject_id": str(subject_id),
                "summary": summary[:400],
                "job_id": job.id if job else None,
                "equipment_id": plotter.row.id if plotter else equipment_id,
            }
        )

    def owner_share(self, at: datetime) -> float:
        """How much of the office's work the owner still did himself at that time."""
        done = (at - self.history_start_at).total_seconds() / (
            self.now - self.history_start_at
        ).total_seconds()
        done = min(max(done, 0.0), 1.0)
        return OWNER_SHARE_THEN + (OWNER_SHARE_NOW - OWNER_SHARE_THEN) * done

    def office_person(self, at: datetime) -> User:
        """Who in the office did something at that time: the owner, less and less often."""
        owner = self.rng.random() < self.owner_share(at)
        return self.users[data.FRANK if owner else data.MARIA]

    def write_dispatch_history(self) -> None:
        """Each past job was opened and then dispatched by someone in the office."""
        for job in self.jobs:
            if job in self.today_jobs or job.created_by is None:
                continue
            place = f" for the {job.equipment.display_name}" if job.equipment else ""
            self.event(
                job.created_at,
                job.created_by,
                "job.created",
                "job",
                job.id,
                f"{job.created_by.first_name} opened {job.number}{place} at "
                f"{job.customer.name}: {job.problem}",
                job=job,
                equipment_id=job.equipment_id,
            )
            if job.assigned_to is None:
                continue
            at = job.created_at + timedelta(minutes=self.rng.randint(5, 90))
            if job.scheduled_for is not None:
                at = min(at, job.scheduled_for)
            self.event(
                at,
                self.office_person(at),
                "job.assigned",
                "job",
                job.id,
                f"{job.number} assigned to {job.assigned_to.first_name}",
                job=job,
                equipment_id=job.equipment_id,
            )

    def local(self, day: date, hhmm: str) -> datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def token(self) -> str:
        while True:
            token = "".join(self.rng.choice(ALPHABET) for _ in range(TOKEN_LENGTH))
            if token not in self.tokens:
                self.tokens.add(token)
                return token

    def reference(self) -> str:
        """A service request reference, SR- and 6 characters of the label alphabet."""
        while True:
            reference = "SR-" + "".join(self.rng.choice(ALPHABET) for _ in range(6))
            if reference not in self.tokens:
                self.tokens.add(reference)
                return reference

    def serial(self, make: str, taken: set[tuple[str, str]]) -> str:
        """HP: country prefix + 8; Canon: 4 letters + 6 digits; Epson: 10 alphanumerics."""
        rng = self.rng
        while True:
            if make == "HP":
                serial = (
                    rng.choice(("CN", "CN", "SG", "MY"))
                    + f"{rng.randint(5, 9)}{rng.randint(0, 9)}"
                    + rng.choice(_UPPER)
                    + "".join(rng.choice(_SERIAL_CHARS) for _ in range(5))
                )
            elif make == "Canon":
                serial = "".join(rng.choice(_UPPER) for _ in range(4)) + (
                    f"{rng.randint(0, 999999):06d}"
                )
            else:
                serial = (
                    rng.choice("XSUV")
                    + str(rng.randint(1, 9))
                    + rng.choice(_UPPER)
                    + str(rng.randint(1, 9))
                    + f"{rng.randint(0, 999999):06d}"
                )
            if (make, serial) not in taken:
                taken.add((make, serial))
                return serial

    def find_plotter(self, ref: data.PlotterRef) -> Plotter:
        matches = [
            p
            for p in self.plotters
            if p.customer_seed.name == ref.customer and p.seed.model == ref.model
        ]
        return matches[ref.index]

    def seen_recently(self, plotter: Plotter, code: str, day: date) -> bool:
        """Whether the plotter showed this code within 90 days either side of day."""
        if not code:
            return False
        return any(
            visit.plotter is plotter
            and code in visit.codes
            and abs((visit.start.astimezone(self.tz).date() - day).days) <= 90
            for visit in self.visits
        )

    def site_people(self, plotter: Plotter) -> tuple[str, ...]:
        return plotter.customer_seed.staff or (plotter.customer_seed.contact,)

    def tech(self, email: str) -> Tech:
        return next(tech for tech in self.techs if tech.user.email == email)

    def pick_tech(self, plotter: Plotter, day: date) -> Tech:
        available = [tech for tech in self.techs if tech.joined <= day]
        weights = [tech.makes[plotter.model.make] for tech in available]
        return self.rng.choices(available, weights)[0]

    def part_for(self, plotter: Plotter, category: str | None) -> str | None:
        return self.part_by_role.get((plotter.seed.model, category or ""))

    def compatible(self, plotter: Plotter, sku: str) -> bool:
        return plotter.model.model in {row.model for row in self.parts[sku].compatible}

    def free_for_generated(self, plotter: Plotter, day: date) -> bool:
        """Generated history stays clear of the scripted stories of the last weeks."""
        return plotter not in self.reserved or (
            day < self.today - timedelta(days=RECENT_QUIET_DAYS + 20)
        )

    def book(self, tech: Tech, day: date, minutes: int) -> tuple[datetime, int] | None:
        """A start time on the tech's day (or a following one) clear of their other visits."""
        for _ in range(6):
            while day.weekday() >= 5:
                day += timedelta(days=1)
            taken = self.busy[(tech.user.id, day)]
            if len(taken) < 3:
                starts = list(range(8 * 60, 15 * 60 + 1, 30))
                self.rng.shuffle(starts)
                for start in starts:
                    end = start + minutes
                    if all(end + 30 <= s or start >= e + 30 for s, e in taken):
                        taken.append((start, end))
                        at = self.local(day, f"{start // 60}:{start % 60:02d}")
                        return at, minutes
            day += timedelta(days=1)
        return None


class _Ledger:
    """Stock movements in the making, and the running level of every (part, location)."""

    def __init__(self, warehouse: int):
        self.warehouse = warehouse
        self.rows: list[dict] = []
        self.levels: dict[tuple[int, int], int] = defaultdict(int)
        self.transfers = 0

    def level(self, part: Part, location: int) -> int:
        return self.levels[(part.id, location)]

    def add(
        self,
        part: Part,
        location: int,
        quantity: int,
        kind: str,
        at: datetime,
        reason: str,
        actor: User | None,
        *,
        visit_id: uuid.UUID | None = None,
        transfer_id: uuid.UUID | None = None,
    ) -> None:
        self.rows.append(
            {
                "part_id": part.id,
                "location_id": location,
                "quantity": quantity,
                "kind": kind,
                "reason": reason,
                "actor_id": actor.id if actor else None,
                "at": at,
                "visit_id": visit_id,
                "transfer_id": transfer_id,
                "unit_cost_cents": part.unit_cost_cents,
            }
        )
        self.levels[(part.id, location)] += quantity

    def transfer(
        self, part: Part, van: int, quantity: int, at: datetime, reason: str, actor: User
    ) -> None:
        self.transfers += 1
        transfer_id = uuid.UUID(int=(0xD3 << 120) + self.transfers, version=4)
        self.add(
            part, self.warehouse, -quantity, "transfer", at, reason, actor, transfer_id=transfer_id
        )
        self.add(part, van, quantity, "transfer", at, reason, actor, transfer_id=transfer_id)

    def top_up(
        self, business: _DemoBusiness, tech: Tech, at: datetime, actor: User, reason: str
    ) -> None:
        for sku, par in data.VAN_PAR[tech.user.email].items():
            part = business.parts[sku]
            wanted = min(par - self.level(part, tech.van.id), self.level(part, self.warehouse))
            if wanted > 0:
                self.transfer(part, tech.van.id, wanted, at, f"{reason}: {tech.van.name}", actor)

    def replenish_warehouse(self, business: _DemoBusiness, at: datetime, actor: User) -> None:
        """Stocked parts below the warehouse minimum are reordered and arrive the next day."""
        for part in business.parts.values():
            point = business.reorder_points[part.sku]
            minimum = _warehouse_minimum(point)
            have = self.level(part, self.warehouse)
            if point and have < minimum:
                supplier = part.manufacturer or "supplies distributor"
                self.add(
                    part,
                    self.warehouse,
                    minimum * 2 - have,
                    "receive",
                    at,
                    f"Restock order from {supplier}",
                    actor,
                )


def _year_before(ends: date) -> date:
    """The first day of a year's term that ends on `ends`."""
    return add_months(ends + timedelta(days=1), -12)


def _contract_price_cents(seed: data.ContractSeed, plotters: list[Plotter]) -> int:
    """The price a year: each plotter's share by its model, cover and workload, rounded to
    $10 and at most $9,000."""
    factor = (
        data.CONSUMABLES_FACTOR if seed.consumables else data.PARTS_FACTOR if seed.parts else 1.0
    )
    total = 0
    for plotter in plotters:
        dollars = plotter.model.contract_dollars * factor
        if plotter.seed.heavy:
            dollars *= data.HEAVY_FACTOR
        total += min(round(dollars, -1), data.MAX_DOLLARS_PER_PLOTTER)
    return int(total) * 100


def _reading_on(visit: PlannedVisit | None, day: date, series: list[Reading]) -> int | None:
    """The meter at a PM (the visit's own reading, else the latest on or before its day); on
    a plan with no PM yet, the latest before its start or the first after."""
    if visit is not None and visit.meter is not None:
        return visit.meter
    before = [reading for reading in series if reading.on <= day]
    if before:
        return before[-1].value
    if visit is None:
        after = [reading for reading in series if reading.on >= day]
        return after[0].value if after else None
    return None


def _warehouse_minimum(reorder_point: int) -> int:
    return 2 * reorder_point + 1 if reorder_point else 0


def _default_status(kind: str) -> str:
    return "pass" if kind == "pass_fail" else "done"


def _business_days(start: date, end: date) -> list[date]:
    """Weekdays from start (inclusive) to end (inclusive)."""
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _business_day_before(day: date, count: int) -> date:
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _business_day_after(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _months_before(day: date, months: int) -> date:
    return day - timedelta(days=round(months * 30.44))


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))
