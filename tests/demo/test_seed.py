"""flask seed-demo: the demo business it loads, and when it refuses to load it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fieldapp.auth.models import User
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.queries import forecast, overdue_pms
from fieldapp.customers.models import Customer, Site
from fieldapp.demo.data import DEMO_PASSWORD, DEMO_USERS, MODELS
from fieldapp.equipment.models import Equipment, MeterReading, QrLabel
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockLevel, StockLocation, StockMovement
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.localtime import company_zone
from fieldapp.office.reports import DateRange, owner_load, owner_trend
from fieldapp.sops.models import STEP_KINDS, Sop, SopTraining, SopVersion
from fieldapp.sops.services import version_changes
from fieldapp.visits.figures import step_figures
from fieldapp.visits.models import StepResult, Visit, VisitErrorCode
from tests import factories

CORE_SOPS = {
    "service-call-intake": "intake",
    "onsite-diagnostic-repair": "repair",
    "preventive-maintenance": "preventive",
    "parts-use-van-restock": "parts",
}


def seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def seeded(runner):
    return seed(runner)


def test_seed_on_an_empty_database_loads_a_realistic_business(seeded):
    """Does an empty database get the team, customers, plotters, 18 months of visits and parts?"""
    users = db.session.scalars(sa.select(User)).all()
    assert sorted((u.role, u.email) for u in users) == sorted(
        (u["role"], u["email"]) for u in DEMO_USERS
    )
    assert 20 <= count(Customer) <= 30
    plotters = db.session.scalars(sa.select(Equipment)).all()
    assert 50 <= len(plotters) <= 70
    assert {p.model for p in plotters} == {m.model for m in MODELS.values()}
    assert 1 <= sum(p.status == "retired" for p in plotters) <= 2
    assert 50 <= count(Part) <= 70

    assert 350 <= count(Visit) <= 450
    starts = db.session.scalars(sa.select(Visit.started_at)).all()
    assert timedelta(days=500) <= max(starts) - min(starts) <= timedelta(days=560)
    assert max(starts) < datetime.now(UTC)


def test_the_four_core_sops_are_published_with_steps_of_every_kind(seeded):
    """Are the four core SOPs published (the PM twice), 6-13 steps each, using
    check/pass_fail/measure/photo?"""
    sops = {sop.slug: sop for sop in db.session.scalars(sa.select(Sop))}
    assert {slug: sop.category for slug, sop in sops.items()} == CORE_SOPS
    assert {slug: [v.number for v in sop.versions] for slug, sop in sops.items()} == {
        slug: [1, 2] if slug == "preventive-maintenance" else [1] for slug in CORE_SOPS
    }
    kinds = set()
    for sop in sops.values():
        for version in sop.versions:
            assert version.author.role == "admin"
            assert 6 <= len(version.steps) <= 13
            assert all(step.detail.count(".") >= 2 for step in version.steps)
            assert all(step.unit for step in version.steps if step.kind == "measure")
            kinds |= {step.kind for step in version.steps}
        assert sop.draft is None  # published through the editor's draft, which is used up
    assert kinds == set(STEP_KINDS)


def test_the_pm_has_a_second_version_that_says_what_changed(seeded):
    """A step added, one reworded, one moved (with an expected range), and a change note; the
    visits before it followed version 1, those after version 2."""
    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == "preventive-maintenance"))
    v1, v2 = sop.versions
    assert v1.published_at < v2.published_at < datetime.now(UTC) - timedelta(days=30)
    assert "Printheads get a step of their own" in v2.change_note
    kinds = {change.kind for change in version_changes(v1, v2)}
    assert {"added", "moved", "reworded"} <= kinds and "removed" not in kinds
    humidity = next(step for step in v2.steps if step.kind == "measure" and step.unit == "%RH")
    assert humidity.expected == "20 to 80 %RH" and "guess" in humidity.detail
    followed = db.session.execute(
        sa.select(Visit.started_at, Visit.sop_version_id).where(
            Visit.sop_version_id.in_((v1.id, v2.id))
        )
    ).all()
    assert {version for _, version in followed} == {v1.id, v2.id}
    for started, version in followed:
        assert version == (v2.id if started >= v2.published_at else v1.id)


def test_the_figures_of_the_demo_have_failed_and_na_steps(seeded):
    """In the last 90 days the PM has visits on both versions and steps that failed (a dry
    room outside the humidity range among them) or were N/A."""
    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == "preventive-maintenance"))
    figures = step_figures(sop)
    assert [number for number, _ in figures.by_version] == [1, 2]
    assert any(step.failed for step in figures.steps)
    assert any(step.not_applicable for step in figures.steps)
    humidity = next(step for step in figures.steps if step.kind == "measure")
    assert humidity.failed and all(
        link.value is not None and (link.value < 20 or link.value > 80)
        for link in humidity.visits
        if link.status == "fail"
    )
    repair = db.session.scalar(sa.select(Sop).where(Sop.slug == "onsite-diagnostic-repair"))
    assert step_figures(repair).visits > 0


def test_the_techs_training_is_current_outdated_and_missing(seeded):
    """On the PM, Sam and Luis signed version 2 (the office saw Sam do it), Priya only
    version 1; Luis has not signed the parts SOP."""
    rows = db.session.execute(
        sa.select(User.email, Sop.slug, SopVersion.number, SopTraining)
        .join(SopTraining, SopTraining.user_id == User.id)
        .join(SopVersion, SopVersion.id == SopTraining.version_id)
        .join(Sop, Sop.id == SopVersion.sop_id)
        .where(User.role == "tech")
    ).all()
    signed = defaultdict(set)
    for email, slug, number, _ in rows:
        signed[(email.split("@")[0], slug)].add(number)
    assert signed[("sam", "preventive-maintenance")] == {1, 2}
    assert signed[("luis", "preventive-maintenance")] == {1, 2}
    assert signed[("priya", "preventive-maintenance")] == {1}
    assert ("luis", "parts-use-van-restock") not in signed
    assert signed[("priya", "parts-use-van-restock")] == {1}
    observed = [(email, record) for email, _, _, record in rows if record.observed_at]
    assert [email.split("@")[0] for email, _ in observed] == ["sam"]
    assert observed[0][1].observed_by.role == "office"
    assert all(record.signed_at < datetime.now(UTC) for *_, record in rows)


def test_every_history_visit_follows_an_sop_and_has_a_result_per_step(seeded):
    """Does each imported visit point at the repair or PM SOP with one result per step?"""
    steps_per_version = {
        version.id: len(version.steps) for version in db.session.scalars(sa.select(SopVersion))
    }
    results = dict(
        db.session.execute(
            sa.select(StepResult.visit_id, sa.func.count()).group_by(StepResult.visit_id)
        ).all()
    )
    visits = db.session.scalars(sa.select(Visit)).all()
    assert {v.status for v in visits} == {"finished"}
    assert {v.source for v in visits} == {"import"}
    for visit in visits:
        assert results[visit.id] == steps_per_version[visit.sop_version_id]
        assert visit.job is not None and visit.signoff_name


def test_there_is_a_warehouse_a_van_per_tech_and_open_jobs_today(seeded):
    """Does each tech have a van and two to four open jobs scheduled today?"""
    locations = db.session.scalars(sa.select(StockLocation)).all()
    assert sorted(location.kind for location in locations) == ["van", "van", "van", "warehouse"]
    techs = db.session.scalars(sa.select(User).where(User.role == "tech")).all()
    assert {location.tech_id for location in locations if location.kind == "van"} == {
        tech.id for tech in techs
    }
    today = datetime.now(UTC).date()
    for tech in techs:
        jobs = db.session.scalars(
            sa.select(Job).where(Job.assigned_to_id == tech.id, Job.status == "scheduled")
        ).all()
        assert 2 <= len(jobs) <= 4
        assert all(abs((job.scheduled_for.date() - today).days) <= 1 for job in jobs)
    # The PM jobs the planner made are counted on their own (test_the_planner_made_pm_jobs).
    unassigned = db.session.scalars(
        sa.select(Job).where(
            Job.assigned_to_id.is_(None),
            Job.status.in_(OPEN_STATUSES),
            Job.pm_plan_id.is_(None),
        )
    ).all()
    assert 2 <= len(unassigned) <= 3
    waiting = db.session.scalars(sa.select(Job).where(Job.status == "waiting_parts")).all()
    assert 1 <= len(waiting) <= 2


def test_seed_prints_the_demo_sign_ins(seeded):
    """Are the sign-ins printed with role, name, email and the shared password?"""
    for user in DEMO_USERS:
        line = next(line for line in seeded.output.splitlines() if user["email"] in line)
        assert user["role"] in line and user["name"] in line and DEMO_PASSWORD in line


def test_seed_refuses_a_database_with_data(runner):
    """Does seed-demo refuse a database that already has data, and leave it alone?"""
    factories.make_user(role="admin", email="owner@example.com")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already has data" in result.output
    assert "--force" in result.output
    assert [u.email for u in db.session.scalars(sa.select(User))] == ["owner@example.com"]
    assert count(Customer) == count(Equipment) == count(Job) == 0


def test_force_deletes_everything_and_reseeds(runner):
    """Does --force replace existing data with the demo business?"""
    factories.make_equipment()
    factories.make_user(email="someone@example.com")
    result = seed(runner, "--force")
    assert "sam@precisionplotter.example" in result.output
    db.session.expire_all()
    emails = {u.email for u in db.session.scalars(sa.select(User))}
    assert emails == {u["email"] for u in DEMO_USERS}
    assert db.session.scalar(sa.select(sa.func.min(Job.id))) == 1  # numbering starts again


def test_if_empty_seeds_an_empty_database_and_is_a_no_op_after(runner):
    """Does --if-empty seed once, then leave the data alone and still print the sign-ins?"""
    seed(runner, "--if-empty")
    visits = count(Visit)
    result = seed(runner, "--if-empty")
    assert "Database already has data; demo data not loaded." in result.output
    assert "frank@precisionplotter.example" in result.output
    assert count(Visit) == visits


def test_if_empty_does_nothing_to_a_database_with_other_data(runner):
    """Is --if-empty a quiet no-op (exit 0) on a database that has non-demo data?"""
    factories.make_user(email="real.person@example.com")
    result = seed(runner, "--if-empty")
    assert result.output.strip() == "Database already has data; demo data not loaded."
    assert count(User) == 1


def test_every_stock_level_equals_the_sum_of_its_movements(seeded):
    """Is every stock level the sum of its ledger, with a few vans low and one negative?"""
    totals = {
        (part_id, location_id): total
        for part_id, location_id, total in db.session.execute(
            sa.select(
                StockMovement.part_id,
                StockMovement.location_id,
                sa.func.sum(StockMovement.quantity),
            ).group_by(StockMovement.part_id, StockMovement.location_id)
        )
    }
    levels = {(s.part_id, s.location_id): s for s in db.session.scalars(sa.select(StockLevel))}
    assert set(levels) <= set(totals)
    for key, total in totals.items():
        assert (levels[key].quantity if key in levels else 0) == total, key

    van_levels = [s for s in levels.values() if s.location.kind == "van"]
    assert 1 <= sum(s.low for s in van_levels) <= 10
    warehouse_levels = [s for s in levels.values() if s.location.kind == "warehouse"]
    assert all(s.maximum >= s.minimum for s in levels.values())
    assert sum(s.minimum > 0 for s in warehouse_levels) >= 20
    assert [s.quantity for s in van_levels if s.quantity < 0] == [-1]


def test_the_ledger_pairs_transfers_and_ties_uses_to_visits(seeded):
    """Does each transfer take from one place what it gives another, and each use name a visit?"""
    transfers = defaultdict(list)
    for movement in db.session.scalars(
        sa.select(StockMovement).where(StockMovement.kind == "transfer")
    ):
        transfers[movement.transfer_id].append(movement)
    assert transfers
    for out, into in (sorted(pair, key=lambda m: m.quantity) for pair in transfers.values()):
        assert out.quantity == -into.quantity < 0
        assert out.location.kind == "warehouse" and into.location.kind == "van"
    uses = db.session.scalars(sa.select(StockMovement).where(StockMovement.kind == "use")).all()
    assert uses
    assert all(m.visit_id and m.quantity < 0 and m.unit_cost_cents > 0 for m in uses)


def test_meter_readings_never_go_down(seeded):
    """Does each plotter's meter only go up over time?"""
    readings = defaultdict(list)
    for reading in db.session.scalars(
        sa.select(MeterReading).order_by(MeterReading.equipment_id, MeterReading.taken_at)
    ):
        readings[reading.equipment_id].append(reading.value)
    assert len(readings) >= 50
    for values in readings.values():
        assert values == sorted(values)


