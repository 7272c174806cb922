"""Office speed: median server time of the dashboard, the dispatch board, the live feed's poll,
the search, the list of every job and each report (default range: the last twelve weeks; and
a year) on the large database with six months of office data added, next to the app's bare
/healthz route (the floor); then service contracts and PM plans (the planner's runs, the PM
forecast, the overdue PMs, what each contract earns and each model costs, as functions and as
pages), with the statements each runs, counted again on a database a tenth the size.

    .venv/bin/python benchmarks/office.py [--postgres URL] [--scale 0.1] [--runs 25] [--only WORD]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ServerTimer,
    Statements,
    ensure_office_database,
    make_app,
    median_ms,
    parser,
    sign_in,
    sqlite_url,
    timed_gets,
)
from fieldapp.contracts.earnings import contract_earnings, model_costs  # noqa: E402
from fieldapp.contracts.planner import run_planner  # noqa: E402
from fieldapp.contracts.projection import add_months  # noqa: E402
from fieldapp.contracts.queries import forecast, overdue_pms  # noqa: E402
from fieldapp.dbtypes import utcnow  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.localtime import company_zone, local_today  # noqa: E402
from fieldapp.office.reports import REPORTS  # noqa: E402
from fieldapp.settings.services import hourly_cost_cents  # noqa: E402

# The share of plotters under contract, each with a PM plan; the models whose meter counts
# prints (as in the demo: a guess), the others count square feet.
CONTRACT_SHARE = 0.7
PRINT_MODELS = ("imagePROGRAF TM-300", "SureColor T5170")


def pages(today: str, year_ago: str, serial: str) -> list[tuple[str, str]]:
    found = [
        ("dashboard", "/"),
        ("board", "/jobs"),
        ("board, one tech", "/jobs?tech=3"),
        ("requests inbox", "/requests"),
        ("tech's day", "/techs/3/day"),
        ("search box, a job number", "/search?fragment=1&q=J-45000"),
        ("search box, a serial", f"/search?fragment=1&q={serial}"),
        ("search box, two words", "/search?fragment=1&q=designjet+t1700"),
        ("search box, a common word", "/search?fragment=1&q=print"),
        ("search page, a common word", "/search?q=print"),
        ("all jobs, page 1", "/jobs/all"),
        ("all jobs, page 1,000", "/jobs/all?page=1000"),
        ("all jobs, done, by closing date", "/jobs/all?status=done&sort=-closed"),
        ("all jobs, one tech, by customer", "/jobs/all?tech=3&sort=customer"),
        ("all jobs, customer's words", "/jobs/all?customer=print+studio"),
    ]
    found += [
        (f"report {slug}", f"/reports/{slug}") for slug in REPORTS if slug not in CONTRACT_REPORTS
    ]
    found += [
        (f"report {slug} (1 year)", f"/reports/{slug}?from={year_ago}&to={today}")
        for slug in REPORTS
        if slug not in CONTRACT_REPORTS
    ]
    return found


# Measured with the contracts, below (with their statement counts).
CONTRACT_REPORTS = ("contract-earnings", "model-costs")


def contract_pages(today: str, year_ago: str) -> list[tuple[str, str]]:
    found = [
        ("contracts: PM forecast page, 90 days", "/pm/forecast"),
        ("contracts: contracts list", "/contracts"),
        ("contracts: contracts expiring", "/contracts?show=expiring"),
    ]
    for slug in CONTRACT_REPORTS:
        if slug in REPORTS:
            found.append((f"contracts: report {slug}", f"/reports/{slug}"))
            found.append(
                (
                    f"contracts: report {slug} (1 year)",
                    f"/reports/{slug}?from={year_ago}&to={today}",
                )
            )
    return found


def ensure_contracts(url: str, scale: float) -> None:
    """Give the office database (once) its contracts: 70% of the plotters, each customer's
    under one contract of a year (some ended in the last two months, expired), a PM plan on
    each (every 3, 4 or 6 months; every 10,000 to 50,000 of the meter; or both), the meter
    units set; then the planner's first run makes the PM jobs due. Prints what it built."""
    app = make_app(url)
    with app.app_context():
        have = db.session.scalar(sa.text("SELECT count(*) FROM contracts"))
        if not have:
            started = time.perf_counter()
            today = _fill_contracts()
            built = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                # The bulk inserts named their ids: move the sequences past them before the
                # planner's jobs and events take the next ones.
                for table in ("jobs", "contracts", "pm_plans", "activity_events"):
                    db.session.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                        )
                    )
            statements = Statements(db.engine)
            started = time.perf_counter()
            made = run_planner(today)
            db.session.commit()
            planned = time.perf_counter() - started
            print(
                f"  added contracts and PM plans in {built:.0f} s; the planner's first run made "
                f"{len(made.made):,} PM jobs of {made.checked:,} plans in {planned:.1f} s "
                f"({statements.count:,} statements)"
            )
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()


