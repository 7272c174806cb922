"""Shared by the benchmarks: build (once) the large database, time requests inside the app.

The large database has 2,000 customers, 10,000 plotters, 300,000 visits and 600,000 parts
used (stock movements), plus a meter reading per visit and an error code on one visit in
five. It is built with bulk inserts and kept between runs: SQLite in benchmarks/.data/,
PostgreSQL in the database named by --postgres.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from fieldapp import create_app
from fieldapp.extensions import db

DATA = Path(__file__).resolve().parent / ".data"
PASSWORD = "benchmark-password"
SIZES = {"customers": 2_000, "plotters": 10_000, "visits": 300_000, "parts_used": 600_000}
MODELS = [
    ("HP", "DesignJet T650"),
    ("HP", "DesignJet T830"),
    ("HP", "DesignJet T1700"),
    ("HP", "DesignJet Z9+"),
    ("HP", "DesignJet T2600"),
    ("Canon", "imagePROGRAF TM-300"),
    ("Canon", "imagePROGRAF TX-3100"),
    ("Epson", "SureColor T5170"),
    ("Epson", "SureColor P8570"),
]
CODES = ["86:01", "87:11", "42:10", "79:04", "21:13", "EC03-2F21", "0xE8"]
SUMMARIES = [
    "Replaced carriage belt; 86:01 cleared, test plot clean.",
    "Cleaned encoder strip with IPA, reseated the encoder sensor; 87:11 gone after 20 plots.",
    "PM: cleaned carriage rod, oiled rear bushing, new maintenance cartridge, alignment done.",
    "Replaced printhead; nozzle check and colour calibration clean.",
    "Cutter blade dull, replaced cutter assembly; clean cuts on 10 sheets.",
]


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="also run on this PostgreSQL database (it is filled on first use), e.g. "
        "postgresql://postgres@127.0.0.1:5432/fieldapp_bench",
    )
    p.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the full size (quick runs)"
    )
    return p


def make_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "UPLOAD_FOLDER": str(DATA / "uploads"),
            "WTF_CSRF_ENABLED": False,
        }
    )


def sqlite_url(scale: float) -> str:
    DATA.mkdir(exist_ok=True)
    return f"sqlite:///{DATA / f'large-{scale:g}.sqlite3'}"


def ensure_large_database(app, scale: float = 1.0) -> dict:
    """Create and fill the large database unless it is already there; return its sizes."""
    with app.app_context():
        inspector = sa.inspect(db.engine)
        if "visits" in inspector.get_table_names():
            count = db.session.scalar(
                sa.select(sa.func.count()).select_from(db.metadata.tables["visits"])
            )
            if count >= int(SIZES["visits"] * scale):
                match_app_indexes()
                return _sizes()
            db.drop_all()
        db.create_all()
        started = time.perf_counter()
        _fill(scale)
        print(f"  built the large database in {time.perf_counter() - started:.0f} s")
        return _sizes()


def match_app_indexes() -> None:
    """Give a kept database the tables and indexes of the app's schema as it is now: create
    the tables and indexes it gained since the database was built, drop the indexes it
    replaced, add the nullable columns it lacks, refresh the statistics. (A kept database
    missing a required column is built again by deleting it.)"""
    db.session.close()  # its open read would block DROP INDEX on PostgreSQL
    db.metadata.create_all(db.engine)  # only the tables that are missing
    with db.engine.begin() as connection:
        inspector = sa.inspect(connection)
        changed = False
        for table in db.metadata.sorted_tables:
            have = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:  # e.g. equipment.site_id
                    kind = column.type.compile(connection.dialect)
                    connection.execute(
                        sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    )
                    changed = True
            wanted = {index.name for index in table.indexes}
            found = {index["name"] for index in inspector.get_indexes(table.name)}
            for name in sorted(found - wanted):
                if name.startswith("ix_"):
                    connection.execute(sa.text(f'DROP INDEX "{name}"'))
                    changed = True
            for index in table.indexes:
                if index.name not in found:
                    index.create(bind=connection)
                    changed = True
        if changed:
            connection.execute(sa.text("ANALYZE"))


def postgres_database(base_url: str, name: str) -> str:
    """The URL of database `name` on base_url's server, created empty when missing."""
    base = sa.engine.make_url(base_url)
    admin = sa.create_engine(
        base.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _sizes() -> dict:
    tables = db.metadata.tables
    return {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(tables[name]))
        for name in ("customers", "equipment", "visits", "stock_movements")
    }