def test_every_plotter_has_an_active_label_for_its_token(seeded):
    """Does every plotter's qr_token belong to an active label on that plotter?"""
    labels = {label.token: label for label in db.session.scalars(sa.select(QrLabel))}
    for plotter in db.session.scalars(sa.select(Equipment)):
        label = labels[plotter.qr_token]
        assert label.status == "active" and label.equipment_id == plotter.id
    assert any(label.status == "unclaimed" for label in labels.values())


def test_recurring_faults_exist_for_the_recurrence_hints(seeded):
    """Did some plotter show the same error code on separate jobs within 90 days?"""
    seen = defaultdict(list)
    rows = db.session.execute(
        sa.select(Visit.equipment_id, VisitErrorCode.code, Visit.started_at, Visit.job_id)
        .join(VisitErrorCode)
        .order_by(Visit.started_at)
    )
    repeats = 0
    for equipment_id, code, started, job_id in rows:
        for earlier, earlier_job in seen[(equipment_id, code)]:
            if earlier_job != job_id and started - earlier <= timedelta(days=90):
                repeats += 1
                break
        seen[(equipment_id, code)].append((started, job_id))
    assert 3 <= repeats <= 30


def test_the_same_seed_gives_the_same_business(runner):
    """Does the same --seed produce the same plotters, tokens and visit summaries?"""

    def fingerprint():
        plotters = db.session.execute(
            sa.select(Equipment.serial_number, Equipment.qr_token).order_by(Equipment.id)
        ).all()
        summaries = db.session.scalars(sa.select(Visit.summary).order_by(Visit.id)).all()
        return plotters, summaries

    seed(runner, "--seed", "7")
    first = fingerprint()
    seed(runner, "--force", "--seed", "7")
    db.session.expire_all()
    assert fingerprint() == first