def _today() -> date:
    return local_today(company_zone(), utcnow())


def _fill_contracts() -> date:
    rng = random.Random(13)
    today = _today()
    now = datetime.now(UTC)
    tables = db.metadata.tables
    db.session.execute(
        tables["equipment"]
        .update()
        .values(
            meter_unit=sa.case(
                (tables["equipment"].c.model.in_(PRINT_MODELS), "prints"), else_="sq_ft"
            )
        )
    )
    by_customer: dict[int, list[int]] = defaultdict(list)
    for equipment_id, customer_id in db.session.execute(
        sa.text("SELECT id, customer_id FROM equipment WHERE status = 'active' ORDER BY id")
    ):
        by_customer[customer_id].append(equipment_id)
    customers = sorted(by_customer)
    rng.shuffle(customers)
    wanted = CONTRACT_SHARE * sum(len(ids) for ids in by_customer.values())
    contracts, covered, plans = [], [], []
    for customer_id in customers:
        if len(covered) >= wanted:
            break
        ends = today + timedelta(days=rng.randint(-60, 365))
        starts = add_months(ends + timedelta(days=1), -12)
        plotters = by_customer[customer_id]
        contract_id = len(contracts) + 1
        contracts.append(
            {
                "id": contract_id,
                "number": f"SC-B{contract_id:05d}",
                "customer_id": customer_id,
                "starts_on": starts,
                "ends_on": ends,
                "price_cents_per_year": sum(rng.randint(120, 900) * 1000 for _ in plotters),
                "covers_labour": True,
                "covers_parts": rng.random() < 0.4,
                "covers_consumables": rng.random() < 0.05,
                "response_hours": rng.choice((4, 8, 24, 48)),
                "notes": "",
                "state": "active" if ends >= today else "expired",
                "renewal_of_id": None,
                "created_by_id": 21,
                "created_at": now,
                "updated_at": now,
            }
        )
        for equipment_id in plotters:
            covered.append({"contract_id": contract_id, "equipment_id": equipment_id})
            kind = rng.random()
            months = rng.choice((3, 4, 6)) if kind < 0.5 or kind >= 0.75 else None
            meter = rng.choice((10_000, 25_000, 50_000)) if kind >= 0.5 else None
            # The last PM somewhere in the last interval: the due dates spread over it.
            done = today - timedelta(days=rng.randint(0, (months or 6) * 30))
            plans.append(
                {
                    "equipment_id": equipment_id,
                    "contract_id": contract_id,
                    "every_months": months,
                    "every_meter": meter,
                    "sop_id": None,
                    "lead_days": 14,
                    "assign_usual_tech": True,
                    "active": True,
                    "starts_on": starts,
                    "base_meter": None,  # the planner counts from the first reading since
                    "last_done_on": done,
                    "created_by_id": 21,
                    "created_at": now,
                }
            )
    for table, rows in (
        ("contracts", contracts),
        ("contract_plotters", covered),
        ("pm_plans", plans),
    ):
        for start in range(0, len(rows), 10_000):
            db.session.execute(tables[table].insert(), rows[start : start + 10_000])
    db.session.commit()
    print(
        f"  {len(contracts):,} contracts covering {len(covered):,} plotters "
        f"({sum(c['state'] == 'expired' for c in contracts)} expired), {len(plans):,} PM plans"
    )
    return today