def _insert(table: str, rows: list[dict]) -> None:
    if rows:
        db.session.execute(db.metadata.tables[table].insert(), rows)


def _fill(scale: float) -> None:
    from fieldapp.equipment.tokens import ALPHABET

    rng = random.Random(7)
    now = datetime.now(UTC)
    n_customers = max(1, int(SIZES["customers"] * scale))
    n_plotters = max(1, int(SIZES["plotters"] * scale))
    n_visits = int(SIZES["visits"] * scale)
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash(PASSWORD)
    _insert(
        "users",
        [
            {
                "id": i,
                "email": f"tech{i}@bench.example",
                "name": f"Tech {i}",
                "role": "tech",
                "phone": "",
                "password_hash": password_hash,
                "active": True,
                "created_at": now,
            }
            for i in range(1, 21)
        ]
        + [
            {
                "id": 21,
                "email": "office@bench.example",
                "name": "Office",
                "role": "office",
                "phone": "",
                "password_hash": password_hash,
                "active": True,
                "created_at": now,
            }
        ],
    )
    _insert(
        "customers",
        [
            {
                "id": i,
                "name": f"Customer {i:04d} Architects",
                "contact_name": "Pat Doe",
                "phone": "555 0100",
                "email": "",
                "address": f"{i} Main St",
                "notes": "",
                "active": True,
                "created_at": now,
            }
            for i in range(1, n_customers + 1)
        ],
    )
    tokens = set()
    while len(tokens) < n_plotters:
        tokens.add("".join(rng.choice(ALPHABET) for _ in range(8)))
    tokens = sorted(tokens)
    rng.shuffle(tokens)
    plotters = []
    for i, token in enumerate(tokens, start=1):
        make, model = rng.choice(MODELS)
        plotters.append(
            {
                "id": i,
                "customer_id": rng.randint(1, n_customers),
                "make": make,
                "model": model,
                "serial_number": f"SN{i:08d}",
                "location_note": "Print room",
                "installed_on": None,
                "status": "active",
                "qr_token": token,
                "notes": "",
                "created_at": now,
            }
        )
    _insert("equipment", plotters)
    _insert(
        "qr_labels",
        [
            {"token": p["qr_token"], "status": "active", "equipment_id": p["id"], "printed_at": now}
            for p in plotters
        ],
    )
    _insert(
        "parts",
        [
            {
                "id": i,
                "sku": f"BENCH-{i:03d}",
                "name": f"Bench part {i}",
                "manufacturer": "HP",
                "manufacturer_part_number": "",
                "category": "other",
                "unit_cost_cents": 1000 + i,
                "active": True,
            }
            for i in range(1, 61)
        ],
    )
    _insert(
        "stock_locations",
        [{"id": i, "name": f"Van {i}", "kind": "van", "tech_id": i} for i in range(1, 21)],
    )
    db.session.commit()
    # Visits spread over 18 months; per plotter their meter readings only go up.
    meters = {p["id"]: rng.randint(10_000, 200_000) for p in plotters}
    batch_visits, batch_codes, batch_moves, batch_meter = [], [], [], []
    moves_left = int(SIZES["parts_used"] * scale)
    starts = sorted(
        now - timedelta(minutes=rng.randint(60, 545 * 24 * 60)) for _ in range(n_visits)
    )
    for n, started in enumerate(starts):
        equipment_id = rng.randint(1, n_plotters)
        tech_id = rng.randint(1, 20)
        visit_id = uuid.uuid4()
        batch_visits.append(
            {
                "id": visit_id,
                "equipment_id": equipment_id,
                "job_id": None,
                "tech_id": tech_id,
                "sop_version_id": None,
                "status": "finished",
                "started_at": started,
                "finished_at": started + timedelta(minutes=75),
                "outcome": rng.choice(
                    ["fixed", "fixed", "pm_done", "needs_parts", "no_fault_found"]
                ),
                "summary": rng.choice(SUMMARIES),
                "signoff_name": "Dana Ruiz",
                "source": "import",
                "created_at": started,
            }
        )
        if n % 5 == 0:
            batch_codes.append({"visit_id": visit_id, "code": rng.choice(CODES)})
        meters[equipment_id] += rng.randint(100, 3000)
        batch_meter.append(
            {
                "equipment_id": equipment_id,
                "value": meters[equipment_id],
                "taken_at": started,
                "visit_id": visit_id,
                "recorded_by_id": tech_id,
                "note": "",
            }
        )
        for _ in range(2 if moves_left > 0 else 0):
            moves_left -= 1
            part = rng.randint(1, 60)
            batch_moves.append(
                {
                    "part_id": part,
                    "location_id": tech_id,
                    "quantity": -1,
                    "kind": "use",
                    "reason": "",
                    "actor_id": tech_id,
                    "at": started,
                    "visit_id": visit_id,
                    "transfer_id": None,
                    "unit_cost_cents": 1000 + part,
                }
            )
        if len(batch_visits) >= 10_000:
            _flush(batch_visits, batch_codes, batch_moves, batch_meter)
    _flush(batch_visits, batch_codes, batch_moves, batch_meter)
    db.session.execute(sa.text("ANALYZE"))  # fresh planner statistics on both databases
    db.session.commit()