def test_all_demo_users_can_sign_in(seeded, app):
    """Can every demo user sign in with the demo password?"""
    for user in DEMO_USERS:
        client = app.test_client()
        response = client.post("/login", data={"email": user["email"], "password": DEMO_PASSWORD})
        assert response.status_code == 302, user["email"]


def test_the_owner_load_report_tells_the_owners_story(seeded, app):
    """Over the 18 months the owner goes from doing most of the dispatching and approving to
    a small part of it, and the dashboard's tile says so."""
    zone = ZoneInfo(app.config["TIMEZONE"])
    today = datetime.now(zone).date()
    first = owner_load(DateRange(today - timedelta(days=540), today - timedelta(days=450)), zone)
    last = owner_load(DateRange(today - timedelta(days=90), today), zone)
    assert first.total[-1] > 60, first.total
    assert last.total[-1] < 20, last.total
    trend = owner_trend(today, zone)
    assert trend.falling and trend.recent < 20 < trend.earlier


def test_the_university_is_one_customer_with_two_sites(seeded):
    """The demo's split customers are one: Northbrook State University, its plan room at
    Facilities and the architecture lab in Hollis Hall, each with its plotters and the person
    the tech asks for there."""
    names = db.session.scalars(
        sa.select(Customer.name).where(Customer.name.like("Northbrook%"))
    ).all()
    assert names == ["Northbrook State University"]
    sites = db.session.scalars(sa.select(Site).order_by(Site.name)).all()
    assert [site.name for site in sites] == ["Facilities Services Building", "Hollis Hall"]
    hall = sites[1]
    plotters = db.session.scalars(sa.select(Equipment).where(Equipment.site_id == hall.id)).all()
    assert len(plotters) == 4
    assert all(p.address.startswith("Hollis Hall") for p in plotters)
    assert plotters[0].contact.name == "Prof. Leena Anand"


