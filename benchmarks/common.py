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
                return _sizes()
            db.drop_all()
        db.create_all()
        started = time.perf_counter()
        _fill(scale)
        print(f"  built the large database in {time.perf_counter() - started:.0f} s")
        return _sizes()


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
                "reorder_point": 2,
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