def measure_contracts(url: str, runs: int, only: list[str]) -> tuple[dict, dict]:
    """Median milliseconds and statements of the contract functions and pages."""
    app = make_app(url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    figures: dict[str, float] = {}
    counts: dict[str, int] = {}
    with app.app_context():
        statements = Statements(db.engine)
        today = _today()
        year_ago = today - timedelta(days=364)
        zone = company_zone()
        hourly = hourly_cost_cents()
        calls = {
            "contracts: forecast(today, 90)": lambda: forecast(today, 90),
            "contracts: overdue_pms(today)": lambda: overdue_pms(today),
            "contracts: contract_earnings, 12 months": lambda: contract_earnings(
                year_ago, today, zone, hourly
            ),
            "contracts: model_costs, 12 months": lambda: model_costs(year_ago, today, zone, hourly),
            # The daily run once the jobs are made: every due date worked out again, no job.
            "contracts: planner, a later run": lambda: run_planner(today),
        }
        for name, call in calls.items():
            if only and not any(word in name for word in only):
                continue
            samples = []
            for n in range(max(runs // 5, 3) + 1):
                db.session.remove()
                statements.count = 0
                started = time.perf_counter()
                call()
                elapsed = time.perf_counter() - started
                db.session.rollback()
                if n:  # the first is the warm-up
                    samples.append(elapsed)
                counts[name] = statements.count
            figures[name] = statistics.median(samples) * 1000
        db.session.remove()
        client = app.test_client()
        sign_in(client, "office@bench.example")
        for name, path in contract_pages(today.isoformat(), year_ago.isoformat()):
            if only and not any(word in name for word in only):
                continue
            timed_gets(app, timer, client, [path] * 2)  # warm up
            statements.count = 0
            client.get(path)
            counts[name] = statements.count
            samples, _ = timed_gets(app, timer, client, [path] * max(runs // 5, 3))
            figures[name] = median_ms(samples)
        db.engine.dispose()
    return figures, counts


def run_contracts(
    base_url: str, scale: float, runs: int, only: list[str], small: dict | None
) -> dict:
    url = ensure_office_database(base_url, scale)
    ensure_contracts(url, scale)
    figures, counts = measure_contracts(url, runs, only)
    for name, ms in figures.items():
        same = ""
        if small is not None and name in small:
            same = "same at 1/10" if small[name] == counts[name] else f"{small[name]} at 1/10"
        print(f"  {name:<50} median {ms:9.2f} ms  {counts[name]:4d} statements  {same}")
    return counts


def run(base_url: str, scale: float, runs: int, only: list[str]) -> None:
    url = ensure_office_database(base_url, scale)
    app = make_app(url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    with app.app_context():
        tables = db.metadata.tables
        sizes = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(tables[name]))
            for name in ("visits", "jobs", "activity_events", "messages", "stock_movements")
        }
        latest = db.session.scalar(sa.select(sa.func.max(tables["activity_events"].c.id)))
        serial = db.session.scalar(sa.select(tables["equipment"].c.serial_number).limit(1))
    print(f"{url.split('://')[0]}: {sizes}")
    client = app.test_client()
    sign_in(client, "office@bench.example")
    today = datetime.now(UTC).date()
    year_ago = (today - timedelta(days=364)).isoformat()
    timed_gets(app, timer, client, ["/healthz"] * 50)
    floor, _ = timed_gets(app, timer, client, ["/healthz"] * max(runs, 200))
    floor_ms = median_ms(floor)
    print(f"  {'GET /healthz (floor)':<44} median {floor_ms:8.3f} ms")
    poll = client.get(f"/api/v1/activity?after={latest}")
    etag = poll.headers["ETag"]
    samples = []
    for _ in range(max(runs, 100)):
        response = client.get(f"/api/v1/activity?after={latest}", headers={"If-None-Match": etag})
        assert response.status_code == 304
        samples.append(timer.last)
    print(_line("feed poll, nothing new (304)", samples, floor_ms))
    for name, path in pages(today.isoformat(), year_ago, serial):
        if only and not any(word in name for word in only):
            continue
        timed_gets(app, timer, client, [path] * 2)  # warm up
        samples, size = timed_gets(app, timer, client, [path] * runs)
        print(_line(name, samples, floor_ms, size))
    with app.app_context():
        db.engine.dispose()


def _line(name: str, samples: list[float], floor_ms: float, size: int | None = None) -> str:
    ms = median_ms(samples)
    kb = f"  {size / 1024:6.1f} KB" if size else ""
    return f"  {name:<44} median {ms:8.2f} ms  {ms / floor_ms:7.0f}x floor{kb}"


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=25, help="requests per page (median of these)")
    p.add_argument(
        "--only", action="append", default=[], help="only the pages whose name has this word"
    )
    p.add_argument(
        "--contracts-only", action="store_true", help="only the contracts and PM section"
    )
    args = p.parse_args()
    if not args.contracts_only:
        run(sqlite_url(args.scale), args.scale, args.runs, args.only)
    # The statement counts again at a tenth of the size: the same when no query runs per row.
    print(f"sqlite, scale {args.scale / 10:g} (statement counts):")
    tenth = run_contracts(sqlite_url(args.scale / 10), args.scale / 10, 5, args.only, None)
    print(f"sqlite, scale {args.scale:g}:")
    run_contracts(sqlite_url(args.scale), args.scale, args.runs, args.only, tenth)
    if args.postgres:
        if not args.contracts_only:
            run(args.postgres, args.scale, args.runs, args.only)
        print(f"postgresql, scale {args.scale:g}:")
        run_contracts(args.postgres, args.scale, args.runs, args.only, tenth)


if __name__ == "__main__":
    main()