def _today():
    return datetime.now(company_zone()).date()


def test_most_customers_have_a_contract_some_expiring_one_expired(seeded):
    """Do most customers have an active contract on their plotters in service, at realistic
    prices and covers, with some ending within 60 days and one already expired?"""
    today = _today()
    contracts = db.session.scalars(sa.select(Contract)).all()
    active = [one for one in contracts if one.state == "active"]
    assert len({one.customer_id for one in active}) >= 0.75 * count(Customer)
    for contract in active:
        assert contract.starts_on <= today <= contract.ends_on
        assert contract.plotters and all(p.status == "active" for p in contract.plotters)
        assert {p.customer_id for p in contract.plotters} == {contract.customer_id}
        per_plotter = contract.price_cents_per_year / len(contract.plotters)
        assert 1_200_00 <= per_plotter <= 9_000_00
        assert contract.covers_labour and contract.response_hours in (4, 8, 24, 48)
    assert 3 <= sum(one.covers_parts for one in active) < len(active)
    assert 1 <= sum(one.covers_consumables for one in active) <= 2
    soon = [one for one in active if one.ends_on <= today + timedelta(days=60)]
    assert len(soon) >= 2
    expired = [one for one in contracts if one.state == "expired"]
    assert expired and all(one.ends_on < today for one in expired)
    renewed = [one for one in contracts if one.renewal_of is not None]
    assert {one.state for one in renewed} == {"active", "draft"}