def _flush(visits, codes, moves, meters) -> None:
    _insert("visits", visits)
    _insert("visit_error_codes", codes)
    _insert("stock_movements", moves)
    _insert("meter_readings", meters)
    db.session.commit()
    for batch in (visits, codes, moves, meters):
        batch.clear()


class Statements:
    """Counts the SQL statements the engine runs."""

    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_):
        self.count += 1


class ServerTimer:
    """WSGI middleware measuring server time: from the call until the body is produced."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        body = b"".join(self.wsgi_app(environ, start_response))
        self.last = time.perf_counter() - started
        return [body]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed_gets(app, timer: ServerTimer, client, paths: list[str]) -> tuple[list[float], int]:
    """Server times for GETs of these paths; also the largest response size."""
    samples, largest = [], 0
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        samples.append(timer.last)
        largest = max(largest, len(response.data))
    return samples, largest


def sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code


# -- the office's data on top of the large database (benchmarks/office.py) ----------------
#
# The office pages read jobs, events, threads, requests, stock and syncs, which the large
# database does not have. They are added to a copy of it (SQLite: a second file; PostgreSQL:
# a database made from it as a template), so the other benchmarks keep measuring exactly the
# database they always did.

OFFICE_HISTORY_DAYS = 180
OWNER_ID, OFFICE_ID = 22, 21


def ensure_office_database(base_url: str, scale: float = 1.0) -> str:
    """The URL of the large database's copy with office data, made (once) when missing."""
    if base_url.startswith("sqlite"):
        office_url = f"sqlite:///{DATA / f'large-office-{scale:g}.sqlite3'}"
        target = DATA / f"large-office-{scale:g}.sqlite3"
        if not target.exists():
            ensure_large_database(make_app(base_url), scale)
            _copy_sqlite(Path(base_url.removeprefix("sqlite:///")), target)
    else:
        base = sa.engine.make_url(base_url)
        office_url = base.set(database=f"{base.database}_office").render_as_string(
            hide_password=False
        )
        admin = sa.create_engine(
            base.set(drivername="postgresql+psycopg", database="postgres"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": f"{base.database}_office"},
            ).first()
        if not exists:
            app = make_app(base_url)
            ensure_large_database(app, scale)
            with app.app_context():
                db.engine.dispose()
            with admin.connect() as connection:
                connection.execute(
                    sa.text(f'CREATE DATABASE "{base.database}_office" TEMPLATE "{base.database}"')
                )
        admin.dispose()
    app = make_app(office_url)
    with app.app_context():
        match_app_indexes()
        marker = db.session.scalar(
            sa.text("SELECT count(*) FROM users WHERE email = 'owner@bench.example'")
        )
        if not marker:
            started = time.perf_counter()
            _fill_office(scale)
            print(f"  added the office's data in {time.perf_counter() - started:.0f} s")
        db.engine.dispose()
    return office_url


def _copy_sqlite(source: Path, target: Path) -> None:
    import sqlite3

    partial = target.with_suffix(".partial")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    partial.replace(target)


def _fill_office(scale: float) -> None:
    """Jobs for the last six months of visits (a second visit when the first needed parts),
    open jobs, their events, threads, service requests, van stock, syncs and techs on site."""
    from werkzeug.security import generate_password_hash

    rng = random.Random(11)
    now = datetime.now(UTC)
    tables = db.metadata.tables
    _insert(
        "users",
        [
            {
                "id": OWNER_ID,
                "email": "owner@bench.example",
                "name": "Owner",
                "role": "admin",
                "phone": "",
                "password_hash": generate_password_hash(PASSWORD),
                "active": True,
                "created_at": now,
            }
        ],
    )
    customer_of = dict(db.session.execute(sa.text("SELECT id, customer_id FROM equipment")).all())
    visits = tables["visits"]
    rows = db.session.execute(
        sa.select(
            visits.c.id,
            visits.c.equipment_id,
            visits.c.tech_id,
            visits.c.started_at,
            visits.c.finished_at,
            visits.c.outcome,
        )
        .where(visits.c.started_at >= now - timedelta(days=OFFICE_HISTORY_DAYS))
        .order_by(visits.c.equipment_id, visits.c.started_at)
    ).all()
    jobs, links, events, messages = [], [], [], []
    last: dict[int, tuple] = {}  # plotter -> (job row, outcome of its last visit, finished)

    def dispatcher(at: datetime) -> int:
        # The owner did half the dispatching six months ago and a tenth of it now.
        age = (now - at).total_seconds() / (OFFICE_HISTORY_DAYS * 86400)
        return OWNER_ID if rng.random() < 0.1 + 0.4 * age else OFFICE_ID

    for visit_id, equipment_id, tech_id, started, finished, outcome in rows:
        previous = last.get(equipment_id)
        if previous and previous[1] == "needs_parts" and started - previous[2] < timedelta(days=14):
            job = previous[0]
        else:
            created = started - timedelta(minutes=rng.randint(60, 48 * 60))
            job = {
                "id": len(jobs) + 1,
                "customer_id": customer_of[equipment_id],
                "equipment_id": equipment_id,
                "kind": "preventive" if outcome == "pm_done" else "repair",
                "problem": rng.choice(SUMMARIES),
                "error_code": rng.choice(CODES),
                "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
                "status": "done",
                "source": "phone",
                "caller_name": "Pat Doe",
                "caller_phone": "555 0100",
                "assigned_to_id": tech_id,
                "scheduled_for": started,
                "created_by_id": dispatcher(created),
                "follow_up_of_id": None,
                "created_at": created,
                "updated_at": finished,
                "closed_at": finished,
            }
            jobs.append(job)
            assigned = created + timedelta(minutes=5)
            for verb, at in (("job.created", created), ("job.assigned", assigned)):
                events.append(_bench_event(at, job["created_by_id"], verb, job))
            if rng.random() < 0.25:
                answers = ((10, job["created_by_id"]), (30, tech_id), (45, dispatcher(created)))
                for minutes, author in answers:
                    messages.append(
                        {
                            "id": uuid.uuid4(),
                            "job_id": job["id"],
                            "author_id": author,
                            "body": "Bench thread message",
                            "created_at": created + timedelta(minutes=minutes),
                        }
                    )
        job["closed_at"] = job["updated_at"] = finished
        job["assigned_to_id"] = tech_id
        links.append({"visit_id": visit_id, "job_id": job["id"]})
        events.append(_bench_event(finished, tech_id, "visit.logged", job))
        last[equipment_id] = (job, outcome, finished)
    n_plotters = len(customer_of)
    for n in range(300):
        status = ("new", "scheduled", "scheduled", "waiting_parts", "in_progress")[n % 5]
        equipment_id = rng.randint(1, n_plotters)
        created = now - timedelta(hours=rng.randint(1, 72))
        tech = None if status == "new" and n % 2 else rng.randint(1, 20)
        job = {
            "id": len(jobs) + 1,
            "customer_id": customer_of[equipment_id],
            "equipment_id": equipment_id,
            "kind": "repair",
            "problem": rng.choice(SUMMARIES),
            "error_code": rng.choice(CODES),
            "priority": rng.choice(["low", "normal", "high", "urgent"]),
            "status": status,
            "source": "phone",
            "caller_name": "Pat Doe",
            "caller_phone": "555 0100",
            "assigned_to_id": tech,
            "scheduled_for": now + timedelta(hours=rng.randint(-4, 48)) if tech else None,
            "created_by_id": dispatcher(created),
            "follow_up_of_id": None,
            "created_at": created,
            "updated_at": created,
            "closed_at": None,
        }
        jobs.append(job)
        events.append(_bench_event(created, job["created_by_id"], "job.created", job))
    _insert("jobs", jobs)
    link_table = sa.Table(
        "bench_visit_jobs",
        sa.MetaData(),
        sa.Column("visit_id", sa.Uuid, primary_key=True),
        sa.Column("job_id", sa.Integer),
    )
    link_table.create(db.session.connection())
    db.session.execute(link_table.insert(), links)
    db.session.execute(
        visits.update()
        .where(visits.c.id.in_(sa.select(link_table.c.visit_id)))
        .values(
            job_id=sa.select(link_table.c.job_id)
            .where(link_table.c.visit_id == visits.c.id)
            .scalar_subquery()
        )
    )
    link_table.drop(db.session.connection())
    events.sort(key=lambda event: event["at"])
    for start in range(0, len(events), 20_000):
        _insert("activity_events", events[start : start + 20_000])
    _insert("messages", messages)
    requests = []
    for n in range(int(4000 * max(scale, 0.05))):
        created = now - timedelta(minutes=rng.randint(30, OFFICE_HISTORY_DAYS * 24 * 60))
        handled = n % 200 != 0
        requests.append(
            {
                "reference": f"SR-B{n:06d}",
                "equipment_id": rng.randint(1, n_plotters),
                "name": "Front desk",
                "phone": "555 0100",
                "email": "",
                "problem": "Lines across every print",
                "status": ("converted" if n % 3 else "dismissed") if handled else "new",
                "address": "203.0.113.7",
                "job_id": None,
                "dismissed_reason": "" if n % 3 else "Duplicate",
                "handled_by_id": dispatcher(created) if handled else None,
                "handled_at": created + timedelta(minutes=20) if handled else None,
                "created_at": created,
            }
        )
    _insert("service_requests", requests)
    warehouse = {"id": 21, "name": "Warehouse", "kind": "warehouse", "tech_id": None}
    _insert("stock_locations", [warehouse])
    _insert(
        "stock_levels",
        [
            {
                "part_id": part,
                "location_id": location,
                "quantity": rng.randint(-2, 9),
                "minimum": (minimum := rng.randint(0, 3)),
                "maximum": minimum + rng.randint(0, 4),
            }
            for location in range(1, 22)
            for part in range(1, 61)
        ],
    )
    _insert(
        "sync_ops",
        [
            {
                "id": uuid.uuid4(),
                "user_id": tech,
                "type": "visit.record",
                "received_at": now - timedelta(minutes=rng.randint(1, 7 * 24 * 60)),
                "result": "applied",
                "reason": "",
            }
            for tech in range(1, 21)
            for _ in range(200)
        ],
    )
    _insert(
        "visits",
        [
            {
                "id": uuid.uuid4(),
                "equipment_id": rng.randint(1, n_plotters),
                "job_id": None,
                "tech_id": tech,
                "sop_version_id": None,
                "status": "in_progress",
                "started_at": now - timedelta(minutes=rng.randint(5, 120)),
                "finished_at": None,
                "outcome": None,
                "summary": "",
                "signoff_name": "",
                "source": "web",
                "created_at": now,
            }
            for tech in range(1, 9)
        ],
    )
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def _bench_event(at: datetime, actor: int, verb: str, job: dict) -> dict:
    return {
        "at": at,
        "actor_id": actor,
        "verb": verb,
        "subject_type": "job",
        "subject_id": str(job["id"]),
        "summary": f"{verb} J-{job['id'] + 1000}",
        "job_id": job["id"],
        "equipment_id": job["equipment_id"],
    }