def test_pm_plans_by_months_by_meter_and_both_follow_the_pm_sop(seeded):
    """Does each covered plotter have a PM plan on the PM SOP, by months, by the meter or
    both, counting from its last PM in the history?"""
    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == "preventive-maintenance"))
    plans = db.session.scalars(
        sa.select(PmPlan).join(Contract).where(Contract.state == "active")
    ).all()
    assert plans and {plan.sop_id for plan in plans} == {sop.id}
    kinds = {(plan.every_months is not None, plan.every_meter is not None) for plan in plans}
    assert kinds == {(True, False), (False, True), (True, True)}
    assert {plan.every_months for plan in plans} >= {3, 4, 6}
    assert {plan.due_by for plan in plans} == {"date", "meter"}
    done = [plan for plan in plans if plan.last_done_on is not None]
    assert len(done) >= 0.8 * len(plans)
    pm_visits = {
        visit.id: visit
        for visit in db.session.scalars(sa.select(Visit).where(Visit.outcome == "pm_done"))
    }
    for plan in done:
        visit = pm_visits[plan.last_done_visit_id]
        assert visit.equipment_id == plan.equipment_id
        assert visit.started_at.astimezone(company_zone()).date() == plan.last_done_on
    for plan in plans:
        assert plan.equipment.meter_unit in ("sq_ft", "prints")
        if plan.every_meter is not None:
            assert plan.equipment.meter_unit == "sq_ft" and plan.base_meter is not None
            assert plan.meter_per_day and plan.meter_per_day > 0  # the readings rise


def test_some_pms_are_overdue_and_the_forecast_shows_the_coming_weeks(seeded):
    """Is at least one PM overdue, and does the 90-day forecast have PMs in most weeks?"""
    today = _today()
    assert overdue_pms(today).total >= 1
    ahead = forecast(today, 90)
    assert ahead.overdue
    assert sum(1 for week in ahead.weeks if week.rows) >= len(ahead.weeks) // 2
    assert any(week.rows for week in ahead.weeks[:3])
    assert ahead.unknown == 0


def test_the_planner_made_pm_jobs_for_the_plans_due(seeded):
    """Did the seed's planner run make one open PM job, on the PM SOP, for each plan due
    within its lead time (and none for the others)?"""
    today = _today()
    jobs = db.session.scalars(sa.select(Job).where(Job.pm_plan_id.is_not(None))).all()
    assert jobs
    plans = {plan.id: plan for plan in db.session.scalars(sa.select(PmPlan))}
    for job in jobs:
        plan = plans[job.pm_plan_id]
        assert job.kind == "preventive" and job.is_open and job.sop_id == plan.sop_id
        assert job.pm_due_on == plan.due_on <= today + timedelta(days=plan.lead_days)
        assert job.contract_id == plan.contract_id
    assert len({job.pm_plan_id for job in jobs}) == len(jobs)
    assert any(job.assigned_to_id for job in jobs)
